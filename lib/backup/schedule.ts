// Scheduled backups run by the launcher: every interval, a backup into the backup directory
// named by its UTC time, then the oldest scheduled backups beyond `keep` are deleted. Each run
// is recorded in backup_runs (dashboard, /metrics). Runs never overlap.
import fs from "node:fs";
import path from "node:path";
import { writeBackup } from "./export.ts";
import { recordBackupRun } from "./runs.ts";

export interface ScheduleOptions {
  databaseUrl: string;
  dir: string;
  intervalMs: number;
  keep: number;
  passphrase: string;
  /** The install's data directory (its secret files are backed up too). */
  dataDir?: string;
  onResult: (r: { ok: boolean; file: string; bytes: number; error?: string; pruned: string[] }) => void;
}

const NAME = /^opengroove-\d{8}T\d{6}Z\.ogbackup$/;

export function backupFileName(at = new Date()): string {
  return `opengroove-${at
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}.ogbackup`;
}

/** Deletes the oldest scheduled backups (and their .sha256) so that `keep` remain. */
export function pruneBackups(dir: string, keep: number): string[] {
  const files = fs
    .readdirSync(dir)
    .filter((f) => NAME.test(f))
    .sort();
  const gone = files.slice(0, Math.max(0, files.length - keep));
  for (const f of gone) {
    fs.rmSync(path.join(dir, f), { force: true });
    fs.rmSync(path.join(dir, `${f}.sha256`), { force: true });
  }
  return gone;
}

export async function runScheduledBackup(o: Omit<ScheduleOptions, "intervalMs">): Promise<void> {
  const startedAt = new Date();
  const file = path.join(o.dir, backupFileName(startedAt));
  try {
    fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
    const r = await writeBackup(o.databaseUrl, file, { passphrase: o.passphrase, dataDir: o.dataDir });
    await recordBackupRun(o.databaseUrl, {
      ok: true,
      trigger: "scheduled",
      file,
      bytes: r.bytes,
      sha256: r.sha256,
      startedAt,
    });
    o.onResult({ ok: true, file, bytes: r.bytes, pruned: pruneBackups(o.dir, o.keep) });
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    await recordBackupRun(o.databaseUrl, { ok: false, trigger: "scheduled", file, bytes: 0, error, startedAt });
    o.onResult({ ok: false, file, bytes: 0, error, pruned: [] });
  }
}

export function startBackupSchedule(o: ScheduleOptions): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void runScheduledBackup(o).finally(() => (running = false));
  }, o.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
