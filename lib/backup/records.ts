// The plaintext inside a backup: a sequence of records `type u8 | length u32 BE | payload`.
//   MANIFEST  JSON: format, creation time, migrations, tables (name, columns, row count)
//   TABLE     JSON: { name, columns } — the rows that follow are PostgreSQL COPY text format
//   DATA      raw COPY text bytes (binary-safe: bytea is hex-escaped by COPY)
//   TABLE_END JSON: { name, rows }
//   FILE      JSON: { name, data (base64) } — a secret file of the data directory (secret-files.ts)
//   END       JSON: { sha256 } of every record byte before END (the content checksum)
import crypto from "node:crypto";
import type { Readable } from "node:stream";
import { BackupFileError } from "./cipher.ts";

export const RecordType = { MANIFEST: 1, TABLE: 2, DATA: 3, TABLE_END: 4, END: 5, FILE: 6 } as const;
export type RecordTypeValue = (typeof RecordType)[keyof typeof RecordType];

export const MAX_RECORD = 8 << 20;

export interface TableManifest {
  name: string;
  columns: string[];
  rows: number;
}

export interface BackupManifest {
  format: 1;
  createdAt: string;
  /** Applied Prisma migrations of the source database, oldest first. */
  migrations: string[];
  /** In dependency order (a table comes after every table it references). */
  tables: TableManifest[];
  /** Tables left out on purpose (live process state, recreated by migrations). */
  excluded: string[];
  postgresVersion: string;
  /** Names of the data directory's secret files carried in FILE records (absent in older backups). */
  files?: string[];
}

export function encodeRecord(type: RecordTypeValue, payload: Buffer | object): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const head = Buffer.alloc(5);
  head[0] = type;
  head.writeUInt32BE(body.length, 1);
  return Buffer.concat([head, body]);
}

export interface BackupRecord {
  type: RecordTypeValue;
  payload: Buffer;
}

/** Reads records from the decrypted stream; checks the END checksum and that nothing follows it. */
export async function* readRecords(plain: Readable): AsyncGenerator<BackupRecord> {
  const hash = crypto.createHash("sha256");
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  for await (const chunk of plain as AsyncIterable<Buffer>) {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    while (buf.length >= 5) {
      if (ended) throw new BackupFileError("corrupted", "backup content is corrupted (records after the end record)");
      const type = buf[0];
      const len = buf.readUInt32BE(1);
      if (type < 1 || type > RecordType.FILE || len > MAX_RECORD)
        throw new BackupFileError("corrupted", "backup content is corrupted (bad record header)");
      if (buf.length < 5 + len) break;
      const rec = buf.subarray(0, 5 + len);
      const payload = Buffer.from(rec.subarray(5));
      buf = buf.subarray(5 + len);
      if (type === RecordType.END) {
        const { sha256 } = JSON.parse(payload.toString("utf8")) as { sha256: string };
        const got = hash.digest("hex");
        if (sha256 !== got)
          throw new BackupFileError("corrupted", `backup content checksum mismatch (expected ${sha256}, got ${got})`);
        ended = true;
      } else hash.update(rec);
      yield { type: type as RecordTypeValue, payload };
    }
  }
  if (!ended || buf.length) throw new BackupFileError("truncated", "backup content is truncated (no end record)");
}

export function json<T>(r: BackupRecord): T {
  try {
    return JSON.parse(r.payload.toString("utf8")) as T;
  } catch {
    throw new BackupFileError("corrupted", "backup content is corrupted (unreadable record)");
  }
}
