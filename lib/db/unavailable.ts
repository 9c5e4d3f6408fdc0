// Whether an error means "the database cannot be reached right now" (PostgreSQL stopped,
// restarting, refusing connections, a connection cut in the middle of a statement) rather than
// a fault in the request or in the code. Such a request did not complete (its transaction was
// rolled back or never started), so the peer is told BUSY ("retry in a moment") instead of
// INTERNALERROR. Errors arrive in three shapes: node-postgres' own (raw SQL on the pool),
// Prisma's driver-adapter errors (kind + original code) and Prisma's known request errors (P1xxx).

/** SQLSTATEs of a server going away or not accepting connections yet. */
const PG_CODES = new Set([
  "57P01", // admin_shutdown (PostgreSQL stopped with connections open)
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, shutting down, in recovery)
  "53300", // too_many_connections
  "08000", // connection_exception
  "08001", // sqlclient_unable_to_establish_sqlconnection
  "08003", // connection_does_not_exist
  "08004", // sqlserver_rejected_establishment_of_sqlconnection
  "08006", // connection_failure
]);

/** Socket errors of the client side of a database connection. */
const SOCKET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH"]);

/** Prisma's codes for an unreachable database, a closed connection, a timeout, a pool that could not connect. */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2037"]);

/** Driver-adapter error kinds (@prisma/adapter-pg's convertDriverError). */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);

/** node-postgres' messages for a connection lost or never made (they carry no code). */
const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
  /^Connection ended unexpectedly/,
];

export function isDatabaseUnavailable(e: unknown): boolean {
  const seen = new Set<unknown>();
  // Walk the wrappers: Prisma error → meta.driverAdapterError → its cause; Error.cause; AggregateError.
  const stack: unknown[] = [e];
  while (stack.length) {
    const x = stack.pop();
    if (!x || typeof x !== "object" || seen.has(x)) continue;
    seen.add(x);
    const o = x as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
      errors?: unknown;
    };
    if (typeof o.code === "string" && (PG_CODES.has(o.code) || SOCKET_CODES.has(o.code) || PRISMA_CODES.has(o.code)))
      return true;
    if (typeof o.originalCode === "string" && PG_CODES.has(o.originalCode)) return true;
    if (typeof o.kind === "string" && ADAPTER_KINDS.has(o.kind)) return true;
    if (typeof o.message === "string" && PG_MESSAGES.some((re) => re.test(o.message as string))) return true;
    stack.push(o.cause, o.meta?.driverAdapterError);
    if (Array.isArray(o.errors)) stack.push(...(o.errors as unknown[]));
  }
  return false;
}

/** The text sent with BUSY when the database is unreachable. */
export const DATABASE_UNAVAILABLE_TEXT =
  "the database is unavailable right now; nothing was done, retry in a few seconds";
