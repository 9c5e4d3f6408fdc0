// The inbox is listed a page at a time (issue #13: `listinboundmessages` was one packet, so one
// sender could make another user's inbox unlistable): `listinboundmessages <limit> [<after id>]`
// gives at most `limit` ids, oldest first, after the cursor; pages put together are the whole
// inbox in order, with both kinds of recipient entry (this computer, and "every computer");
// bad limits are BADARGUMENTS. The SDK's inbox() walks the pages.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

test("listinboundmessages pages: limit and cursor, oldest first, both kinds of entry, bad limits refused", async () => {
  const sender = await h.user(h.plainRealm, "pager");
  const me = await h.user(h.plainRealm, "paged");
  const sent: string[] = [];
  for (let i = 0; i < 23; i++) {
    const id = sender.client.newMessageId(sender.userId);
    // Alternate: addressed to the laptop, and to every computer of the account.
    const to = i % 2 ? [{ userId: me.userId, computer: "laptop" }] : [me.userId];
    await sender.client.createMessage(id, to);
    await sender.client.writeMessageData(id, 0, Buffer.from(`m${i}`));
    await sender.client.sendMessage(id);
    sent.push(id);
  }
  const pages: string[][] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await me.client.inboxPage(10, cursor);
    if (!page.length) break;
    assert.ok(page.length <= 10);
    pages.push(page);
    cursor = page[page.length - 1];
  }
  assert.deepEqual(
    pages.map((p) => p.length),
    [10, 10, 3],
  );
  assert.deepEqual(pages.flat(), sent, "the pages are the whole inbox, oldest first, nothing twice");
  // Without a limit: the whole list at once (the original's form), the same ids.
  assert.deepEqual((await me.client.call("listinboundmessages")).lines, sent);
  assert.deepEqual(await me.client.inbox(4), sent);
  for (const bad of [["abc"], ["10001"], ["-3"]]) {
    const r = await me.client.request("listinboundmessages", bad);
    assert.equal(r.status, "BADARGUMENTS", `limit ${bad[0]}: ${r.status} ${r.text}`);
  }
});
