// Case 6: a signup flood over the protocol (`registeraccount`, 16 in flight, each on its own
// TLS connection from a chosen loopback address). Documented caps: `registrationsPerIp` (10 per
// 30 min per address and realm, REALM_DEFAULTS) and the realm's user cap (console; checked with
// one conditional UPDATE). Three floods:
//   - the plain open realm without captcha, 25 attempts from one address;
//   - the same realm with its cap set 30 above its count, 15 attempts from each of 8 addresses;
//   - the seeded OpenGroove realm (open, captcha): 20 attempts from one address, which may only
//     open captcha tickets (CONTINUE), never create an account.
// The web signup (Next.js, captcha) is not flooded here: it needs the built web app.
// Figure: accounts created per flood vs the caps. Invariant: the caps hold exactly.
import { OpenGrooveError, RealmClient } from "../client/sdk/index.ts";
import { REALM_DEFAULTS } from "../realm-daemon/config.ts";
import { REALM } from "../bench/setup.ts";
import { HOST, sourceAddress, type Ctx, type Figure } from "./harness.ts";

type Try = { username: string; from: string };

async function register(port: number, realm: string, t: Try): Promise<string> {
  const c = await RealmClient.connect({ host: HOST, port, realm, timeoutMs: 60_000, localAddress: t.from });
  try {
    return (await c.register({ username: t.username, password: "flood password 1234" })).status;
  } catch (e) {
    return e instanceof OpenGrooveError ? e.status : "ERROR";
  } finally {
    c.close();
  }
}

async function flood(port: number, realm: string, tries: Try[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < tries.length) {
        const s = await register(port, realm, tries[next++]);
        out.set(s, (out.get(s) ?? 0) + 1);
      }
    }),
  );
  return out;
}

export async function run(ctx: Ctx): Promise<Figure> {
  const daemon = await ctx.daemon({ limits: { registrationsPerIp: REALM_DEFAULTS.registrationsPerIp } });
  const perIp = REALM_DEFAULTS.registrationsPerIp;
  const count = async (prefix: string) =>
    (
      await ctx.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE username LIKE $1`, [
        `${prefix}%`,
      ])
    ).rows[0].n;
  const fmt = (m: Map<string, number>) => [...m].map(([s, n]) => `${s} ${n}`).join(", ");

  const one = sourceAddress(200);
  const f1 = await flood(
    daemon.port,
    "plain",
    Array.from({ length: 25 }, (_, i) => ({ username: `floodone${i}`, from: one })),
  );
  const created1 = await count("floodone");

  const cap = 30;
  await ctx.db.pool.query(`UPDATE realms SET "userCap" = "userCount" + $2 WHERE id = $1`, [REALM, cap]);
  const addrs = Array.from({ length: 8 }, (_, i) => sourceAddress(201 + i));
  const f2 = await flood(
    daemon.port,
    "plain",
    Array.from({ length: 15 * addrs.length }, (_, i) => ({ username: `floodmany${i}`, from: addrs[i % addrs.length] })),
  );
  const created2 = await count("floodmany");
  const perAddress = await ctx.db.pool.query<{ n: number }>(
    `SELECT max(count)::int AS n FROM rate_limit_buckets WHERE key LIKE 'register:%'`,
  );

  const captchaRealm = "opengroove";
  const f3 = await flood(
    daemon.ports[captchaRealm],
    captchaRealm,
    Array.from({ length: 20 }, (_, i) => ({ username: `floodcaptcha${i}`, from: sourceAddress(220) })),
  );
  const created3 = await count("floodcaptcha");
  const tickets = (
    await ctx.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM registration_tickets`).catch(() => ({
      rows: [{ n: -1 }],
    }))
  ).rows[0].n;

  const ok =
    created1 === perIp && created2 === cap && created3 === 0 && (f3.get("CONTINUE") ?? 0) <= perIp && tickets <= perIp;
  return {
    case: "signup-flood",
    ok,
    invariant: `one address creates exactly ${perIp} (registrationsPerIp); 8 addresses create exactly the ${cap} the realm cap leaves; a captcha realm creates 0 and opens ≤ ${perIp} tickets per address`,
    summary:
      `plain open realm, 25 from 1 address: ${created1} created (cap ${perIp}; ${fmt(f1)}); ` +
      `120 from 8 addresses with ${cap} places left: ${created2} created (${fmt(f2)}); ` +
      `captcha realm, 20 from 1 address: ${created3} created, ${tickets} tickets (${fmt(f3)})`,
    figures: {
      oneAddress: { attempts: 25, created: created1, cap: perIp, replies: Object.fromEntries(f1) },
      eightAddresses: {
        attempts: 120,
        created: created2,
        cap,
        maxPerAddressBucket: perAddress.rows[0].n,
        replies: Object.fromEntries(f2),
      },
      captchaRealm: { attempts: 20, created: created3, tickets, replies: Object.fromEntries(f3) },
    },
  };
}
