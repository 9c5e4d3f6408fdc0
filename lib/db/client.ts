// One Prisma client (driver adapter over node-postgres) and one pg pool per process.
// Hot paths that need more than the ORM gives (conditional counter updates, bytea blocks) use
// parameterised SQL on the same pool.
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.ts";

export type Db = PrismaClient;

export interface DbHandle {
  prisma: PrismaClient;
  pool: pg.Pool;
  close(): Promise<void>;
}

// Our raw-SQL pool reads BIGINT as bigint. This must not be set globally: Prisma's adapter
// expects pg's default (string) parsing on its own connections.
const rawTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20 && format !== "binary") return (v: string) => BigInt(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function connectDb(url: string, opts: { max?: number; applicationName?: string } = {}): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    application_name: opts.applicationName ?? "opengroove",
    types: rawTypes,
  });
  // An idle client's error (e.g. the server restarting) must not crash the process.
  pool.on("error", () => undefined);
  // Nor a checked-out one's: the pool removes its own listener while a client is lent out, and a
  // connection that dies then (PostgreSQL restarted in the middle of a transaction, or between
  // its statements) would emit an unhandled 'error' and kill the daemon. The statement in flight
  // still fails with the error; the dead client is dropped by the pool on release.
  pool.on("connect", (client) => client.on("error", () => undefined));
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: url, max: opts.max ?? 10 }) });
  return {
    prisma,
    pool,
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

const globalForDb = globalThis as unknown as { __ogDb?: DbHandle };

/** Process-wide handle from DATABASE_URL (the Next.js app and the daemons). */
export function db(): DbHandle {
  if (!globalForDb.__ogDb) {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set");
    globalForDb.__ogDb = connectDb(url);
  }
  return globalForDb.__ogDb;
}
