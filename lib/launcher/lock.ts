// One launcher per data directory. The lock file holds the owner's PID; a lock whose owner is
// dead is stale and taken over (the launcher was killed with SIGKILL).
import fs from "node:fs";
import path from "node:path";
import { isAlive } from "../db/embedded-postgres.ts";

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `another OpenGroove launcher (pid ${pid}) is already running on data directory ${dataDir}; stop it first (Ctrl-C or kill ${pid}) or choose another OPENGROOVE_DATA_DIR`,
    );
  }
}

export interface DataDirLock {
  file: string;
  release(): void;
}

export function acquireLock(dataDir: string): DataDirLock {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "launcher.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, "wx", 0o644);
      fs.writeSync(fd, `${process.pid}\n`);
      fs.closeSync(fd);
      return {
        file,
        release() {
          try {
            if (fs.readFileSync(file, "utf8").trim() === String(process.pid)) fs.unlinkSync(file);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(fs.readFileSync(file, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid))
        throw new DataDirLockedError(path.resolve(dataDir), pid);
      fs.rmSync(file, { force: true }); // stale
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
