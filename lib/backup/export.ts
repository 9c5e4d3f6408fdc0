// Online backup: every table is copied out with COPY ... TO STDOUT inside ONE read-only
// REPEATABLE READ transaction, so the file is one consistent snapshot of the database while
// clients keep writing (PostgreSQL's MVCC; nothing is locked beyond ACCESS SHARE). The stream
// goes through the encrypting envelope into FILE.partial, renamed to FILE only when complete.
import crypto from "node:crypto";
import fs from "node:fs";
import { once } from "node:events";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import copyStreams from "pg-copy-streams";
import { encryptStream } from "./cipher.ts";
import { appliedMigrations, EXCLUDED_TABLES, quoteIdent, tablesInDependencyOrder } from "./catalog.ts";
import { encodeRecord, RecordType, type BackupManifest } from "./records.ts";
import { readSecretFiles } from "./secret-files.ts";

export interface BackupProgress {
  table: string;
  rowsDone: number;
  rowsTotal: number;
  bytesWritten: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  /** sha256 of the file as written (also in FILE.sha256, `sha256sum -c` format). */
  sha256: string;
  manifest: BackupManifest;
  ms: number;
}

const DATA_BATCH = 256 * 1024;

export async function writeBackup(
  databaseUrl: string,
  file: string,
  opts: {
    passphrase: string;
    onProgress?: (p: BackupProgress) => void;
    kdfLogN?: number;
    /** The install's data directory: its secret files go into the backup too. */
    dataDir?: string;
  },
): Promise<BackupResult> {
  const started = Date.now();
  const client = new pg.Client({ connectionString: databaseUrl, application_name: "opengroove-backup" });
  await client.connect();
  const partial = `${file}.partial`;
  const plain = new PassThrough();
  const fileHash = crypto.createHash("sha256");
  let bytesWritten = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, cb) {
      fileHash.update(chunk);
      bytesWritten += chunk.length;
      cb(null, chunk);
    },
  });
  const out = fs.createWriteStream(partial, { mode: 0o600 });
  const written = pipeline(plain, encryptStream(opts.passphrase, opts.kdfLogN), tap, out);
  written.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
  const content = crypto.createHash("sha256");
  const emit = async (type: Parameters<typeof encodeRecord>[0], payload: Buffer | object) => {
    const rec = encodeRecord(type, payload);
    content.update(rec);
    if (!plain.write(rec)) await Promise.race([once(plain, "drain"), written]);
  };
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const tables = await tablesInDependencyOrder(client);
    const counts: number[] = [];
    for (const t of tables) {
      const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(t.name)}`);
      counts.push(Number(r.rows[0].n));
    }
    const secrets = opts.dataDir ? readSecretFiles(opts.dataDir) : [];
    const manifest: BackupManifest = {
      format: 1,
      createdAt: new Date().toISOString(),
      migrations: await appliedMigrations(client),
      tables: tables.map((t, i) => ({ name: t.name, columns: t.columns, rows: counts[i] })),
      excluded: EXCLUDED_TABLES,
      postgresVersion: (await client.query<{ v: string }>("SHOW server_version")).rows[0].v,
      files: secrets.map((f) => f.name),
    };
    await emit(RecordType.MANIFEST, manifest);
    for (const f of secrets) await emit(RecordType.FILE, f);
    const rowsTotal = counts.reduce((a, b) => a + b, 0);
    let rowsDone = 0;
    for (const t of manifest.tables) {
      await emit(RecordType.TABLE, { name: t.name, columns: t.columns });
      const cols = t.columns.map(quoteIdent).join(", ");
      const copy = client.query(copyStreams.to(`COPY ${quoteIdent(t.name)} (${cols}) TO STDOUT`));
      let batch: Buffer[] = [];
      let batchLen = 0;
      let rows = 0;
      for await (const chunk of copy as AsyncIterable<Buffer>) {
        // COPY text format escapes newlines inside values: each newline ends one row.
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) rows++;
        batch.push(chunk);
        batchLen += chunk.length;
        if (batchLen >= DATA_BATCH) {
          await emit(RecordType.DATA, Buffer.concat(batch));
          batch = [];
          batchLen = 0;
          opts.onProgress?.({ table: t.name, rowsDone: rowsDone + rows, rowsTotal, bytesWritten });
        }
      }
      if (batchLen) await emit(RecordType.DATA, Buffer.concat(batch));
      if (rows !== t.rows) throw new Error(`table ${t.name}: copied ${rows} rows, the snapshot counted ${t.rows}`);
      rowsDone += rows;
      await emit(RecordType.TABLE_END, { name: t.name, rows });
      opts.onProgress?.({ table: t.name, rowsDone, rowsTotal, bytesWritten });
    }
    await client.query("COMMIT");
    const sha = content.digest("hex");
    const end = encodeRecord(RecordType.END, { sha256: sha });
    plain.end(end);
    await written;
    const fileSha = fileHash.digest("hex");
    fs.renameSync(partial, file);
    fs.writeFileSync(`${file}.sha256`, `${fileSha}  ${file.split("/").pop()}\n`);
    opts.onProgress?.({ table: "", rowsDone: rowsTotal, rowsTotal, bytesWritten });
    return { file, bytes: bytesWritten, sha256: fileSha, manifest, ms: Date.now() - started };
  } catch (e) {
    plain.destroy();
    await written.catch(() => undefined);
    fs.rmSync(partial, { force: true });
    throw e;
  } finally {
    await client.end().catch(() => undefined);
  }
}
