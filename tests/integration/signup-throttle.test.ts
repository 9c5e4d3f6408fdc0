// The per-IP signup throttle: counters in rate_limit_buckets, atomic across connections.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDb, type TestDb } from "../helpers/db.ts";
import {
  enforceSignupThrottle,
  pruneSignupThrottle,
  takeSignupAttempt,
  throttleKeyForIp,
  throttleSettingsFromEnv,
} from "../../lib/domain/signup-throttle.ts";
import { DomainError } from "../../lib/domain/errors.ts";

const R = "localhost:63745";
const OTHER = "localhost:63741";

describe("signup throttle", () => {
  let t: TestDb;
  before(async () => {
    t = await createTestDb();
  });
  after(async () => {
    await t.drop();
  });

  test("settings default to 5 per 30 minutes and come from the environment", () => {
    assert.deepEqual(throttleSettingsFromEnv({}), { limit: 5, windowSeconds: 1800 });
    assert.deepEqual(
      throttleSettingsFromEnv({ OPENGROOVE_SIGNUP_LIMIT: "20", OPENGROOVE_SIGNUP_WINDOW_MINUTES: "10" }),
      { limit: 20, windowSeconds: 600 },
    );
    assert.throws(() => throttleSettingsFromEnv({ OPENGROOVE_SIGNUP_LIMIT: "0" }));
  });

  test("addresses map to keys; IPv6 by /64, IPv4-mapped as IPv4", () => {
    assert.equal(throttleKeyForIp(R, "203.0.113.9"), `signup-ip:${R}|203.0.113.9`);
    assert.equal(throttleKeyForIp(R, "::ffff:203.0.113.9"), `signup-ip:${R}|203.0.113.9`);
    assert.equal(throttleKeyForIp(R, "2001:db8:0:12::1"), `signup-ip:${R}|2001:db8:0:12::/64`);
    assert.equal(throttleKeyForIp(R, "2001:0db8:0000:0012:aaaa:bbbb:cccc:dddd"), `signup-ip:${R}|2001:db8:0:12::/64`);
  });

  test("the 6th attempt in a window is refused with when to retry; other addresses are unaffected", async () => {
    const s = { limit: 5, windowSeconds: 1800 };
    for (let i = 0; i < 5; i++) await enforceSignupThrottle(t.pool, R, "198.51.100.1", s);
    await assert.rejects(enforceSignupThrottle(t.pool, R, "198.51.100.1", s), (e: unknown) => {
      assert.ok(e instanceof DomainError);
      assert.equal(e.code, "RATELIMITED");
      assert.match(e.message, /Wait 30 minutes and try again/);
      return true;
    });
    await enforceSignupThrottle(t.pool, R, "198.51.100.2", s);
    // Each realm counts its own attempts.
    await enforceSignupThrottle(t.pool, OTHER, "198.51.100.1", s);
  });

  test("40 parallel attempts from one address: exactly the limit goes through", async () => {
    const s = { limit: 7, windowSeconds: 1800 };
    const results = await Promise.all(
      Array.from({ length: 40 }, () => takeSignupAttempt(t.pool, R, "198.51.100.3", s)),
    );
    assert.equal(results.filter((r) => r.allowed).length, 7);
    assert.deepEqual(
      results.map((r) => r.count).sort((a, b) => a - b),
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
  });

  test("a new window opens once the old one has ended", async () => {
    const s = { limit: 1, windowSeconds: 60 };
    assert.equal((await takeSignupAttempt(t.pool, R, "198.51.100.4", s)).allowed, true);
    assert.equal((await takeSignupAttempt(t.pool, R, "198.51.100.4", s)).allowed, false);
    await t.pool.query(
      `UPDATE rate_limit_buckets SET "windowStart" = "windowStart" - interval '61 seconds' WHERE key = $1`,
      [throttleKeyForIp(R, "198.51.100.4")],
    );
    const r = await takeSignupAttempt(t.pool, R, "198.51.100.4", s);
    assert.deepEqual([r.allowed, r.count], [true, 1]);
    assert.ok(r.resetAt.getTime() - Date.now() > 55_000);
  });

  test("old windows are pruned", async () => {
    await t.pool.query(
      `UPDATE rate_limit_buckets SET "windowStart" = "windowStart" - interval '2 days' WHERE key = $1`,
      [throttleKeyForIp(R, "198.51.100.1")],
    );
    assert.equal(await pruneSignupThrottle(t.pool), 1);
  });
});
