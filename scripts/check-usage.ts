// `npm run db:check-usage`: recomputes every user's storage counters from the stored data and
// repairs drift (the counters are maintained on every write; this is the consistency check).
import "dotenv/config";
import { connectDb } from "../lib/db/client.ts";
import { recomputeUsage } from "../lib/domain/quota.ts";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("check-usage: DATABASE_URL is not set");
  process.exit(78);
}
const db = connectDb(url, { max: 2 });
let drifted = 0;
for (const { id } of (await db.pool.query<{ id: string }>("SELECT id FROM realms ORDER BY id")).rows) {
  const d = await recomputeUsage(db.pool, id);
  drifted += d.length;
  for (const x of d) console.log(`${id}: user ${x.userId} counter ${x.was} -> ${x.now}`);
}
console.log(
  drifted ? `check-usage: repaired ${drifted} counter(s)` : "check-usage: every counter matches the stored data",
);
await db.close();
