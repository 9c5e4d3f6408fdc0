// Case 5: login brute force and password spray over the protocol (`authenticate`), 16 attempts
// in flight at a time, each on its own TLS connection from a chosen loopback source address.
// After each attack's wrong guesses, the right password is tried from the same place.
// Documented limits (docs/protocol.md, lib/domain/login-limits.ts): 10 failed attempts per
// account and 50 per client address per 15 minutes; when either is full every attempt is
// refused the same way (RATELIMITED) without checking the password.
// Figure: attempts that got through (the password was checked: BADAUTH or OK) per attack.
// Invariant: never more than the limits allow, and every right password tried beyond them refused.
import { OpenGrooveError, RealmClient } from "../client/sdk/index.ts";
import { LOGIN_LIMITS } from "../lib/domain/login-limits.ts";
import { HOST, sourceAddress, type Cred, type Ctx, type Figure } from "./harness.ts";

type Attempt = { cred: Cred; password: string; from: string };

async function attempt(port: number, a: Attempt): Promise<string> {
  const c = await RealmClient.connect({ host: HOST, port, realm: "plain", timeoutMs: 60_000, localAddress: a.from });
  try {
    await c.authenticate(a.cred.username, a.cred.computer, a.password);
    return "OK";
  } catch (e) {
    return e instanceof OpenGrooveError ? e.status : "ERROR";
  } finally {
    c.close();
  }
}

/** Runs attempts 16 at a time; returns each one's status, in order. */
async function attack(port: number, attempts: Attempt[]): Promise<string[]> {
  const out: string[] = new Array(attempts.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < attempts.length) {
        const i = next++;
        out[i] = await attempt(port, attempts[i]);
      }
    }),
  );
  return out;
}

interface Row {
  name: string;
  attempts: number;
  through: number;
  allowed: number;
  rightRefused: number;
  rightTried: number;
  other: number;
}

export async function run(ctx: Ctx): Promise<Figure> {
  const daemon = await ctx.daemon();
  const port = daemon.port;
  const A = LOGIN_LIMITS.account.limit;
  const I = LOGIN_LIMITS.ip.limit;
  const spreadAddrs = ctx.opts.short ? 2 : 4;
  let addr = 100;
  const rows: Row[] = [];
  const guesses = (cred: Cred, n: number, from: (i: number) => string): Attempt[] =>
    Array.from({ length: n }, (_, i) => ({ cred, password: `wrong guess ${i}`, from: from(i) }));
  const run1 = async (name: string, wrong: Attempt[], right: Attempt[], allowed: number) => {
    const w = await attack(port, wrong);
    const r = await attack(port, right);
    const through = w.filter((s) => s === "BADAUTH" || s === "OK").length;
    rows.push({
      name,
      attempts: wrong.length,
      through,
      allowed,
      rightTried: right.length,
      rightRefused: r.filter((s) => s === "RATELIMITED").length,
      other: [...w, ...r].filter((s) => !["BADAUTH", "OK", "RATELIMITED"].includes(s)).length,
    });
  };

  // One account from one address, then one account from several addresses.
  const [victim1, victim2] = await ctx.users("bv", 2);
  const a1 = sourceAddress(addr++);
  await run1(
    "brute force, 1 account, 1 address",
    guesses(victim1, 40, () => a1),
    [{ cred: victim1, password: victim1.password, from: a1 }],
    A,
  );
  const many = Array.from({ length: 5 }, () => sourceAddress(addr++));
  await run1(
    "brute force, 1 account, 5 addresses",
    guesses(victim2, 40, (i) => many[i % 5]),
    many.map((from) => ({ cred: victim2, password: victim2.password, from })),
    A,
  );
  // Spray: one guess per account over many accounts, from one address, then from several.
  const sprayed = await ctx.users("bs", 70);
  const s1 = sourceAddress(addr++);
  await run1(
    "password spray, 70 accounts, 1 address",
    sprayed.map((cred, i) => ({ cred, password: `spring${i}`, from: s1 })),
    [{ cred: sprayed[0], password: sprayed[0].password, from: s1 }],
    I,
  );
  const sprayed2 = await ctx.users("bt", 60 * spreadAddrs);
  const addrs = Array.from({ length: spreadAddrs }, () => sourceAddress(addr++));
  await run1(
    `password spray, ${sprayed2.length} accounts, ${spreadAddrs} addresses`,
    sprayed2.map((cred, i) => ({ cred, password: `summer${i}`, from: addrs[i % spreadAddrs] })),
    addrs.map((from, i) => ({ cred: sprayed2[i], password: sprayed2[i].password, from })),
    I * spreadAddrs,
  );

  const ok = rows.every((r) => r.through <= r.allowed && r.rightRefused === r.rightTried && r.other === 0);
  return {
    case: "brute-force",
    ok,
    invariant: `attempts through ≤ ${A} per account and ≤ ${I} per address; every right password tried past a full limit refused (RATELIMITED); no other status`,
    summary: rows
      .map(
        (r) =>
          `${r.name}: ${r.through} of ${r.attempts} through (limit ${r.allowed}), right password refused ${r.rightRefused}/${r.rightTried}`,
      )
      .join("; "),
    figures: { attacks: rows },
  };
}
