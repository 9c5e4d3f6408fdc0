// The CLI's known-keys store: one JSON file (mode 0600) per local account and computer, next to
// its computer key file.
import fs from "node:fs/promises";
import path from "node:path";
import type { KnownKey, KnownKeysBackend } from "./known-keys.ts";

export function fileBackend(file: string): KnownKeysBackend {
  return {
    async load() {
      let text: string;
      try {
        text = await fs.readFile(file, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
        throw e;
      }
      let v: { version?: number; keys?: Record<string, KnownKey> };
      try {
        v = JSON.parse(text);
      } catch {
        throw new Error(`${file}: the known-keys file is not valid JSON`);
      }
      if (v.version !== 1 || !v.keys || typeof v.keys !== "object")
        throw new Error(`${file}: unknown known-keys file format`);
      return v.keys;
    },
    async save(all) {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(tmp, `${JSON.stringify({ version: 1, keys: all }, null, 2)}\n`, { mode: 0o600 });
      await fs.rename(tmp, file);
    },
  };
}
