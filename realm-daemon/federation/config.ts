// Federation settings of the realm daemon: every limit and timeout in one typed defaults
// object (tests shrink the timings), plus the zod schema of the environment variables.
import { z } from "zod";
import { MESSAGE_LIMITS } from "../../lib/domain/messages.ts";
import { normalizeFingerprint } from "../../lib/federation/management-pin.ts";

export const FEDERATION_DEFAULTS = {
  /** Heartbeat to the management server; also how often a pending realm asks again. */
  managementHeartbeatMs: 20_000,
  managementReconnectMinMs: 500,
  managementReconnectMaxMs: 30_000,
  /** Any single request to the management server or a peer realm. */
  requestTimeoutMs: 30_000,
  /** Greeting + mutual proof must complete within this. */
  handshakeTimeoutMs: 10_000,
  /** A cached registry entry older than this is fetched again before it is trusted (if the management server answers). */
  peerCacheFreshMs: 60_000,
  /** Every cached peer is re-fetched this often, so revocations and rotations arrive within a minute. */
  peerRefreshMs: 30_000,
  outboxPollMs: 250,
  /** Rows read per round from one target's queue. */
  outboxBatch: 256,
  /** At most this many rows of one stream per round, so streams to one realm take turns. */
  outboxPerStream: 128,
  /**
   * Streams of one target sent at the same time over its link, and wschanges requests in flight
   * per stream at most (the pacer may keep fewer): together below the peer's limit of requests
   * queued on one connection (maxQueuedRequests, 64).
   */
  outboxStreamsAtOnce: 8,
  outboxWindow: 6,
  /**
   * Messages of one target in flight at once (each deliverbegin, deliverdata, delivercommit
   * written without waiting for the replies: 3 requests; 6 × 3 plus the other streams' windows
   * stay below maxQueuedRequests). 0: one step at a time, each reply awaited (the older way).
   */
  outboxMessageWindow: 6,
  /** Changes per wschanges request (one transaction on the peer; at most 64 there). */
  outboxBatchChanges: 32,
  /** Change bytes one pipelined run holds in memory at most. */
  outboxRunBytes: 4 * 1024 * 1024,
  /** Targets one instance delivers to at the same time. */
  outboxTargets: 16,
  /**
   * A target leased by an instance is not taken by another for this long (renewed while it
   * delivers); released at once when the holder stops or its daemon_instances row goes stale.
   */
  outboxLeaseMs: 60_000,
  /** Backoff of the connection to an unreachable realm (and of a stream refused for now): doubling from base to max, with jitter. */
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  /** After this many failed attempts (of a row, or consecutive of a connection) the sender gets a bounce. */
  maxAttempts: 200,
  /**
   * Before a message to users of another realm is accepted, that realm is asked whether they
   * exist (checkusers); without an answer within this the message is queued unchecked.
   */
  recipientCheckMs: 3_000,
  /** An outbound connection to a peer with nothing to deliver is closed after this. */
  linkIdleMs: 60_000,
  /** Bytes per deliverdata packet: whole message blocks. */
  chunkBytes: 8 * MESSAGE_LIMITS.blockBytes,
  /** Bytes of messages from one remote realm this realm holds at most (per-remote-realm limit). */
  maxInboundBytesPerPeer: 1024 * 1024 * 1024,
  maxInboundMessageBytes: 512 * 1024 * 1024,
  /** A delivery begun but never committed is dropped after this. */
  stagingTtlMs: 24 * 3_600_000,
  /** Received message ids are remembered this long, so late retries are recognised. */
  receivedRetentionDays: 90,
  housekeepingMs: 10 * 60_000,
} as const;

export type FederationLimits = { readonly [K in keyof typeof FEDERATION_DEFAULTS]: number };

export interface FederationConfig {
  /** host:port of the management server's realm port (63747). */
  managementAddress: string;
  /** TLS to the management server (default); false only with OPENGROOVE_MANAGEMENT_PLAIN_TCP on loopback. */
  managementTls: boolean;
  /** The management key fingerprint given by its operator ("" = same install, or pin on first use). */
  managementFingerprint: string;
  /** One-time enrollment token from the management server's administrator ("" = ask for approval). */
  enrollmentToken: string;
  /** Host published as this daemon's realm-to-realm address (default: each realm's host). */
  advertiseHost: string;
  /** Outbound realm-to-realm connections over plain TCP (tests only; TLS otherwise). */
  plainTcp: boolean;
  limits: FederationLimits;
}

export const federationEnvSchema = z.object({
  /** Enables federation: where the management server's realm port is. */
  OPENGROOVE_MANAGEMENT_ADDRESS: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+:\d{1,5}$/, "host:port of the management server's realm port")
    .optional(),
  OPENGROOVE_ENROLLMENT_TOKEN: z.string().max(200).default(""),
  /** SHA-256 of the management server's key (its operator gives it with the enrollment token). */
  OPENGROOVE_MANAGEMENT_FINGERPRINT: z
    .string()
    .default("")
    .refine((v) => v === "" || normalizeFingerprint(v) !== null, "64 hex digits (colons allowed)"),
  /** Plain TCP to the management server: only to a loopback address, only when set explicitly. */
  OPENGROOVE_MANAGEMENT_PLAIN_TCP: z
    .enum(["true", "false", "1", "0", "yes", "no"])
    .default("false")
    .transform((v) => ["true", "1", "yes"].includes(v)),
  OPENGROOVE_FEDERATION_ADVERTISE_HOST: z.string().max(253).default(""),
  OPENGROOVE_FEDERATION_MAX_BYTES_PER_REALM: z.coerce
    .number()
    .int()
    .min(0)
    .default(FEDERATION_DEFAULTS.maxInboundBytesPerPeer),
  OPENGROOVE_FEDERATION_OUTBOX_LEASE_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(3_600_000)
    .default(FEDERATION_DEFAULTS.outboxLeaseMs),
  OPENGROOVE_FEDERATION_RETRY_MAX_MS: z.coerce
    .number()
    .int()
    .min(100)
    .max(86_400_000)
    .default(FEDERATION_DEFAULTS.retryMaxMs),
});

export function federationFromEnv(env: z.infer<typeof federationEnvSchema>): FederationConfig | undefined {
  if (!env.OPENGROOVE_MANAGEMENT_ADDRESS) return undefined;
  if (
    env.OPENGROOVE_MANAGEMENT_PLAIN_TCP &&
    !/^(127\.\d+\.\d+\.\d+|\[?::1\]?|localhost):\d+$/.test(env.OPENGROOVE_MANAGEMENT_ADDRESS)
  ) {
    const e = new Error(
      `OPENGROOVE_MANAGEMENT_PLAIN_TCP: plain TCP to the management server is only allowed to a loopback address (OPENGROOVE_MANAGEMENT_ADDRESS is ${env.OPENGROOVE_MANAGEMENT_ADDRESS})`,
    );
    e.name = "ConfigError";
    throw e;
  }
  return {
    managementAddress: env.OPENGROOVE_MANAGEMENT_ADDRESS,
    managementTls: !env.OPENGROOVE_MANAGEMENT_PLAIN_TCP,
    managementFingerprint: normalizeFingerprint(env.OPENGROOVE_MANAGEMENT_FINGERPRINT) ?? "",
    enrollmentToken: env.OPENGROOVE_ENROLLMENT_TOKEN,
    advertiseHost: env.OPENGROOVE_FEDERATION_ADVERTISE_HOST,
    plainTcp: false,
    limits: {
      ...FEDERATION_DEFAULTS,
      maxInboundBytesPerPeer: env.OPENGROOVE_FEDERATION_MAX_BYTES_PER_REALM,
      outboxLeaseMs: env.OPENGROOVE_FEDERATION_OUTBOX_LEASE_MS,
      retryMaxMs: env.OPENGROOVE_FEDERATION_RETRY_MAX_MS,
    },
  };
}
