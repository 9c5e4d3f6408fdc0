// The install's secrets that live as files in the data directory rather than in the database:
// the console session key (`auth-secret`, unless AUTH_SECRET is set) and the signup pages' HMAC
// key (`signup-hmac.key`, unless OPENGROOVE_ALTCHA_HMAC_KEY is set). A backup carries them, so a
// restored install keeps its operators signed in and its pending signup challenges valid.
// Secrets given as environment variables are the operator's to keep (docs/operations.md).
import fs from "node:fs";
import path from "node:path";
import { SECRET_FILE_NAME } from "../captcha/server-secret.ts";

export const SECRET_FILES = ["auth-secret", SECRET_FILE_NAME] as const;

export interface SecretFile {
  name: string;
  /** base64 of the file's bytes */
  data: string;
}

/** The secret files present in `dataDir` (absent ones are skipped). */
export function readSecretFiles(dataDir: string): SecretFile[] {
  const out: SecretFile[] = [];
  for (const name of SECRET_FILES) {
    const file = path.join(dataDir, name);
    if (fs.existsSync(file)) out.push({ name, data: fs.readFileSync(file).toString("base64") });
  }
  return out;
}

/**
 * Writes restored secret files into `dataDir` (mode 0600, atomically). Returns what was done
 * with each: written (absent before), kept (same bytes), replaced (the old one is kept beside
 * it as NAME.before-restore). Only the known names are written, whatever the backup says.
 */
export function writeSecretFiles(dataDir: string, files: readonly SecretFile[]): string[] {
  const report: string[] = [];
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  for (const f of files) {
    if (!(SECRET_FILES as readonly string[]).includes(f.name)) continue;
    const file = path.join(dataDir, f.name);
    const bytes = Buffer.from(f.data, "base64");
    let verb = "written";
    if (fs.existsSync(file)) {
      if (fs.readFileSync(file).equals(bytes)) {
        report.push(`${f.name}: kept (same)`);
        continue;
      }
      fs.renameSync(file, `${file}.before-restore`);
      verb = `replaced (the old one is ${f.name}.before-restore)`;
    }
    const tmp = `${file}.restoring`;
    fs.writeFileSync(tmp, bytes, { mode: 0o600 });
    fs.renameSync(tmp, file);
    report.push(`${f.name}: ${verb}`);
  }
  return report;
}
