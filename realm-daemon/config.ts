// Realm daemon configuration: environment validated with zod, and every limit and timeout in
// one typed defaults object.
import { z } from "zod";
import { baseEnvSchema } from "../lib/config/env.ts";
import { LOGIN_LIMITS } from "../lib/domain/login-limits.ts";
import { SETTING_LIMITS } from "../lib/domain/settings.ts";
import { parseCidr } from "../lib/net/cidr.ts";
import { federationEnvSchema, federationFromEnv, type FederationConfig } from "./federation/config.ts";
import type { HttpTlsConfig } from "./http-tls.ts";

export const REALM_DEFAULTS = {
  maxPacketBytes: 1_048_576,
  greetingTimeoutMs: 10_000,
  /**
   * A TLS handshake not finished this long after the TCP accept is closed. Absolute, unlike
   * Node's `handshakeTimeout` (idle-based: a peer trickling one byte a second never hits it).
   */
  handshakeTimeoutMs: 10_000,
  /** A session with no packet for this long is closed (clients send `nop`/`ping`). */
  idleTimeoutMs: 300_000,
  maxConnections: 10_000,
  maxConnectionsPerIp: 64,
  /** Requests received but not yet answered, per connection; more is BUSY. */
  maxQueuedRequests: 64,
  /** Bytes we buffer for a peer that does not read; past this the connection is closed. */
  maxWriteBufferBytes: 8 * 1024 * 1024,
  /** registeraccount attempts per IP per window (Mastodon: 5 per 30 minutes). */
  registrationsPerIp: 10,
  registrationWindowMs: 30 * 60_000,
  authFailuresPerWindow: LOGIN_LIMITS.account.limit,
  authFailureWindowMs: LOGIN_LIMITS.account.windowMs,
  /** How often an instance writes its heartbeat row (and reaps instances seen dead). */
  heartbeatMs: 5_000,
  /** An instance whose heartbeat is older than this is dead: its presences are released. */
  presenceStaleMs: 30_000,
  retentionSweepMs: 60_000,
  /** How often the storage figures of /metrics (bytes stored, queue depth) are recomputed. */
  metricsRefreshMs: 60_000,
  /** A message created but not sealed this long after its createmessage is a leftover (crash): dropped, bytes released. */
  unsentMaxAgeMs: 24 * 3_600_000,
  /** Every live session is checked against the database this often (revocation backstop). */
  reconcileIntervalMs: 5 * 60_000,
  /** SIGTERM: the whole drain (push `shutdown`, finish received requests, clean up) within this. */
  shutdownGraceMs: 5_000,
  maxSearchResults: 50,
  ...SETTING_LIMITS,
  maxImessageBytes: 16 * 1024,
  /** sendimessage waits this long for the recipient's instance to take the message, else NOSUCHCOMPUTER. */
  imessageConfirmMs: 2_000,
  /** Workspaces: how often to suspend inactive members, drop abandoned uploads and free changes left acked. */
  workspaceSweepMs: 60_000,
  /** When > 0, the inactivity limit in ms for every workspace (tests, operations); 0 = the workspace's or realm's days. */
  workspaceInactivityMs: 0,
  /** An upload begun but never sealed is dropped (and its bytes released) after this long. */
  workspaceUploadExpiryMs: 24 * 3_600_000,
  maxOpenWorkspaceChangesPerUser: 16,
  maxWorkspaceMembers: 500,
  /** Most change entries one workspacepull returns. */
  maxWorkspacePullEntries: 1000,
} as const;

export type RealmDefaults = { readonly [K in keyof typeof REALM_DEFAULTS]: number };

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v));
const port = z.coerce.number().int().min(0).max(65535);

export const realmEnvSchema = baseEnvSchema.merge(federationEnvSchema).extend({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  OPENGROOVE_REALM_BIND_HOST: z.string().min(1).default("0.0.0.0"),
  OPENGROOVE_REALM_HTTP_PORT: port.default(63780),
  /** Plain TCP instead of TLS: only for tests and local development, only on loopback. */
  OPENGROOVE_REALM_PLAIN_TCP: bool.default(false),
  /** Bind every realm listener on an ephemeral port (tests). The ready message lists the ports. */
  OPENGROOVE_REALM_EPHEMERAL_PORTS: bool.default(false),
  /** Base URL of the web signup pages, for registeraccount CONTINUE. */
  OPENGROOVE_WEB_URL: z.string().url().optional(),
  OPENGROOVE_REALM_MAX_CONNECTIONS_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(REALM_DEFAULTS.maxConnectionsPerIp),
  /** Bearer token for /metrics; unset = /metrics answers loopback clients only. */
  OPENGROOVE_METRICS_TOKEN: z.string().min(16, "at least 16 characters").optional(),
  /** TLS (wss://, https://) on the HTTP port, told from plain HTTP by the first byte: realm certificates, or off. */
  OPENGROOVE_REALM_HTTP_TLS: z.enum(["realm", "off"]).default("realm"),
  /** PEM files of one certificate (and its key) served on the HTTP port instead of the realms' own. */
  OPENGROOVE_REALM_HTTP_TLS_CERT: z.string().min(1).optional(),
  OPENGROOVE_REALM_HTTP_TLS_KEY: z.string().min(1).optional(),
  OPENGROOVE_REALM_MAX_CONNECTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(REALM_DEFAULTS.maxConnections),
  /** Comma-separated realm ids this daemon serves (default: every realm in the database). */
  OPENGROOVE_REALM_SERVE: z.string().optional(),
  OPENGROOVE_REALM_HANDSHAKE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(REALM_DEFAULTS.handshakeTimeoutMs),
  OPENGROOVE_REALM_IDLE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .max(86_400_000)
    .default(REALM_DEFAULTS.idleTimeoutMs),
  OPENGROOVE_REALM_SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(REALM_DEFAULTS.shutdownGraceMs),
  OPENGROOVE_REALM_UNSENT_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(REALM_DEFAULTS.unsentMaxAgeMs / 3_600_000),
  OPENGROOVE_REALM_HEARTBEAT_MS: z.coerce.number().int().min(100).max(60_000).default(REALM_DEFAULTS.heartbeatMs),
  OPENGROOVE_REALM_INSTANCE_STALE_MS: z.coerce
    .number()
    .int()
    .min(300)
    .max(600_000)
    .default(REALM_DEFAULTS.presenceStaleMs),
  /**
   * Host where clients reach this instance directly (or a balancer frontend dedicated to it):
   * what a draining peer sends in `switchserver`. Default: the bind host, or this machine's
   * host name when binding every address.
   */
  OPENGROOVE_REALM_ADVERTISE_HOST: z.string().min(1).optional(),
  /** Advertised port per realm port when it differs (a balancer frontend per instance): "63745=64001,63741=64002". */
  OPENGROOVE_REALM_ADVERTISE_PORTS: z
    .string()
    .regex(/^\s*\d+\s*=\s*\d+\s*(,\s*\d+\s*=\s*\d+\s*)*$/, 'must be "realmPort=advertisedPort,..."')
    .optional(),
  /** PROXY protocol v2 on the realm ports: the balancer addresses or CIDRs it is accepted from (comma-separated). */
  OPENGROOVE_REALM_PROXY_PROTOCOL_FROM: z.string().min(1).optional(),
  /** The realm ports (as configured on the realm) that expect PROXY protocol; default every realm port. */
  OPENGROOVE_REALM_PROXY_PROTOCOL_PORTS: z
    .string()
    .regex(/^\s*\d+\s*(,\s*\d+\s*)*$/, "must be a comma-separated list of ports")
    .optional(),
  /**
   * PROXY protocol v2 on the HTTP/WebSocket port too (opt-in: the balancer's health checks must
   * then send it as well, HAProxy's `check-send-proxy`). Needs OPENGROOVE_REALM_PROXY_PROTOCOL_FROM.
   */
  OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL: bool.default(false),
});

export type RealmEnv = z.infer<typeof realmEnvSchema>;

export interface RealmDaemonConfig {
  databaseUrl: string;
  bindHost: string;
  httpPort: number;
  plainTcp: boolean;
  ephemeralPorts: boolean;
  webUrl: string;
  limits: RealmDefaults;
  /** Realm-to-realm federation (realm-daemon/federation/config.ts); off without a management server. */
  federation?: FederationConfig;
  /**
   * The realms this daemon serves (listeners, management links, outbox of those realms); every
   * realm in the database when unset. Lets several realms on one database run in separate daemons.
   */
  serveRealms?: string[];
  /** Host (and per realm port, port) advertised for switchserver; see OPENGROOVE_REALM_ADVERTISE_*. */
  advertiseHost?: string;
  advertisePorts?: ReadonlyMap<number, number>;
  /** PROXY protocol v2: accepted only from these balancer addresses, on these realm ports (all when unset). */
  proxyProtocol?: { from: string[]; ports?: number[]; http?: boolean };
  /** /metrics needs `Authorization: Bearer <token>` when set; unset, only loopback clients get it. */
  metricsToken?: string;
  /** TLS on the HTTP/WebSocket port beside plain HTTP (realm-daemon/http-tls.ts); default the realms' certificates. */
  httpTls?: HttpTlsConfig;
}

const list = (v: string | undefined) =>
  (v ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function configFromEnv(env: RealmEnv): RealmDaemonConfig {
  if (env.OPENGROOVE_REALM_PLAIN_TCP && !LOOPBACK.test(env.OPENGROOVE_REALM_BIND_HOST)) {
    const e = new Error(
      `OPENGROOVE_REALM_PLAIN_TCP: plain TCP is only allowed on a loopback address (OPENGROOVE_REALM_BIND_HOST is ${env.OPENGROOVE_REALM_BIND_HOST})`,
    );
    e.name = "ConfigError";
    throw e;
  }
  // A live instance must never look dead between two heartbeats (a slow one included).
  if (env.OPENGROOVE_REALM_INSTANCE_STALE_MS < 3 * env.OPENGROOVE_REALM_HEARTBEAT_MS) {
    const e = new Error(
      `OPENGROOVE_REALM_INSTANCE_STALE_MS (${env.OPENGROOVE_REALM_INSTANCE_STALE_MS}) must be at least 3 × OPENGROOVE_REALM_HEARTBEAT_MS (${env.OPENGROOVE_REALM_HEARTBEAT_MS})`,
    );
    e.name = "ConfigError";
    throw e;
  }
  return {
    databaseUrl: env.DATABASE_URL,
    bindHost: env.OPENGROOVE_REALM_BIND_HOST,
    httpPort: env.OPENGROOVE_REALM_HTTP_PORT,
    plainTcp: env.OPENGROOVE_REALM_PLAIN_TCP,
    ephemeralPorts: env.OPENGROOVE_REALM_EPHEMERAL_PORTS,
    webUrl: env.OPENGROOVE_WEB_URL ?? `http://${env.OPENGROOVE_PUBLIC_HOST}:${process.env.OPENGROOVE_WEB_PORT ?? 3000}`,
    limits: {
      ...REALM_DEFAULTS,
      maxConnectionsPerIp: env.OPENGROOVE_REALM_MAX_CONNECTIONS_PER_IP,
      maxConnections: env.OPENGROOVE_REALM_MAX_CONNECTIONS,
      idleTimeoutMs: env.OPENGROOVE_REALM_IDLE_TIMEOUT_MS,
      handshakeTimeoutMs: env.OPENGROOVE_REALM_HANDSHAKE_TIMEOUT_MS,
      shutdownGraceMs: env.OPENGROOVE_REALM_SHUTDOWN_GRACE_MS,
      heartbeatMs: env.OPENGROOVE_REALM_HEARTBEAT_MS,
      unsentMaxAgeMs: Math.round(env.OPENGROOVE_REALM_UNSENT_MAX_AGE_HOURS * 3_600_000),
      presenceStaleMs: env.OPENGROOVE_REALM_INSTANCE_STALE_MS,
    },
    federation: federationFromEnv(env),
    serveRealms: env.OPENGROOVE_REALM_SERVE === undefined ? undefined : list(env.OPENGROOVE_REALM_SERVE),
    advertiseHost: env.OPENGROOVE_REALM_ADVERTISE_HOST,
    advertisePorts: new Map(
      list(env.OPENGROOVE_REALM_ADVERTISE_PORTS).map((x) => x.split("=").map(Number) as [number, number]),
    ),
    proxyProtocol: proxyFromEnv(env),
    metricsToken: env.OPENGROOVE_METRICS_TOKEN,
    httpTls: httpTlsFromEnv(env),
  };
}

function httpTlsFromEnv(env: RealmEnv): HttpTlsConfig {
  const cert = env.OPENGROOVE_REALM_HTTP_TLS_CERT;
  const key = env.OPENGROOVE_REALM_HTTP_TLS_KEY;
  if (!cert !== !key) {
    const e = new Error(
      "OPENGROOVE_REALM_HTTP_TLS_CERT and OPENGROOVE_REALM_HTTP_TLS_KEY go together: set both or neither",
    );
    e.name = "ConfigError";
    throw e;
  }
  if (env.OPENGROOVE_REALM_HTTP_TLS === "off") return { mode: "off" };
  return cert && key ? { mode: "files", certFile: cert, keyFile: key } : { mode: "realm" };
}

function proxyFromEnv(env: RealmEnv): RealmDaemonConfig["proxyProtocol"] {
  const from = list(env.OPENGROOVE_REALM_PROXY_PROTOCOL_FROM);
  const bad = from.find((x) => !parseCidr(x));
  const needsFrom = env.OPENGROOVE_REALM_PROXY_PROTOCOL_PORTS
    ? "OPENGROOVE_REALM_PROXY_PROTOCOL_PORTS"
    : env.OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL
      ? "OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL"
      : undefined;
  if (bad || (needsFrom && !from.length)) {
    const e = new Error(
      bad
        ? `OPENGROOVE_REALM_PROXY_PROTOCOL_FROM: "${bad}" is not an IP address or CIDR`
        : `${needsFrom} needs OPENGROOVE_REALM_PROXY_PROTOCOL_FROM (the balancer addresses)`,
    );
    e.name = "ConfigError";
    throw e;
  }
  if (!from.length) return undefined;
  const ports = env.OPENGROOVE_REALM_PROXY_PROTOCOL_PORTS;
  return { from, ports: ports ? list(ports).map(Number) : undefined, http: env.OPENGROOVE_REALM_HTTP_PROXY_PROTOCOL };
}
