// What a backup holds, read from PostgreSQL's catalog: the tables of the public schema in
// dependency order (every table after the tables its foreign keys reference), their columns,
// and the sequences behind serial/identity columns.
import type pg from "pg";

/**
 * Left out of every backup: `_prisma_migrations` is recreated by running the migrations on
 * restore; daemon_instances and presences describe processes that were running at backup time;
 * rate_limit_buckets hold minute-long counting windows.
 */
export const EXCLUDED_TABLES = ["_prisma_migrations", "daemon_instances", "presences", "rate_limit_buckets"];

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export interface TableInfo {
  name: string;
  columns: string[];
}

/** Every table of the public schema (backup exclusions left out), parents before children. */
export async function tablesInDependencyOrder(c: pg.ClientBase): Promise<TableInfo[]> {
  const cols = await c.query<{ table: string; column: string }>(
    `SELECT c.relname AS table, a.attname AS column
       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
        AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      ORDER BY c.relname, a.attnum`,
  );
  const fks = await c.query<{ child: string; parent: string }>(
    `SELECT ch.relname AS child, pa.relname AS parent
       FROM pg_constraint k JOIN pg_class ch ON ch.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid
      WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace`,
  );
  const columns = new Map<string, string[]>();
  for (const r of cols.rows) {
    if (EXCLUDED_TABLES.includes(r.table)) continue;
    columns.set(r.table, [...(columns.get(r.table) ?? []), r.column]);
  }
  const parents = new Map<string, Set<string>>();
  for (const f of fks.rows) {
    if (f.child === f.parent) continue; // self-references are not ordered by table
    parents.set(f.child, (parents.get(f.child) ?? new Set()).add(f.parent));
  }
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (t: string) => {
    if (state.get(t) === "done") return;
    if (state.get(t) === "visiting") throw new Error(`foreign keys form a cycle through table ${t}`);
    state.set(t, "visiting");
    for (const p of [...(parents.get(t) ?? [])].sort()) if (columns.has(p)) visit(p);
    state.set(t, "done");
    order.push(t);
  };
  for (const t of [...columns.keys()].sort()) visit(t);
  return order.map((name) => ({ name, columns: columns.get(name)! }));
}

/** Applied migrations, oldest first (empty when the table does not exist). */
export async function appliedMigrations(c: pg.ClientBase): Promise<string[]> {
  const t = await c.query<{ t: string | null }>(`SELECT to_regclass('public._prisma_migrations')::text AS t`);
  if (!t.rows[0].t) return [];
  const r = await c.query<{ migration_name: string }>(
    `SELECT migration_name FROM _prisma_migrations
      WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`,
  );
  return r.rows.map((x) => x.migration_name);
}

/** Names of tables that hold at least one row (restore refuses such a target). */
export async function nonEmptyTables(c: pg.ClientBase): Promise<string[]> {
  const tables = await c.query<{ name: string }>(
    `SELECT relname AS name FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p') ORDER BY 1`,
  );
  const out: string[] = [];
  for (const { name } of tables.rows) {
    if (name === "_prisma_migrations") continue;
    const r = await c.query(`SELECT 1 FROM ${quoteIdent(name)} LIMIT 1`);
    if (r.rowCount) out.push(name);
  }
  return out;
}

/** Moves every serial/identity sequence past the highest restored value of its column. */
export async function resetSequences(c: pg.ClientBase): Promise<number> {
  const r = await c.query<{ table: string; column: string; seq: string }>(
    `SELECT c.relname AS table, a.attname AS column, pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS seq
       FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL`,
  );
  for (const s of r.rows)
    await c.query(
      `SELECT setval($1, COALESCE((SELECT max(${quoteIdent(s.column)}) FROM ${quoteIdent(s.table)}), 0) + 1, false)`,
      [s.seq],
    );
  return r.rowCount ?? 0;
}
