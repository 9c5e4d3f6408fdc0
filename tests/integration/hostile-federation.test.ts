// Property test (fast-check, seeded, bounded) of the realm-to-realm commands (port 63745 after
// "OpenGroove realm …"): a hostile realm that holds real, approved keys (so it passes hello and
// auth) sends every command of the peer table with random and garbled arguments — deliveries,
// workspace changes, key and user lookups — and unauthenticated peers send them before the
// handshake. Every reply is a registered status word other than INTERNALERROR, the link stays
// usable unless the word closes it, and the realm keeps serving its own clients.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  startManagement,
  startRealmNodes,
  rawPeer,
  HOST,
  type ManagementHarness,
  type RealmNode,
} from "../helpers/federation.ts";
import { hostileField } from "../helpers/hostile.ts";
import { fuzzLink } from "../helpers/hostile-link.ts";
import { PacketLink, type LinkError } from "../../lib/federation/packet-client.ts";
import { isStatusWord, joinFieldsWithTrailingData, utf8Bytes } from "../../lib/protocol/index.ts";
import { PEER_COMMANDS } from "../../realm-daemon/federation/commands/index.ts";

const RUNS = Number(process.env.OG_HOSTILE_RUNS ?? 50);
let m: ManagementHarness;
let r1: RealmNode;
let r2: RealmNode;
let ctx: Record<string, string>;

before(async () => {
  m = await startManagement();
  [r1, r2] = await startRealmNodes(["hf1", "hf2"], m.address, async () => ({ token: await m.token() }));
  await Promise.all([r1.waitApproved(), r2.waitApproved()]);
  const a = await r1.user("alice");
  const b = await r2.user("bob");
  const ws = await b.client.workspaces.create("fuzzed");
  ctx = { alice: a.userId, bob: b.userId, ws, msg: `${a.userId}-fz1` };
});
after(async () => {
  await Promise.allSettled([r1?.drop(), r2?.drop()]);
  await m?.drop();
});

const contextual = fc.constantFrom("alice", "bob", "ws", "msg").map((k) => ctx[k]);
const field = fc.oneof(
  { weight: 3, arbitrary: hostileField },
  { weight: 2, arbitrary: contextual },
  { weight: 2, arbitrary: fc.constantFrom("0", "1", "5", "65536", "-1", "4294967296", "laptop", "") },
  { weight: 1, arbitrary: fc.constantFrom("id=x", "sender=hf1.test:63745::alice", "recipient=hf2.test:63745::bob") },
);
const args = fc.oneof(
  { weight: 4, arbitrary: fc.array(field, { maxLength: 7 }).map((f) => utf8Bytes(f.join("\n"))) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(field, { maxLength: 5 }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -2, max: 2 }))
      .map(([f, d, skew]) =>
        joinFieldsWithTrailingData([...f.map((x) => x.replace(/[\r\n]/g, "")), String(d.length + skew)], d),
      ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
);
const NAMES = [...PEER_COMMANDS.keys()].filter((n) => n !== "quit");

const fuzz = (open: () => Promise<PacketLink>, seed: number) => fuzzLink(NAMES, args, open, { seed, runs: RUNS });

test("an authenticated hostile realm: every peer command with hostile arguments gets a status word", async () => {
  const seen = await fuzz(async () => {
    const { link, auth } = await rawPeer(r1, r2);
    assert.equal(auth.status, "OK", auth.text);
    return link;
  }, 45);
  assert.ok(seen.get("OK"));
  const c = await r2.login("bob", "laptop", "correct horse battery");
  assert.equal((await c.request("ping")).status, "OK");
});

test("before the handshake, and with hostile realm greetings: status words only", async () => {
  await fuzz(
    () =>
      PacketLink.open({
        address: `${HOST}:${r2.port()}`,
        tls: true,
        words: ["realm", "hf1.test:63745", "hf2.test:63745"],
        timeoutMs: 5_000,
        maxPacketBytes: 1 << 20,
      }),
    46,
  );
  await fc.assert(
    fc.asyncProperty(fc.array(fc.stringMatching(/^[\x21-\x7e]{1,60}$/), { maxLength: 3 }), async (words) => {
      const l = await PacketLink.open({
        address: `${HOST}:${r2.port()}`,
        tls: true,
        words: ["realm", ...words],
        timeoutMs: 5_000,
        maxPacketBytes: 1 << 20,
      }).catch((e: LinkError) => e);
      if (!(l instanceof PacketLink)) {
        assert.ok(isStatusWord(l.status) || l.status === "DISCONNECTED", String(l));
        return;
      }
      const r = await l.request("hello", ["x"]).catch((e: LinkError) => ({ status: e.status, text: e.message }));
      assert.ok(isStatusWord(r.status) && r.status !== "INTERNALERROR", `${r.status} ${r.text}`);
      l.close();
    }),
    { numRuns: 20, seed: 47, includeErrorInReport: true },
  );
});

test("well-shaped deliveries and workspace invitations with hostile values: status words only", async () => {
  const { link, auth } = await rawPeer(r1, r2);
  assert.equal(auth.status, "OK", auth.text);
  let l = link;
  const seen = new Map<string, number>();
  const someId = fc.oneof(
    contextual,
    hostileField.filter((x) => x.length < 500),
  );
  // Mostly what a genuine peer sends, so the handlers run past their checks with the hostile rest.
  const msgId = fc.oneof(
    { weight: 3, arbitrary: fc.nat().map((n) => `${ctx.alice}-fz${n}`) },
    { weight: 1, arbitrary: someId },
  );
  const sender = fc.oneof(
    { weight: 3, arbitrary: fc.constant("alice").map((k) => ctx[k]) },
    { weight: 1, arbitrary: someId },
  );
  const size = fc.oneof(fc.constantFrom("0", "1", "5", "9999999999999", "0000000000001"), fc.nat().map(String));
  const recipient = fc
    .tuple(
      fc.oneof(
        { weight: 3, arbitrary: fc.constant("bob").map((k) => ctx[k]) },
        { weight: 1, arbitrary: hostileField.filter((x) => x.length < 200) },
      ),
      fc.constantFrom("", "laptop", "\t", "x\ty"),
    )
    .map(([u, c]) => (c ? `${u}\t${c}` : u));
  const step = fc.oneof(
    fc
      .tuple(
        msgId,
        sender,
        fc.constantFrom("laptop", "", "\u001b[2J"),
        size,
        fc.array(recipient, { minLength: 1, maxLength: 3 }),
      )
      .map(([id, sender, comp, sz, rcpts]) => ["deliverbegin", [id, sender, comp, sz, ...rcpts].join("\n")] as const),
    fc
      .tuple(msgId, fc.constantFrom("0", "1", "4294967296", "-1"), fc.uint8Array({ maxLength: 64 }))
      .map(
        ([id, off, d]) =>
          ["deliverdata", joinFieldsWithTrailingData([id.replace(/[\r\n]/g, ""), off, String(d.length)], d)] as const,
      ),
    msgId.map((id) => ["delivercommit", id] as const),
    fc
      .tuple(
        fc.oneof(contextual, fc.uuid(), hostileField),
        hostileField.filter((x) => x.length < 300),
        someId,
        someId,
        fc.constantFrom("member", "manager", "owner", ""),
      )
      .map(([ws, name, creator, member, role]) => ["wsinvite", [ws, name, creator, member, role].join("\n")] as const),
    fc
      .tuple(fc.oneof(contextual, fc.uuid()), size, size, someId, fc.constantFrom("laptop", ""))
      .map(([ws, seq, sz, author, comp]) => ["wschangebegin", [ws, seq, sz, author, comp].join("\n")] as const),
  );
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 4 }), async (steps) => {
        if (l.closed) l = (await rawPeer(r1, r2)).link;
        for (const [name, a] of steps) {
          const r = await l
            .request(name, typeof a === "string" ? utf8Bytes(a) : a)
            .catch((e: LinkError) => ({ status: e.status as string, text: e.message }));
          seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
          assert.ok(isStatusWord(r.status) || r.status === "DISCONNECTED", `${name}: ${r.status}`);
          assert.notEqual(r.status, "INTERNALERROR", `${name} answered INTERNALERROR: ${r.text}`);
        }
      }),
      { numRuns: RUNS, seed: 48, endOnFailure: true, includeErrorInReport: true },
    );
  } finally {
    l.close();
  }
  if (process.env.OG_HOSTILE_VERBOSE) console.log(JSON.stringify([...seen]));
  assert.ok(seen.get("OK"), JSON.stringify([...seen]));
});

test("createmessage with more recipients than a message may have is refused before any other realm is asked", async () => {
  const checker = r1.daemon.federation!.recipients;
  const asked: string[] = [];
  const original = checker.check.bind(checker);
  // A counting wrapper around the real checker (it still asks the real realms).
  checker.check = (local, target, ids) => {
    asked.push(target);
    return original(local, target, ids);
  };
  try {
    const a = await r1.login("alice", "laptop", "correct horse battery");
    // 2,000 recipients on 2,000 realms: one request must not make the realm look up 2,000 others.
    const lines = Array.from({ length: 2_000 }, (_, i) => `r${i}.test:63745::someone${i}`);
    const t0 = Date.now();
    const r = await a.request("createmessage", [`${ctx.alice}-many`, ...lines]);
    assert.equal(r.status, "BADARGUMENTS", r.text);
    assert.match(r.text, /500 recipients/);
    assert.deepEqual(asked, [], `asked ${asked.length} realms`);
    // And within the limit the check still runs (one realm, asked once).
    const ok = await a.request("createmessage", [`${ctx.alice}-one`, ctx.bob]);
    assert.equal(ok.status, "OK", ok.text);
    assert.deepEqual(asked, [r2.realmId]);
    assert.ok(Date.now() - t0 < 60_000);
  } finally {
    checker.check = original;
  }
});

test("recipients on another realm are checked in batches its checkusers accepts (150 on one realm)", async () => {
  const a = await r1.login("alice", "laptop", "correct horse battery");
  const ghosts = Array.from({ length: 149 }, (_, i) => `${r2.realmId}::ghost${i}`);
  const r = await a.request("createmessage", [`${ctx.alice}-150`, ctx.bob, ...ghosts]);
  assert.equal(r.status, "NOSUCHUSER", `${r.status} ${r.text.slice(0, 300)}`);
  assert.match(r.text, /no such user ghost0 on realm hf2\.test:63745/);
  assert.match(r.text, /no such user ghost148 on realm/);
});
