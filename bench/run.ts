// `npm run bench`: starts a real PostgreSQL (embedded, temporary) and runs each benchmark,
// printing figures next to their same-run baselines.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../lib/db/embedded-postgres.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-bench-"));
fs.chmodSync(tmp, 0o755);
process.env.OPENGROOVE_LOG_LEVEL ??= "warn";
const pg = process.env.OG_TEST_PG_ADMIN_URL
  ? undefined
  : await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port: 0 });
if (pg) process.env.OG_TEST_PG_ADMIN_URL = pg.url("postgres");
try {
  const { benchStoreForward } = await import("./store-forward.ts");
  console.log(
    `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`,
  );
  for (const senders of [1, 8]) {
    const r = await benchStoreForward({ senders, perSender: senders === 1 ? 1000 : 250, live: 400 });
    console.log(`\nstore-and-forward, ${r.senders} concurrent sender(s), ${r.messages} messages of 1 KiB`);
    console.table({
      "send (create+write+send)": {
        "msg/s": r.sendPerSec.toFixed(0),
        "baseline raw INSERT msg/s": r.baselineInsertPerSec.toFixed(0),
        ratio: (r.sendPerSec / r.baselineInsertPerSec).toFixed(3),
      },
      "receive (read+delete)": {
        "msg/s": r.receivePerSec.toFixed(0),
        "baseline raw DELETE msg/s": r.baselineDeletePerSec.toFixed(0),
        ratio: (r.receivePerSec / r.baselineDeletePerSec).toFixed(3),
      },
    });
    console.log(
      `live delivery latency (sendmessage → messageavailable): p50 ${r.latencyP50Ms.toFixed(1)} ms, p99 ${r.latencyP99Ms.toFixed(1)} ms`,
    );
  }
  // Benchmarks added by later issues run when present.
  const more = path.join(import.meta.dirname, "workspaces.ts");
  if (fs.existsSync(more)) await import(more);
} finally {
  await pg?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
