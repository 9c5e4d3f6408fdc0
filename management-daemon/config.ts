// Management daemon configuration: environment validated with zod, and every limit and timeout
// in one typed defaults object.
import { z } from "zod";
import { baseEnvSchema } from "../lib/config/env.ts";
import { parseCidr } from "../lib/net/cidr.ts";

export const MANAGEMENT_DEFAULTS = {
  maxPacketBytes: 65_536,
  greetingTimeoutMs: 10_000,
  /** Realms heartbeat every 20 s by default, so an authenticated link is never idle this long. */
  idleTimeoutMs: 120_000,
  maxConnectionsPerIp: 32,
  /** Connections on both management ports together. */
  maxConnections: 2_000,
  /** A TLS handshake not finished this long after the TCP accept is closed (absolute). */
  handshakeTimeoutMs: 10_000,
  /** Requests received but not yet answered, per connection; more is BUSY. */
  maxQueuedRequests: 16,
  /** Bytes queued for a peer that does not read before it is disconnected. */
  maxWriteBufferBytes: 1024 * 1024,
  /** How long a realm's previous key stays valid after it rotates (Synapse: old_verify_keys). */
  keyOverlapMs: 24 * 3_600_000,
  /** A challenge must be answered within this time. */
  challengeTtlMs: 60_000,
  maxMetadataBytes: 2_048,
  /**
   * Enrollments that leave something for an administrator to decide (a new realm without a
   * token, a key claim) per source address and hour; more is RATELIMITED. Tokens and a known
   * realm refreshing with its own key are not counted.
   */
  pendingEnrollmentsPerIpPerHour: 10,
  maxPublicKeyBytes: 4_096,
  maxCertBytes: 8_192,
} as const;

export type ManagementLimits = { readonly [K in keyof typeof MANAGEMENT_DEFAULTS]: number };

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v));
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export const managementEnvSchema = baseEnvSchema.extend({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  OPENGROOVE_MANAGEMENT_BIND_HOST: z.string().min(1).default("0.0.0.0"),
  OPENGROOVE_MANAGEMENT_CLIENT_PORT: port.default(63746),
  OPENGROOVE_MANAGEMENT_REALM_PORT: port.default(63747),
  /** Plain TCP instead of TLS on both ports: only on a loopback bind host, only when set explicitly. */
  OPENGROOVE_MANAGEMENT_PLAIN_TCP: bool.default(false),
  OPENGROOVE_MANAGEMENT_MAX_CONNECTIONS_PER_IP: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(MANAGEMENT_DEFAULTS.maxConnectionsPerIp),
  OPENGROOVE_MANAGEMENT_MAX_CONNECTIONS: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .default(MANAGEMENT_DEFAULTS.maxConnections),
  OPENGROOVE_MANAGEMENT_HANDSHAKE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(600_000)
    .default(MANAGEMENT_DEFAULTS.handshakeTimeoutMs),
  OPENGROOVE_MANAGEMENT_KEY_OVERLAP_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(90 * 86_400_000)
    .default(MANAGEMENT_DEFAULTS.keyOverlapMs),
  /** PROXY protocol v2 on the management ports: the balancer addresses or CIDRs it is accepted from (comma-separated). */
  OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM: z.string().min(1).optional(),
  /** Which management ports expect it: "client" (63746), "realm" (63747) or both (the default). */
  OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS: z
    .string()
    .regex(/^\s*(client|realm)\s*(,\s*(client|realm)\s*)*$/, 'must be "client", "realm" or "client,realm"')
    .optional(),
});

export type ManagementEnv = z.infer<typeof managementEnvSchema>;

export function limitsFromEnv(env: ManagementEnv): ManagementLimits {
  return {
    ...MANAGEMENT_DEFAULTS,
    keyOverlapMs: env.OPENGROOVE_MANAGEMENT_KEY_OVERLAP_MS,
    maxConnectionsPerIp: env.OPENGROOVE_MANAGEMENT_MAX_CONNECTIONS_PER_IP,
    maxConnections: env.OPENGROOVE_MANAGEMENT_MAX_CONNECTIONS,
    handshakeTimeoutMs: env.OPENGROOVE_MANAGEMENT_HANDSHAKE_TIMEOUT_MS,
  };
}

/** Plain TCP would expose tokens and registry answers to the network: loopback only. */
export function checkTransport(env: ManagementEnv): void {
  if (env.OPENGROOVE_MANAGEMENT_PLAIN_TCP && !LOOPBACK.test(env.OPENGROOVE_MANAGEMENT_BIND_HOST)) {
    const e = new Error(
      `OPENGROOVE_MANAGEMENT_PLAIN_TCP: plain TCP is only allowed on a loopback address (OPENGROOVE_MANAGEMENT_BIND_HOST is ${env.OPENGROOVE_MANAGEMENT_BIND_HOST})`,
    );
    e.name = "ConfigError";
    throw e;
  }
}

const configError = (message: string) => {
  const e = new Error(message);
  e.name = "ConfigError";
  return e;
};

/** PROXY protocol v2 on the management ports (docs/scaling.md); undefined = off. */
export function proxyProtocolFromEnv(
  env: ManagementEnv,
): { from: string[]; ports: ("client" | "realm")[] } | undefined {
  const split = (v: string | undefined) =>
    (v ?? "")
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const from = split(env.OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM);
  const bad = from.find((x) => !parseCidr(x));
  if (bad) throw configError(`OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM: "${bad}" is not an IP address or CIDR`);
  const ports = split(env.OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS) as ("client" | "realm")[];
  if (ports.length && !from.length)
    throw configError(
      "OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS needs OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM (the balancer addresses)",
    );
  if (!from.length) return undefined;
  return { from, ports: ports.length ? [...new Set(ports)] : ["client", "realm"] };
}
