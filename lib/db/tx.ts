// One transaction on a pooled connection: BEGIN, the callback, COMMIT; ROLLBACK on any error.
// The one helper every domain module, the federation stores and the daemons use.
import type pg from "pg";

export async function tx<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query("BEGIN");
    const r = await fn(c);
    await c.query("COMMIT");
    return r;
  } catch (e) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}
