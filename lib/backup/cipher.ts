// The encrypted envelope of a backup file: a fixed header, then AES-256-GCM chunks so that a
// backup of any size streams in constant memory and every chunk is authenticated on its own.
//
//   header (53 bytes): "OGBACKUP" | format version u8 | kdf u8 (1 = scrypt) | log2 N u8 | r u8 | p u8
//                      | salt 16 | nonce prefix 8 | key check 16
//   chunk:             plaintext length u32 BE | ciphertext | GCM tag 16
//
// Each chunk's nonce is the 8-byte random prefix and its 4-byte index; its additional data is
// the whole header, the index and a final flag, so chunks cannot be reordered, moved between
// files or dropped from the end (the last chunk carries final = 1; a file that ends without it
// is truncated). The key check (second half of the scrypt output) tells a wrong passphrase
// apart from a damaged file before any chunk is read.
import crypto from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";

export const MAGIC = Buffer.from("OGBACKUP");
export const FORMAT_VERSION = 1;
const KDF_SCRYPT = 1;
const SALT_LEN = 16;
const PREFIX_LEN = 8;
const CHECK_LEN = 16;
export const HEADER_LEN = MAGIC.length + 5 + SALT_LEN + PREFIX_LEN + CHECK_LEN;
const TAG_LEN = 16;
export const CHUNK_SIZE = 1 << 20;
/** scrypt cost: N = 2^15, r = 8 (32 MiB, about 0.1 s): memory-hard, cheap next to a backup. */
const DEFAULT_LOG_N = 15;

export class BackupFileError extends Error {
  constructor(
    readonly kind: "not-a-backup" | "version" | "passphrase" | "truncated" | "corrupted",
    message: string,
  ) {
    super(message);
  }
}

interface Params {
  logN: number;
  r: number;
  p: number;
  salt: Buffer;
  prefix: Buffer;
}

function deriveKeys(passphrase: string, p: Params): { key: Buffer; check: Buffer } {
  const out = crypto.scryptSync(passphrase.normalize("NFC"), p.salt, 64, {
    N: 2 ** p.logN,
    r: p.r,
    p: p.p,
    maxmem: 256 * 2 ** p.logN * p.r + 1024 * 1024,
  });
  return { key: out.subarray(0, 32), check: out.subarray(32, 32 + CHECK_LEN) };
}

function nonce(prefix: Buffer, index: number): Buffer {
  const n = Buffer.alloc(12);
  prefix.copy(n, 0);
  n.writeUInt32BE(index, 8);
  return n;
}

function aad(header: Buffer, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = final ? 1 : 0;
  return Buffer.concat([header, tail]);
}

/** Encrypts a plaintext stream into the backup envelope. */
export function encryptStream(passphrase: string, logN = DEFAULT_LOG_N): Transform {
  const params: Params = {
    logN,
    r: 8,
    p: 1,
    salt: crypto.randomBytes(SALT_LEN),
    prefix: crypto.randomBytes(PREFIX_LEN),
  };
  const { key, check } = deriveKeys(passphrase, params);
  const header = Buffer.concat([
    MAGIC,
    Buffer.from([FORMAT_VERSION, KDF_SCRYPT, params.logN, params.r, params.p]),
    params.salt,
    params.prefix,
    check,
  ]);
  let index = 0;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  const seal = (t: Transform, data: Buffer, final: boolean) => {
    if (index === 0xffffffff) throw new Error("backup too large for one file");
    const c = crypto.createCipheriv("aes-256-gcm", key, nonce(params.prefix, index));
    c.setAAD(aad(header, index, final));
    const body = Buffer.concat([c.update(data), c.final()]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    t.push(Buffer.concat([len, body, c.getAuthTag()]));
    index++;
  };
  return new Transform({
    construct(cb) {
      this.push(header);
      cb();
    },
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      pending.push(chunk);
      pendingLen += chunk.length;
      try {
        while (pendingLen > CHUNK_SIZE) {
          const all = Buffer.concat(pending);
          seal(this, all.subarray(0, CHUNK_SIZE), false);
          pending = [all.subarray(CHUNK_SIZE)];
          pendingLen = pending[0].length;
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        seal(this, Buffer.concat(pending), true);
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}

/** Parses and checks the header against the passphrase; returns the key material. */
function openHeader(header: Buffer, passphrase: string): { key: Buffer; prefix: Buffer } {
  if (header.length < MAGIC.length || !header.subarray(0, MAGIC.length).equals(MAGIC))
    throw new BackupFileError("not-a-backup", "not an OpenGroove backup file (bad magic bytes)");
  if (header.length < HEADER_LEN)
    throw new BackupFileError("truncated", "backup file is truncated (incomplete header)");
  const version = header[8];
  if (version !== FORMAT_VERSION)
    throw new BackupFileError(
      "version",
      `backup format version ${version} is not supported by this version of OpenGroove (it reads version ${FORMAT_VERSION})`,
    );
  if (header[9] !== KDF_SCRYPT || header[10] < 10 || header[10] > 22 || header[11] < 1 || header[12] < 1)
    throw new BackupFileError("corrupted", "backup file header is corrupted (unknown key derivation parameters)");
  let o = 13;
  const params: Params = {
    logN: header[10],
    r: header[11],
    p: header[12],
    salt: header.subarray(o, (o += SALT_LEN)),
    prefix: header.subarray(o, (o += PREFIX_LEN)),
  };
  const stored = header.subarray(o, o + CHECK_LEN);
  const { key, check } = deriveKeys(passphrase, params);
  if (!crypto.timingSafeEqual(stored, check))
    throw new BackupFileError(
      "passphrase",
      "wrong passphrase: OPENGROOVE_BACKUP_KEY does not open this backup (or its header is damaged)",
    );
  return { key, prefix: params.prefix };
}

/**
 * Decrypts the backup envelope. Every chunk is authenticated before its plaintext is passed on;
 * errors are BackupFileError (wrong passphrase, truncated, corrupted).
 */
export function decryptStream(passphrase: string): Transform {
  let buf: Buffer = Buffer.alloc(0);
  let header: Buffer | undefined;
  let keys: { key: Buffer; prefix: Buffer } | undefined;
  let index = 0;
  let done = false;

  // Non-final chunks are always exactly CHUNK_SIZE long, so a shorter one can only be final.
  const openChunk = (body: Buffer, tag: Buffer): Buffer => {
    for (const final of body.length < CHUNK_SIZE ? [true] : [false, true]) {
      const d = crypto.createDecipheriv("aes-256-gcm", keys!.key, nonce(keys!.prefix, index));
      d.setAAD(aad(header!, index, final));
      d.setAuthTag(tag);
      try {
        const plain = Buffer.concat([d.update(body), d.final()]);
        index++;
        done = final;
        return plain;
      } catch {
        /* try the other flag, then report */
      }
    }
    throw new BackupFileError(
      "corrupted",
      `backup file is corrupted: chunk ${index} failed authentication (the file was altered or damaged)`,
    );
  };

  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      try {
        if (!header) {
          if (buf.length < HEADER_LEN) {
            if (buf.length >= MAGIC.length && !buf.subarray(0, MAGIC.length).equals(MAGIC))
              throw new BackupFileError("not-a-backup", "not an OpenGroove backup file (bad magic bytes)");
            return cb();
          }
          header = Buffer.from(buf.subarray(0, HEADER_LEN));
          keys = openHeader(header, passphrase);
          buf = buf.subarray(HEADER_LEN);
        }
        while (buf.length >= 4) {
          if (done) throw new BackupFileError("corrupted", "backup file is corrupted (data after the final chunk)");
          const len = buf.readUInt32BE(0);
          if (len > CHUNK_SIZE)
            throw new BackupFileError("corrupted", `backup file is corrupted (chunk ${index} has a bad length)`);
          const total = 4 + len + TAG_LEN;
          if (buf.length < total) break;
          const plain = openChunk(buf.subarray(4, 4 + len), buf.subarray(4 + len, total));
          buf = buf.subarray(total);
          if (plain.length) this.push(plain);
        }
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    flush(cb) {
      try {
        if (!header) openHeader(buf, passphrase); // throws: bad magic or truncated header
        if (!done || buf.length)
          throw new BackupFileError(
            "truncated",
            `backup file is truncated: it ends after ${index} complete chunk(s) without the final chunk`,
          );
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
  });
}
