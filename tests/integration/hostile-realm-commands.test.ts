// Property test (fast-check, seeded, bounded): every command of the realm daemon's client table
// gets random and garbled arguments in every connection state (anonymous, logged in with a
// computer, account-only, channel connection) over real TLS to a real daemon on a real
// PostgreSQL. Each reply must be a registered status word other than INTERNALERROR, the
// connection must stay usable (a ping after each burst is answered) unless the status word closes
// it, and the daemon must keep serving a fresh client. The chaos suite's fuzz-socket case does the
// same at 100,000 frames; this is the bounded version that runs with `npm test`.
// OG_HOSTILE_RUNS raises the number of runs when hunting.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { COMMANDS } from "../../realm-daemon/commands/index.ts";
import tls from "node:tls";
import {
  decodeServerPacket,
  encodeFrame,
  encodeRequest,
  FrameParser,
  isStatusWord,
  joinFieldsWithTrailingData,
  utf8Bytes,
} from "../../lib/protocol/index.ts";
import type { RealmClient } from "../../client/sdk/index.ts";
import { hostileField } from "../helpers/hostile.ts";

const RUNS = Number(process.env.OG_HOSTILE_RUNS ?? 40);
let h: RealmHarness;
let ctx: Record<string, string>;
const PASSWORD = "correct horse battery";

before(async () => {
  h = await startRealmHarness({ greetingTimeoutMs: 5_000, maxPacketBytes: 256 * 1024 });
  const a = await h.user(h.plainRealm, "fz-alice");
  const b = await h.user(h.plainRealm, "fz-bob");
  const msg = a.client.newMessageId(a.userId);
  await a.client.createMessage(msg, [b.userId]);
  const ws = await a.client.workspaces.create("fuzz space");
  const channel = await a.client.channels.create("fuzz channel");
  const sent = a.client.newMessageId(a.userId);
  await a.client.createMessage(sent, [b.userId]);
  await a.client.writeMessageData(sent, 0, Buffer.from("hello"));
  await a.client.sendMessage(sent);
  ctx = { alice: a.userId, bob: b.userId, msg, sent, ws, channel };
  a.client.close();
  b.client.close();
});
after(async () => h.stop());

// Values a handler will look up for real (so the fuzz reaches past "no such …"), mixed with the
// hostile ones of tests/helpers/hostile.ts.
const contextual = fc.constantFrom("alice", "bob", "msg", "sent", "ws", "channel").map((k) => ctx[k]);
const field = fc.oneof(
  { weight: 3, arbitrary: hostileField },
  { weight: 2, arbitrary: contextual },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "laptop",
      "fz-bob",
      "public-og-key",
      "/index.html",
      "everyone",
      "true",
      "userstatus",
      "member",
      "",
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom("0", "1", "5", "1000", "64000", "-1", "4294967296", "99999999999999999") },
);

/** Arguments: newline-joined fields, fields + trailing binary, raw bytes, or a huge field. */
const args = fc.oneof(
  { weight: 4, arbitrary: fc.array(field, { maxLength: 7 }).map((f) => utf8Bytes(f.join("\n"))) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.array(field, { maxLength: 4 }), fc.uint8Array({ maxLength: 300 }), fc.integer({ min: -2, max: 2 }))
      .map(([f, d, skew]) =>
        joinFieldsWithTrailingData([...f.map((x) => x.replace(/[\r\n]/g, "")), String(d.length + skew)], d),
      ),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom(0x61, 0x30, 0x2d, 0xff).map((b) => new Uint8Array(70_000).fill(b)) },
);

const NAMES = [...COMMANDS.keys()].filter((n) => n !== "quit");
const call = fc.tuple(fc.constantFrom(...NAMES), args);

type State = "anonymous" | "computer" | "account" | "channel";

async function open(state: State): Promise<RealmClient> {
  const c = await h.connect(h.plainRealm);
  if (state === "computer") await c.authenticate("fz-alice", "laptop", PASSWORD);
  if (state === "account") await c.authenticate("fz-alice", "", PASSWORD);
  if (state === "channel") {
    const r = await c.request("authenticate", ["channel", "fz-alice", "laptop", PASSWORD, ctx.channel]);
    assert.equal(r.status, "OK", r.text);
  }
  return c;
}

for (const state of ["anonymous", "computer", "account", "channel"] as const) {
  test(`every client command with hostile arguments, state ${state}: a status word, never INTERNALERROR`, async () => {
    let c = await open(state);
    const seen = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(call, { minLength: 1, maxLength: 6 }), async (calls) => {
          if (c.raw.closed) c = await open(state);
          // Pipelined: every request of the burst is sent before any reply is read.
          const replies = await Promise.all(
            calls.map(([name, a]) =>
              c.request(name, a).then(
                (r) => ({ name, status: r.status as string, text: r.text }),
                (e: Error & { status?: string }) => ({ name, status: `closed:${e.status}`, text: e.message }),
              ),
            ),
          );
          for (const r of replies) {
            seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
            const word = r.status.replace(/^closed:/, "");
            assert.ok(isStatusWord(word) || word === "DISCONNECTED", `${r.name}: not a status word: ${r.status}`);
            assert.notEqual(word, "INTERNALERROR", `${r.name} answered INTERNALERROR: ${r.text}`);
          }
          // Still usable, unless a command closed it on purpose (deletecomputer of its own computer,
          // a channel removal): then a new connection must be served.
          if (!c.raw.closed) {
            const p = await c.request("ping");
            assert.equal(p.status, "OK");
          }
        }),
        { numRuns: RUNS, seed: 0x5eed + state.length, endOnFailure: true, includeErrorInReport: true },
      );
    } finally {
      c.close();
    }
    const fresh = await h.connect(h.plainRealm);
    assert.equal((await fresh.request("ping")).status, "OK");
    fresh.close();
    if (process.env.OG_HOSTILE_VERBOSE) console.log(state, JSON.stringify([...seen]));
    assert.ok((seen.get("OK") ?? 0) + (seen.get("NOTALLOWED") ?? 0) > 0, JSON.stringify([...seen]));
  });
}

test("the greeting with CR, LF or CRLF, split in two at every byte, then a ping: answered", async () => {
  for (const nl of ["\r", "\n", "\r\n"]) {
    const bytes = Buffer.concat([Buffer.from(`OpenGroove plain${nl}c`), encodeFrame(encodeRequest("g1", "ping"))]);
    for (let k = 1; k < bytes.length; k++) {
      const got = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        const s = tls.connect({ host: "127.0.0.1", port: h.port(h.plainRealm), rejectUnauthorized: false }, () => {
          s.write(bytes.subarray(0, k));
          setTimeout(() => s.write(bytes.subarray(k)), 5);
        });
        s.on("data", (d: Buffer) => {
          chunks.push(d);
          const all = Buffer.concat(chunks);
          if (all.length > 20 && new FrameParser().push(all.subarray(19)).frames.length) {
            s.destroy();
            resolve(all);
          }
        });
        s.on("error", reject);
        setTimeout(() => reject(new Error(`no reply (${JSON.stringify(nl)} split at ${k})`)), 5_000).unref();
      });
      assert.equal(got.subarray(0, 19).toString(), "OpenGrooveServer\r\nc", `split at ${k}`);
      const frames = new FrameParser().push(got.subarray(19)).frames;
      const d = decodeServerPacket(frames[0]);
      assert.ok(d.ok && d.value.kind === "reply" && d.value.status === "OK", `${JSON.stringify(nl)} split at ${k}`);
    }
  }
});
