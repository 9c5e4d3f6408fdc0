// The sealed message format: round trips to many recipient computers, streaming with bounded
// memory, and refusal of tampered chunks, headers, signatures and wrong recipients.
import { test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { generateComputerKeys, type ComputerKeys } from "../../../client/sdk/crypto/computer-keys.ts";
import {
  CHUNK_PLAIN_BYTES,
  openMessage,
  sealMessage,
  SealedMessageError,
  type SealedRecipient,
} from "../../../client/sdk/crypto/sealed-message.ts";

const pub = (k: ComputerKeys) => ({ x25519: k.x25519.publicKey, ed25519: k.ed25519.publicKey });

async function collect(g: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const p of g) parts.push(p);
  return Buffer.concat(parts);
}

async function seal(sender: ComputerKeys, recipients: SealedRecipient[], body: Buffer, id = "a::x-1") {
  const s = sealMessage({ id, from: "a::x", computer: "pc", keys: sender, recipients });
  const out = await collect(s.frames([body]));
  assert.equal(out.length, s.size(body.length), "the announced size is the real size");
  return out;
}

async function open(bytes: Uint8Array, keys: ComputerKeys, expectId?: string) {
  return collect(openMessage([bytes], { keyring: [keys], expectId }));
}

test("one message opens for every computer of every recipient, and for nobody else", async () => {
  const sender = generateComputerKeys();
  const users = Array.from({ length: 5 }, (_, u) =>
    Array.from({ length: 3 }, (_, c) => ({ userId: `r::u${u}`, computer: `c${c}`, keys: generateComputerKeys() })),
  ).flat();
  const body = crypto.randomBytes(200_000);
  const sealed = await seal(
    sender,
    users.map((u) => ({ userId: u.userId, computer: u.computer, keys: pub(u.keys) })),
    body,
  );
  assert.equal(sealed.indexOf(body.subarray(0, 32)), -1, "no plaintext in the sealed bytes");
  for (const u of users) assert.deepEqual(await open(sealed, u.keys, "a::x-1"), body);
  await assert.rejects(
    open(sealed, generateComputerKeys()),
    (e: unknown) => (e as SealedMessageError).code === "NOTFORME",
  );
  await assert.rejects(
    open(sealed, users[0].keys, "a::x-2"),
    (e: unknown) => (e as SealedMessageError).code === "WRONGID",
  );
});

test("bodies of 0, 1, exactly one chunk and one chunk + 1 byte round trip", async () => {
  const sender = generateComputerKeys();
  const r = generateComputerKeys();
  for (const n of [0, 1, CHUNK_PLAIN_BYTES, CHUNK_PLAIN_BYTES + 1, 3 * CHUNK_PLAIN_BYTES]) {
    const body = crypto.randomBytes(n);
    const sealed = await seal(sender, [{ userId: "b::y", computer: "c", keys: pub(r) }], body);
    assert.deepEqual(await open(sealed, r), body, `${n} bytes`);
  }
});

test("the earlier keys of a keyring still open messages sealed before a rotation", async () => {
  const sender = generateComputerKeys();
  const old = generateComputerKeys();
  const sealed = await seal(sender, [{ userId: "b::y", computer: "c", keys: pub(old) }], Buffer.from("hi"));
  const out = await collect(openMessage([sealed], { keyring: [generateComputerKeys(), old] }));
  assert.equal(out.toString(), "hi");
});

test("tampered chunks, headers, frames, signatures and truncation are refused", async () => {
  const sender = generateComputerKeys();
  const r = generateComputerKeys();
  const body = crypto.randomBytes(2 * CHUNK_PLAIN_BYTES + 100);
  const sealed = await seal(sender, [{ userId: "b::y", computer: "c", keys: pub(r) }], body);
  const hlen = sealed.readUInt32BE(4);
  const firstFrame = 8 + hlen;
  const code = (c: string) => (e: unknown) => e instanceof SealedMessageError && e.code === c;
  const flip = (at: number) => {
    const t = Buffer.from(sealed);
    t[at] ^= 1;
    return t;
  };
  await assert.rejects(open(flip(firstFrame + 5 + 100), r), code("TAMPERED"), "a ciphertext byte");
  await assert.rejects(open(flip(sealed.length - 1), r), code("BADSIGNATURE"), "the signature");
  await assert.rejects(open(flip(firstFrame), r), /bad frame|authentication/, "the final flag");
  await assert.rejects(open(sealed.subarray(0, sealed.length - 64), r), code("TAMPERED"), "no signature");
  const lastFrame = sealed.length - 64 - (5 + 100 + 16);
  const noFinal = Buffer.concat([sealed.subarray(0, lastFrame), sealed.subarray(sealed.length - 64)]);
  await assert.rejects(open(noFinal, r), code("TAMPERED"), "the final chunk dropped");
  // Swapping the two full chunks (same length) is caught by the index in the nonce.
  const fl = 5 + CHUNK_PLAIN_BYTES + 16;
  const swapped = Buffer.concat([
    sealed.subarray(0, firstFrame),
    sealed.subarray(firstFrame + fl, firstFrame + 2 * fl),
    sealed.subarray(firstFrame, firstFrame + fl),
    sealed.subarray(firstFrame + 2 * fl),
  ]);
  await assert.rejects(open(swapped, r), code("TAMPERED"), "reordered chunks");
  // A header edited to add a recipient (e.g. by the realm) changes the associated data of every chunk.
  const h = JSON.parse(sealed.subarray(8, 8 + hlen).toString());
  h.from = "mallory::m";
  const hb = Buffer.from(JSON.stringify(h));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(hb.length);
  const edited = Buffer.concat([sealed.subarray(0, 4), len, hb, sealed.subarray(8 + hlen)]);
  await assert.rejects(open(edited, r), code("TAMPERED"), "an edited header");
  await assert.rejects(open(Buffer.concat([sealed, Buffer.from([0])]), r), code("TAMPERED"), "trailing bytes");
  await assert.rejects(open(Buffer.from('{"og":"message/1"}\n'), r), code("BADFORMAT"));
});

test("the reader learns the key that really signed, to compare with the sender's published key", async () => {
  const sender = generateComputerKeys();
  const mallory = generateComputerKeys();
  const r = generateComputerKeys();
  // Mallory seals with her keys but cannot make the header claim alice's signing key and still sign.
  const s = sealMessage({
    id: "a::x-1",
    from: "a::x",
    computer: "pc",
    keys: mallory,
    recipients: [{ userId: "b::y", computer: "c", keys: pub(r) }],
  });
  const bytes = await collect(s.frames([Buffer.from("hello")]));
  const hlen = bytes.readUInt32BE(4);
  const h = JSON.parse(bytes.subarray(8, 8 + hlen).toString());
  assert.equal(h.ed25519, Buffer.from(mallory.ed25519.publicKey).toString("base64url"));
  let named: Uint8Array | undefined;
  await collect(openMessage([bytes], { keyring: [r], onHeader: (i) => void (named = i.senderKeys.ed25519) }));
  assert.deepEqual(
    named,
    mallory.ed25519.publicKey,
    "the reader learns the real signing key, to compare with the sender's published one",
  );
  assert.notDeepEqual(named, sender.ed25519.publicKey);
});

test("a 64 MiB body streams through seal and open with bounded memory", async () => {
  const sender = generateComputerKeys();
  const r = generateComputerKeys();
  const total = 64 * 1024 * 1024;
  const piece = crypto.randomBytes(1 << 20);
  async function* source() {
    for (let i = 0; i < total / piece.length; i++) yield piece;
  }
  const s = sealMessage({
    id: "a::x-9",
    from: "a::x",
    computer: "pc",
    keys: sender,
    recipients: [{ userId: "b::y", computer: "c", keys: pub(r) }],
  });
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  let sealedBytes = 0;
  let plainBytes = 0;
  const hash = crypto.createHash("sha256");
  async function* sealedStream() {
    for await (const f of s.frames(source())) {
      sealedBytes += f.length;
      yield f;
    }
  }
  for await (const p of openMessage(sealedStream(), { keyring: [r] })) {
    plainBytes += p.length;
    hash.update(p);
    if (plainBytes % (8 << 20) < p.length) peak = Math.max(peak, process.memoryUsage().rss);
  }
  const expect = crypto.createHash("sha256");
  for (let i = 0; i < total / piece.length; i++) expect.update(piece);
  assert.equal(plainBytes, total);
  assert.equal(sealedBytes, s.size(total));
  assert.equal(hash.digest("hex"), expect.digest("hex"));
  // Whole-body buffering would need 64 MiB more (twice, sealed + plain); allow GC slack only.
  assert.ok(peak - before < 48 * 1024 * 1024, `memory grew by ${((peak - before) / 1048576).toFixed(1)} MiB`);
});
