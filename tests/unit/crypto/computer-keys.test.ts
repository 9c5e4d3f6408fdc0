// Per-computer keys: generation, the key file (mode 0600, one key pair under a creation race),
// published settings, fingerprints and signatures.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import {
  fingerprint,
  generateComputerKeys,
  loadOrCreateComputerKeys,
  parsePublicKeySettings,
  publicKeySettings,
  readKeyFile,
  sign,
  verify,
} from "../../../client/sdk/crypto/computer-keys.ts";
import { fromBase64Url, toBase64Url } from "../../../client/sdk/crypto/bytes.ts";

test("generated keys are raw 32-byte pairs whose public halves match the private ones", () => {
  const k = generateComputerKeys();
  for (const pair of [k.x25519, k.ed25519]) {
    assert.equal(pair.publicKey.length, 32);
    assert.equal(pair.privateKey.length, 32);
  }
  assert.deepEqual(x25519.getPublicKey(k.x25519.privateKey), k.x25519.publicKey);
  assert.deepEqual(ed25519.getPublicKey(k.ed25519.privateKey), k.ed25519.publicKey);
  const k2 = generateComputerKeys();
  assert.notDeepEqual(k.x25519.privateKey, k2.x25519.privateKey);
});

test("base64url round trips every length and refuses bad text", () => {
  for (let n = 0; n < 70; n++) {
    const b = new Uint8Array(n).map((_, i) => (i * 37 + n) & 255);
    const s = toBase64Url(b);
    assert.equal(s, Buffer.from(b).toString("base64url"));
    assert.deepEqual(fromBase64Url(s), b);
  }
  assert.equal(fromBase64Url("a+b/"), undefined);
  assert.equal(fromBase64Url("abcde"), undefined);
  assert.equal(fromBase64Url("AB"), undefined, "non-canonical trailing bits");
});

test("public key settings: three public- keys that parse back to the same keys", () => {
  const k = generateComputerKeys();
  const s = publicKeySettings(k);
  assert.deepEqual(Object.keys(s).sort(), ["public-og-ed25519", "public-og-keyformat", "public-og-x25519"]);
  assert.equal(s["public-og-keyformat"], "1");
  assert.equal(s["public-og-x25519"], Buffer.from(k.x25519.publicKey).toString("base64url"));
  const p = parsePublicKeySettings(s);
  assert.deepEqual(p, { x25519: k.x25519.publicKey, ed25519: k.ed25519.publicKey });
  assert.equal(parsePublicKeySettings({ ...s, "public-og-keyformat": "2" }), undefined);
  assert.equal(parsePublicKeySettings({ ...s, "public-og-x25519": "AAAA" }), undefined);
  assert.equal(parsePublicKeySettings({}), undefined);
});

test("fingerprint: 16 groups of 4 hex digits, depends on both keys and their order", () => {
  const a = generateComputerKeys();
  const b = generateComputerKeys();
  const f = fingerprint(a.x25519.publicKey, a.ed25519.publicKey);
  assert.match(f, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
  assert.equal(f, fingerprint(a.x25519.publicKey, a.ed25519.publicKey));
  assert.notEqual(f, fingerprint(b.x25519.publicKey, a.ed25519.publicKey));
  assert.notEqual(f, fingerprint(a.x25519.publicKey, b.ed25519.publicKey));
  assert.notEqual(f, fingerprint(a.ed25519.publicKey, a.x25519.publicKey));
});

test("sign / verify: wrong key, changed bytes and malformed signatures are refused", () => {
  const a = generateComputerKeys();
  const b = generateComputerKeys();
  const msg = new TextEncoder().encode("hello");
  const sig = sign(a, msg);
  assert.equal(sig.length, 64);
  assert.equal(verify(a.ed25519.publicKey, msg, sig), true);
  assert.equal(verify(b.ed25519.publicKey, msg, sig), false);
  assert.equal(verify(a.ed25519.publicKey, new TextEncoder().encode("hellp"), sig), false);
  const bad = sig.slice();
  bad[10] ^= 1;
  assert.equal(verify(a.ed25519.publicKey, msg, bad), false);
  assert.equal(verify(a.ed25519.publicKey, msg, sig.slice(0, 63)), false);
  assert.equal(verify(new Uint8Array(5), msg, sig), false);
});

test("loadOrCreateComputerKeys: creates a 0600 file once, then returns the same keys", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-keys-"));
  const file = path.join(dir, "sub", "keys.json");
  const k1 = await loadOrCreateComputerKeys(file);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const k2 = await loadOrCreateComputerKeys(file);
  assert.deepEqual(k2, k1);
  assert.deepEqual((await readKeyFile(file))?.previous, []);
  fs.writeFileSync(file, "{not json");
  await assert.rejects(loadOrCreateComputerKeys(file), /not valid JSON/);
  assert.equal(fs.readFileSync(file, "utf8"), "{not json", "a damaged file is never overwritten");
  fs.rmSync(dir, { recursive: true });
});

test("loadOrCreateComputerKeys: processes racing to create the file all get one key pair", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-keys-race-"));
  const file = path.join(dir, "keys.json");
  const mod = path.resolve(import.meta.dirname, "../../../client/sdk/crypto/computer-keys.ts");
  const script = `const m = await import(${JSON.stringify(mod)}); const k = await m.loadOrCreateComputerKeys(${JSON.stringify(file)}); console.log(Buffer.from(k.ed25519.publicKey).toString("hex"));`;
  const outs = await Promise.all(
    Array.from({ length: 4 }, () => {
      return new Promise<string>((resolve, reject) => {
        const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
        let out = "";
        p.stdout.on("data", (d) => (out += d));
        p.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
      });
    }),
  );
  assert.equal(new Set(outs).size, 1, outs.join(","));
  assert.match(outs[0], /^[0-9a-f]{64}$/);
  fs.rmSync(dir, { recursive: true });
});
