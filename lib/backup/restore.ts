// Restore: checks the passphrase on the header, refuses a non-empty target, runs the
// migrations, then loads every table with COPY ... FROM STDIN in the file's (dependency) order
// inside ONE transaction, resets the sequences and commits only after the end record's checksum
// matched — a wrong, truncated or damaged file leaves the target exactly as it was.
import fs from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { BackupFileError, decryptStream, HEADER_LEN } from "./cipher.ts";
import { nonEmptyTables, quoteIdent, resetSequences, tablesInDependencyOrder } from "./catalog.ts";
import { json, readRecords, RecordType, type BackupManifest } from "./records.ts";
import type { SecretFile } from "./secret-files.ts";

export class RestoreRefusedError extends Error {}

/** Reads only the header: throws BackupFileError for a wrong passphrase or a file that is no backup. */
export async function checkPassphrase(file: string, passphrase: string): Promise<void> {
  const fd = await fs.promises.open(file, "r");
  try {
    const buf = Buffer.alloc(HEADER_LEN + 4);
    const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
    const d = decryptStream(passphrase);
    await new Promise<void>((resolve, reject) => {
      d.on("error", reject);
      d.write(buf.subarray(0, bytesRead), (e) => (e ? reject(e) : resolve()));
    });
    d.destroy();
  } finally {
    await fd.close();
  }
}

/**
 * Reads the whole file once (decrypting, checking every chunk and the content checksum) without
 * touching any database: a truncated or damaged file is refused before a target is created.
 */
export async function verifyBackup(file: string, passphrase: string): Promise<BackupManifest> {
  const input = fs.createReadStream(file);
  const plain = input.pipe(decryptStream(passphrase));
  input.on("error", (e) => plain.destroy(e));
  let manifest: BackupManifest | undefined;
  try {
    for await (const rec of readRecords(plain))
      if (rec.type === RecordType.MANIFEST) manifest = json<BackupManifest>(rec);
  } finally {
    plain.destroy();
    input.destroy();
  }
  if (!manifest) throw new BackupFileError("corrupted", "backup content is corrupted (no manifest)");
  return manifest;
}

/** Throws RestoreRefusedError when the database holds any row (outside the migrations table). */
export async function assertEmptyDatabase(databaseUrl: string): Promise<void> {
  const c = new pg.Client(databaseUrl);
  await c.connect();
  try {
    const full = await nonEmptyTables(c);
    if (full.length)
      throw new RestoreRefusedError(
        `refusing to restore: the target database is not empty (tables with rows: ${full.slice(0, 5).join(", ")}${full.length > 5 ? ", ..." : ""}). Restore only into an empty database or a new data directory.`,
      );
  } finally {
    await c.end();
  }
}

export interface RestoreProgress {
  table: string;
  rowsDone: number;
  rowsTotal: number;
}

export interface RestoreResult {
  manifest: BackupManifest;
  rows: Record<string, number>;
  sequences: number;
  /** The data directory's secret files carried by the backup (write them with writeSecretFiles). */
  files: SecretFile[];
}

export async function restoreBackup(
  file: string,
  databaseUrl: string,
  opts: {
    passphrase: string;
    /** Applies the migrations of this version to the (empty) target. */
    migrate: (databaseUrl: string) => Promise<void>;
    localMigrations: string[];
    onProgress?: (p: RestoreProgress) => void;
  },
): Promise<RestoreResult> {
  await checkPassphrase(file, opts.passphrase);
  await assertEmptyDatabase(databaseUrl);
  const input = fs.createReadStream(file);
  const plain = input.pipe(decryptStream(opts.passphrase));
  input.on("error", (e) => plain.destroy(e));
  const records = readRecords(plain);
  const first = await records.next();
  if (first.done || first.value.type !== RecordType.MANIFEST)
    throw new BackupFileError("corrupted", "backup content is corrupted (no manifest)");
  const manifest = json<BackupManifest>(first.value);
  const unknown = manifest.migrations.filter((m) => !opts.localMigrations.includes(m));
  if (unknown.length)
    throw new RestoreRefusedError(
      `refusing to restore: the backup was made by a newer OpenGroove (unknown migrations: ${unknown.join(", ")}); install that version or newer first`,
    );

  await opts.migrate(databaseUrl);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "opengroove-restore" });
  client.on("error", () => undefined); // reported through the failing query instead
  await client.connect();
  let copy: Writable | undefined;
  try {
    await client.query("BEGIN");
    const target = new Map((await tablesInDependencyOrder(client)).map((t) => [t.name, new Set(t.columns)]));
    const expected = new Map(manifest.tables.map((t) => [t.name, t.rows]));
    const rowsTotal = manifest.tables.reduce((a, t) => a + t.rows, 0);
    const rows: Record<string, number> = {};
    let rowsDone = 0;
    let current: string | undefined;
    let sawEnd = false;
    const files: SecretFile[] = [];
    for await (const rec of records) {
      if (rec.type === RecordType.FILE) {
        files.push(json<SecretFile>(rec));
      } else if (rec.type === RecordType.TABLE) {
        const t = json<{ name: string; columns: string[] }>(rec);
        const cols = target.get(t.name);
        if (!cols) throw new RestoreRefusedError(`table ${t.name} of the backup does not exist in this version`);
        const missing = t.columns.filter((c) => !cols.has(c));
        if (missing.length)
          throw new RestoreRefusedError(
            `columns ${missing.join(", ")} of table ${t.name} do not exist in this version`,
          );
        current = t.name;
        const list = t.columns.map(quoteIdent).join(", ");
        copy = client.query(copyStreams.from(`COPY ${quoteIdent(t.name)} (${list}) FROM STDIN`));
      } else if (rec.type === RecordType.DATA) {
        if (!copy) throw new BackupFileError("corrupted", "backup content is corrupted (rows outside a table)");
        if (!copy.write(rec.payload)) await once(copy, "drain");
      } else if (rec.type === RecordType.TABLE_END) {
        const t = json<{ name: string; rows: number }>(rec);
        if (!copy || t.name !== current || expected.get(t.name) !== t.rows)
          throw new BackupFileError("corrupted", `backup content is corrupted (table ${t.name} does not add up)`);
        const done = once(copy, "finish");
        copy.end();
        await done;
        copy = undefined;
        rows[t.name] = t.rows;
        rowsDone += t.rows;
        opts.onProgress?.({ table: t.name, rowsDone, rowsTotal });
      } else if (rec.type === RecordType.END) {
        sawEnd = true;
      } else throw new BackupFileError("corrupted", "backup content is corrupted (unexpected record)");
    }
    if (!sawEnd || copy) throw new BackupFileError("truncated", "backup content is truncated (no end record)");
    const count = await client.query<{ table: string; n: string }>(
      manifest.tables
        .map((t) => `SELECT '${t.name.replaceAll("'", "''")}' AS table, count(*) AS n FROM ${quoteIdent(t.name)}`)
        .join(" UNION ALL "),
    );
    for (const r of count.rows)
      if (Number(r.n) !== expected.get(r.table))
        throw new Error(`table ${r.table}: ${r.n} rows loaded, the backup holds ${expected.get(r.table)}`);
    const sequences = await resetSequences(client);
    await client.query("COMMIT");
    return { manifest, rows, sequences, files };
  } catch (e) {
    // A COPY in progress is aborted with CopyFail (destroy), then the transaction rolled back.
    if (copy) {
      copy.on("error", () => undefined);
      const closed = once(copy, "close").catch(() => undefined);
      copy.destroy(e as Error);
      await closed;
    }
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    plain.destroy();
    input.destroy();
    await client.end().catch(() => undefined);
  }
}
