// ALTCHA: challenges signed with the shared key, solved here with altcha-lib's solver (what the
// widget does in the browser), verified once; replays, tampering and expiry are refused.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { solveChallenge, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import {
  createAltchaChallenge,
  verifyAltcha,
  pruneAltchaReplayRecords,
  type AltchaSettings,
} from "../../lib/captcha/altcha.ts";
import { loadOrCreateSecretFile, SECRET_FILE_NAME, type SecretSource } from "../../lib/captcha/server-secret.ts";

const FAST: AltchaSettings = { cost: 10, maxCounter: 200, ttlSeconds: 60 };

async function solvedPayload(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 30_000 });
  assert.ok(solution, "solver found a solution");
  return Buffer.from(
    JSON.stringify({ challenge: { parameters: challenge.parameters, signature: challenge.signature }, solution }),
  ).toString("base64");
}

describe("ALTCHA proof-of-work captcha", () => {
  let t: TestDb;
  let dir: string;
  let source: SecretSource;
  before(async () => {
    t = await createTestDb();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "og-altcha-"));
    source = { dataDir: dir };
  });
  after(async () => {
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a solved challenge verifies once; the replay is refused", async () => {
    const payload = await solvedPayload(await createAltchaChallenge({ settings: FAST, secretSource: source }));
    assert.deepEqual(await verifyAltcha(t.pool, payload, { secretSource: source }), { ok: true, provider: "ALTCHA" });
    const again = await verifyAltcha(t.pool, payload, { secretSource: source });
    assert.equal(again.ok, false);
    if (!again.ok) {
      assert.deepEqual(again.codes, ["already-used"]);
      assert.match(again.message, /already used/);
    }
  });

  test("the same solution submitted 10 times in parallel passes exactly once", async () => {
    const payload = await solvedPayload(await createAltchaChallenge({ settings: FAST, secretSource: source }));
    const results = await Promise.all(
      Array.from({ length: 10 }, () => verifyAltcha(t.pool, payload, { secretSource: source })),
    );
    assert.equal(results.filter((r) => r.ok).length, 1);
  });

  test("a challenge signed with another key is refused", async () => {
    const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), "og-altcha-other-"));
    try {
      const payload = await solvedPayload(
        await createAltchaChallenge({ settings: FAST, secretSource: { dataDir: otherDir } }),
      );
      const r = await verifyAltcha(t.pool, payload, { secretSource: source });
      assert.equal(r.ok, false);
      if (!r.ok) assert.deepEqual(r.codes, ["invalid-signature"]);
    } finally {
      fs.rmSync(otherDir, { recursive: true, force: true });
    }
  });

  test("tampered parameters, a wrong solution, test-mode and garbage payloads are refused", async () => {
    const challenge = await createAltchaChallenge({ settings: FAST, secretSource: source });
    const good = JSON.parse(Buffer.from(await solvedPayload(challenge), "base64").toString()) as {
      challenge: Challenge;
      solution: { counter: number; derivedKey: string };
    };
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64");
    const tampered = {
      ...good,
      challenge: { ...good.challenge, parameters: { ...good.challenge.parameters, cost: 1 } },
    };
    const wrong = { ...good, solution: { ...good.solution, derivedKey: "00".repeat(32) } };
    for (const [payload, code] of [
      [enc(tampered), "invalid-signature"],
      [enc(wrong), "invalid-solution"],
      [enc({ challenge: null, solution: null, test: true }), "malformed-payload"],
      ["not base64 json", "malformed-payload"],
      ["", "missing-payload"],
    ] as const) {
      const r = await verifyAltcha(t.pool, payload, { secretSource: source });
      assert.equal(r.ok, false, code);
      if (!r.ok) assert.deepEqual(r.codes, [code]);
    }
  });

  test("an expired challenge is refused", async () => {
    const challenge = await createAltchaChallenge({ settings: { ...FAST, ttlSeconds: 1 }, secretSource: source });
    const payload = await solvedPayload(challenge);
    await new Promise((r) => setTimeout(r, 2_100));
    const r = await verifyAltcha(t.pool, payload, { secretSource: source });
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.codes, ["expired"]);
  });

  test("replay records are pruned only when old", async () => {
    await t.pool.query(
      `INSERT INTO rate_limit_buckets (key, "windowStart", count) VALUES ('altcha:old', now() - interval '3 days', 1), ('signup-ip:keep', now() - interval '3 days', 1)`,
    );
    assert.equal(await pruneAltchaReplayRecords(t.pool), 1);
    const left = await t.pool.query(`SELECT key FROM rate_limit_buckets WHERE key IN ('altcha:old', 'signup-ip:keep')`);
    assert.deepEqual(
      left.rows.map((r) => r.key),
      ["signup-ip:keep"],
    );
  });

  test("the generated key file is 0600 and every process gets the same key", async () => {
    const shared = fs.mkdtempSync(path.join(os.tmpdir(), "og-altcha-key-"));
    try {
      const mod = path.resolve(import.meta.dirname, "../../lib/captcha/server-secret.ts");
      const script = `import { loadOrCreateSecretFile } from ${JSON.stringify(mod)}; process.stdout.write(loadOrCreateSecretFile(${JSON.stringify(shared)}));`;
      const run = () =>
        new Promise<string>((resolve, reject) => {
          const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          p.stdout.on("data", (c: Buffer) => (out += c.toString()));
          p.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
        });
      const keys = await Promise.all([run(), run(), run(), run()]);
      assert.equal(new Set(keys).size, 1);
      assert.ok(keys[0].length >= 32);
      assert.equal(loadOrCreateSecretFile(shared), keys[0]);
      assert.equal(fs.statSync(path.join(shared, SECRET_FILE_NAME)).mode & 0o777, 0o600);
      assert.deepEqual(fs.readdirSync(shared), [SECRET_FILE_NAME], "no temp files left behind");
    } finally {
      fs.rmSync(shared, { recursive: true, force: true });
    }
  });
});
