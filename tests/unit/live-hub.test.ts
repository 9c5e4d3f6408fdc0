import { test } from "node:test";
import assert from "node:assert/strict";
import { LiveHub, visiblePart, type LiveSnapshot } from "../../lib/console/live-figures.ts";

const snap = (n: number): LiveSnapshot => ({
  a: { connections: n, messagesWaiting: 0, outboxQueued: 0 },
  b: { connections: 0, messagesWaiting: n, outboxQueued: 1 },
});

test("one read per tick for any number of subscribers; no reads while nobody listens", async () => {
  let reads = 0;
  const hub = new LiveHub(async () => snap(++reads), 30);
  const seen: number[][] = [[], [], []];
  const offs = seen.map((s) => hub.subscribe((x) => s.push(x.a.connections)));
  await new Promise((r) => setTimeout(r, 100));
  for (const off of offs) off();
  const after = reads;
  assert.ok(after >= 2 && after <= 5, `reads ${after}`);
  // Every subscriber saw the same snapshots, read once each.
  assert.deepEqual(seen[0], seen[1]);
  assert.deepEqual(seen[1].slice(-seen[2].length), seen[2]);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(reads, after, "stopped reading when the last subscriber left");
  assert.equal(hub.subscribers, 0);
});

test("a failed read keeps the hub going and reports the error", async () => {
  let n = 0;
  const errors: unknown[] = [];
  const hub = new LiveHub(
    async () => {
      if (++n === 1) throw new Error("database restarting");
      return snap(n);
    },
    10,
    (e) => errors.push(e),
  );
  const got = await new Promise<LiveSnapshot>((resolve) => {
    const off = hub.subscribe((s) => {
      off();
      resolve(s);
    });
  });
  assert.equal(got.a.connections, 2);
  assert.equal(errors.length, 1);
});

test("an operator sees only their realms", () => {
  assert.deepEqual(Object.keys(visiblePart(snap(1), ["b", "zzz"])), ["b"]);
  assert.deepEqual(Object.keys(visiblePart(snap(1), null)), ["a", "b"]);
});
