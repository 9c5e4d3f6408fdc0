// The record of backup runs (table backup_runs): written after each run, read by the console
// dashboard and the realm daemon's /metrics.
import pg from "pg";

export interface BackupRunRecord {
  ok: boolean;
  trigger: "scheduled" | "manual";
  file: string;
  bytes: number;
  sha256?: string;
  error?: string;
  startedAt: Date;
}

/** Records a run; never throws (a backup must not fail because its record could not be written). */
export async function recordBackupRun(databaseUrl: string, run: BackupRunRecord): Promise<void> {
  const c = new pg.Client({ connectionString: databaseUrl, application_name: "opengroove-backup" });
  try {
    await c.connect();
    await c.query(
      `INSERT INTO backup_runs ("startedAt", "finishedAt", ok, trigger, file, bytes, sha256, error)
       VALUES ($1, now(), $2, $3, $4, $5, $6, $7)`,
      [run.startedAt, run.ok, run.trigger, run.file, run.bytes, run.sha256 ?? null, run.error?.slice(0, 1000) ?? null],
    );
  } catch {
    /* e.g. a database from before the backup_runs migration */
  } finally {
    await c.end().catch(() => undefined);
  }
}

export interface BackupStatus {
  last: { ok: boolean; finishedAt: Date; file: string; bytes: bigint; error: string | null } | null;
  lastSuccessAt: Date | null;
}

type Queryable = Pick<pg.Pool, "query">;

export async function backupStatus(db: Queryable): Promise<BackupStatus> {
  const r = await db.query<{ ok: boolean; finishedAt: Date; file: string; bytes: string; error: string | null }>(
    `SELECT ok, "finishedAt", file, bytes::text AS bytes, error FROM backup_runs ORDER BY "finishedAt" DESC, id DESC LIMIT 1`,
  );
  const s = await db.query<{ at: Date | null }>(`SELECT max("finishedAt") AS at FROM backup_runs WHERE ok`);
  const last = r.rows[0];
  return {
    last: last ? { ...last, bytes: BigInt(last.bytes) } : null,
    lastSuccessAt: s.rows[0]?.at ?? null,
  };
}

/** Prometheus lines for the last backup run (gauges; absent values are left out). */
