// The key that signs and encrypts console session tokens: AUTH_SECRET when set, otherwise a
// random one created once in the data directory (0600), so sessions survive restarts.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

let cached: string | undefined;

export function authSecret(): string {
  if (cached) return cached;
  const fromEnv = process.env.AUTH_SECRET;
  if (fromEnv) return (cached = fromEnv);
  const dir = path.resolve(/*turbopackIgnore: true*/ process.env.OPENGROOVE_DATA_DIR ?? "./.opengroove");
  const file = path.join(dir, "auth-secret");
  fs.mkdirSync(dir, { recursive: true });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  cached = fs.readFileSync(file, "utf8").trim();
  return cached;
}
