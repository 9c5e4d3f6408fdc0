// The outbox's window of pipelined requests to a peer (realm-daemon/federation/outbox-pacer.ts):
// a quarter of the request timeout's worth of the peer's time per request, between 1 and the
// maximum; one request at a time after a timeout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { OutboxPacer } from "../../realm-daemon/federation/outbox-pacer.ts";

test("starts at the initial window, opens to the maximum for a fast peer, closes for a slow one", () => {
  const p = new OutboxPacer(30_000, 6, 2);
  assert.equal(p.window, 2);
  for (let i = 0; i < 20; i++) p.observe(40, 2); // 20 ms per request
  assert.equal(p.window, 6);
  for (let i = 0; i < 40; i++) p.observe(12_000, 3); // 4 s per request: 30 s / (4 × 4 s) = 1
  assert.equal(p.window, 1);
  for (let i = 0; i < 40; i++) p.observe(4_000, 2); // 2 s: 3
  assert.equal(p.window, 3);
});

test("a timeout drops the window to one request until replies show the peer is fast again", () => {
  const p = new OutboxPacer(30_000, 6, 2);
  for (let i = 0; i < 20; i++) p.observe(10, 1);
  assert.equal(p.window, 6);
  p.timedOut();
  assert.equal(p.window, 1);
  for (let i = 0; i < 30; i++) p.observe(10, 1);
  assert.equal(p.window, 6);
});
