// The signup pages' server secret: signs ALTCHA challenges and the form-time field. Every web
// process must agree on it (a challenge issued by one process is verified by another), so a
// random per-process key is wrong. Taken from OPENGROOVE_ALTCHA_HMAC_KEY when set; otherwise
// generated once into the data directory (0600) with an exclusive create, and read by everyone
// after. Purpose-specific keys are derived with HMAC so one secret never signs two kinds of data.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const SECRET_FILE_NAME = "signup-hmac.key";
const MIN_ENV_KEY_LENGTH = 32;

export interface SecretSource {
  envKey?: string;
  dataDir: string;
}

export function secretSourceFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): SecretSource {
  return { envKey: env.OPENGROOVE_ALTCHA_HMAC_KEY, dataDir: env.OPENGROOVE_DATA_DIR || "./.opengroove" };
}

/** Reads the secret file, creating it atomically (link of a finished temp file) if absent. */
export function loadOrCreateSecretFile(dataDir: string): string {
  const file = path.resolve(/*turbopackIgnore: true*/ dataDir, SECRET_FILE_NAME);
  const read = () => fs.readFileSync(file, "utf8").trim();
  try {
    const existing = read();
    if (existing.length >= MIN_ENV_KEY_LENGTH) return existing;
    throw new Error(`${file} is shorter than ${MIN_ENV_KEY_LENGTH} characters; delete it to generate a new one`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
  fs.writeFileSync(tmp, `${crypto.randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  try {
    // link() fails with EEXIST when another process won the race; then everyone uses its key.
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return read();
}

const cache = new Map<string, string>();

/** The master secret (cached per source). Throws a clear error if the env key is too short. */
export function masterSecret(source: SecretSource = secretSourceFromEnv()): string {
  const cacheKey = source.envKey
    ? `env:${source.envKey}`
    : `dir:${path.resolve(/*turbopackIgnore: true*/ source.dataDir)}`;
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  let secret: string;
  if (source.envKey !== undefined && source.envKey !== "") {
    if (source.envKey.length < MIN_ENV_KEY_LENGTH)
      throw new Error(`OPENGROOVE_ALTCHA_HMAC_KEY must be at least ${MIN_ENV_KEY_LENGTH} characters`);
    secret = source.envKey;
  } else {
    secret = loadOrCreateSecretFile(source.dataDir);
  }
  cache.set(cacheKey, secret);
  return secret;
}

export type SecretPurpose = "altcha-challenge" | "altcha-key" | "signup-form-time";

/** A hex key for one purpose, derived from the master secret. */
export function derivedSecret(purpose: SecretPurpose, source?: SecretSource): string {
  return crypto.createHmac("sha256", masterSecret(source)).update(`opengroove:${purpose}`).digest("hex");
}
