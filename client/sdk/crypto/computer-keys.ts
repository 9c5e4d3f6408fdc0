// Per-computer keys (issue #16): the API the SDK, CLI, LAN discovery and direct connections use.
// Pure key code lives in keys-core.ts (browser-safe); this file adds the CLI's key file.
import fs from "node:fs/promises";
import path from "node:path";
import { fromBase64Url, toBase64Url } from "./bytes.ts";
import { generateComputerKeys, keysFromPrivate, rotationStatement, sign, type ComputerKeys } from "./keys-core.ts";

export * from "./keys-core.ts";

/** A key file: the current keys and earlier ones (kept to open messages sealed before a rotation). */
export interface KeyFileContents {
  current: ComputerKeys;
  previous: ComputerKeys[];
  /** After a rotation: the previous Ed25519 key's signature over the current public keys (base64url). */
  rotation?: string;
}

interface StoredKeys {
  x25519: string;
  ed25519: string;
  createdAt?: string;
}

function encodeKeys(k: ComputerKeys): StoredKeys {
  return { x25519: toBase64Url(k.x25519.privateKey), ed25519: toBase64Url(k.ed25519.privateKey) };
}

function decodeKeys(v: unknown, file: string): ComputerKeys {
  const s = v as Partial<StoredKeys> | undefined;
  const x = typeof s?.x25519 === "string" ? fromBase64Url(s.x25519) : undefined;
  const e = typeof s?.ed25519 === "string" ? fromBase64Url(s.ed25519) : undefined;
  if (!x || !e || x.length !== 32 || e.length !== 32) throw new Error(`${file}: the computer key file is damaged`);
  return keysFromPrivate(x, e);
}

/** Reads a key file; undefined when it does not exist. Throws on a damaged file (never overwritten). */
export async function readKeyFile(file: string): Promise<KeyFileContents | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  let v: { version?: number; current?: unknown; previous?: unknown; rotation?: unknown };
  try {
    v = JSON.parse(text);
  } catch {
    throw new Error(`${file}: the computer key file is not valid JSON`);
  }
  if (v.version !== 1) throw new Error(`${file}: unknown computer key file version ${String(v.version)}`);
  const previous = Array.isArray(v.previous) ? v.previous.map((p) => decodeKeys(p, file)) : [];
  const rotation = typeof v.rotation === "string" ? v.rotation : undefined;
  return { current: decodeKeys(v.current, file), previous, ...(rotation ? { rotation } : {}) };
}

/** Writes the key file atomically, mode 0600 in a 0700 directory. */
export async function writeKeyFile(file: string, contents: KeyFileContents): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const body = JSON.stringify(
    {
      version: 1,
      current: encodeKeys(contents.current),
      previous: contents.previous.map(encodeKeys),
      ...(contents.rotation ? { rotation: contents.rotation } : {}),
    },
    null,
    2,
  );
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, `${body}\n`, { mode: 0o600 });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}

/**
 * The computer's keys from `file`, created (mode 0600) on first use. Two processes racing to
 * create it agree on one key pair: the file is created exclusively and the loser reads it back.
 */
export async function loadOrCreateComputerKeys(file: string): Promise<ComputerKeys> {
  const existing = await readKeyFile(file);
  if (existing) return existing.current;
  const keys = generateComputerKeys();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const body = `${JSON.stringify({ version: 1, current: encodeKeys(keys), previous: [] }, null, 2)}\n`;
  try {
    const h = await fs.open(file, "wx", 0o600);
    try {
      await h.writeFile(body);
      await h.sync();
    } finally {
      await h.close();
    }
    return keys;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    // Another process won the race; wait for its complete file.
    for (let i = 0; i < 50; i++) {
      try {
        const won = await readKeyFile(file);
        if (won) return won.current;
      } catch {
        /* half-written by the winner: retry */
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`${file}: another process is creating the computer key file and did not finish`);
  }
}

/**
 * Replaces the computer's keys with new ones. The old pair is kept (to open messages already
 * sealed to it) and signs the new public keys: that proof is published with them, so contacts
 * who remembered the old key accept the change without a warning. Returns the new contents.
 */
export async function rotateKeyFile(file: string): Promise<KeyFileContents> {
  const old = await readKeyFile(file);
  if (!old) throw new Error(`${file}: no computer keys to rotate yet`);
  const next = generateComputerKeys();
  const proof = sign(
    old.current,
    rotationStatement({ x25519: next.x25519.publicKey, ed25519: next.ed25519.publicKey }),
  );
  const contents: KeyFileContents = {
    current: next,
    previous: [old.current, ...old.previous],
    rotation: toBase64Url(proof),
  };
  await writeKeyFile(file, contents);
  return contents;
}
