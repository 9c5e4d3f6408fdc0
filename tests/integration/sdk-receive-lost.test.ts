// The SDK's receiveAll when the connection is lost with a delete in flight: the call rejects
// once, and the delete's own rejection is not left unhandled (found by the chaos suite's kill -9
// case, where it crashed the client process instead of reporting the lost connection).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError } from "../../client/sdk/index.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

test("receiveAll rejects cleanly when the connection drops while a delete is in flight", async () => {
  const sender = await h.user(h.plainRealm, "rl_sender");
  const reader = await h.user(h.plainRealm, "rl_reader");
  for (let k = 0; k < 4; k++) await sender.client.send(sender.userId, [reader.userId], Buffer.alloc(100, k));
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  try {
    let calls = 0;
    const err = await reader.client
      .receiveAll(
        () => {
          // After the first message: its delete and the next read are both sent before this
          // fires, so closing here fails both while the read is the one being awaited.
          if (calls++ === 0) setImmediate(() => reader.client.close());
        },
        { window: 1 },
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    assert.ok(err instanceof OpenGrooveError, `receiveAll rejected with ${String(err)}`);
    assert.equal(err.status, "DISCONNECTED");
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(unhandled, [], "no unhandled rejection");
  } finally {
    process.off("unhandledRejection", onUnhandled);
  }
});
