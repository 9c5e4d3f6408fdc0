// The group-commit queue on its own: batches fill while one runs, results are per operation,
// and a batch that fails as a whole is retried one operation at a time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupCommit } from "../../lib/db/group-commit.ts";

test("operations queued while a batch runs go out together in the next batch", async () => {
  const batches: number[][] = [];
  const gc = new GroupCommit<number, number>(async (ops) => {
    batches.push(ops);
    await new Promise((r) => setTimeout(r, 20));
    return ops.map((x) => x * 2);
  });
  const first = gc.submit(1);
  const rest = [2, 3, 4, 5].map((x) => gc.submit(x));
  assert.deepEqual(await Promise.all([first, ...rest]), [2, 4, 6, 8, 10]);
  assert.deepEqual(batches, [[1], [2, 3, 4, 5]]);
  assert.equal(gc.stats.largestBatch, 4);
});

test("one operation's failure is its own; a batch that throws is split so only the culprit fails", async () => {
  const gc = new GroupCommit<string, string>(async (ops) => {
    await new Promise((r) => setTimeout(r, 5));
    if (ops.includes("poison")) throw new Error("deadlock detected");
    return ops.map((x) => (x === "bad" ? new Error("no such user") : x.toUpperCase()));
  });
  const blocker = gc.submit("first");
  const results = await Promise.allSettled(["a", "bad", "poison", "b"].map((x) => gc.submit(x)));
  assert.equal(await blocker, "FIRST");
  assert.deepEqual(
    results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)),
    ["A", "no such user", "deadlock detected", "B"],
  );
  assert.equal(gc.stats.splitBatches, 1);
});
