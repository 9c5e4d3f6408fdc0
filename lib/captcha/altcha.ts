// ALTCHA: the self-hosted proof-of-work captcha, for realms that cannot (or do not want to)
// reach hCaptcha. Challenges are HMAC-signed with a key all web processes share (see
// server-secret.ts); a solved challenge is good once: its signature is recorded in
// rate_limit_buckets (key "altcha:<signature>") with an atomic insert, so a replay is refused
// across processes.
import type pg from "pg";
import { z } from "zod";
import { createChallenge, randomInt, verifySolution, type Challenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/pbkdf2";
import { derivedSecret, type SecretSource } from "./server-secret.ts";
import { captchaFailure, type CaptchaOutcome } from "./types.ts";

export const ALTCHA_ALGORITHM = "PBKDF2/SHA-256";
const REPLAY_KEY_PREFIX = "altcha:";

export interface AltchaSettings {
  /** PBKDF2 iterations per attempt. */
  cost: number;
  /** The secret counter is drawn from [maxCounter/2, maxCounter]: the expected work. */
  maxCounter: number;
  /** How long a challenge may be solved and submitted. */
  ttlSeconds: number;
}

const positiveInt = (fallback: number, max: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const settingsSchema = z.object({
  OPENGROOVE_ALTCHA_COST: positiveInt(1_000, 1_000_000),
  OPENGROOVE_ALTCHA_MAX_COUNTER: positiveInt(10_000, 10_000_000),
  OPENGROOVE_ALTCHA_TTL_SECONDS: positiveInt(600, 86_400),
});

export function altchaSettingsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): AltchaSettings {
  const s = settingsSchema.parse({
    OPENGROOVE_ALTCHA_COST: env.OPENGROOVE_ALTCHA_COST || undefined,
    OPENGROOVE_ALTCHA_MAX_COUNTER: env.OPENGROOVE_ALTCHA_MAX_COUNTER || undefined,
    OPENGROOVE_ALTCHA_TTL_SECONDS: env.OPENGROOVE_ALTCHA_TTL_SECONDS || undefined,
  });
  return {
    cost: s.OPENGROOVE_ALTCHA_COST,
    maxCounter: s.OPENGROOVE_ALTCHA_MAX_COUNTER,
    ttlSeconds: s.OPENGROOVE_ALTCHA_TTL_SECONDS,
  };
}

function secrets(source?: SecretSource) {
  return {
    hmacSignatureSecret: derivedSecret("altcha-challenge", source),
    hmacKeySignatureSecret: derivedSecret("altcha-key", source),
  };
}

/** A signed challenge for the widget (the JSON the challenge route returns). */
export async function createAltchaChallenge(
  opts: { settings?: AltchaSettings; secretSource?: SecretSource } = {},
): Promise<Challenge> {
  const settings = opts.settings ?? altchaSettingsFromEnv();
  const low = Math.max(1, Math.floor(settings.maxCounter / 2));
  return createChallenge({
    algorithm: ALTCHA_ALGORITHM,
    cost: settings.cost,
    counter: randomInt(settings.maxCounter, low),
    deriveKey,
    expiresAt: Math.floor(Date.now() / 1000) + settings.ttlSeconds,
    ...secrets(opts.secretSource),
  });
}

const payloadSchema = z.object({
  challenge: z.object({
    parameters: z
      .object({
        algorithm: z.literal(ALTCHA_ALGORITHM),
        nonce: z.string().regex(/^[0-9a-f]{2,128}$/),
        salt: z.string().regex(/^[0-9a-f]{2,128}$/),
        cost: z.number().int().positive(),
        keyLength: z.number().int().positive().max(64),
        keyPrefix: z.string().regex(/^[0-9a-f]{1,128}$/),
        expiresAt: z.number().int().positive(),
      })
      .passthrough(),
    signature: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  solution: z.object({
    counter: z.number().int().nonnegative(),
    derivedKey: z.string().regex(/^[0-9a-f]{2,256}$/),
    time: z.number().optional(),
  }),
});

const AGAIN = "Wait for the check box to show it is verified, then submit the form again.";

/** Decodes the widget's base64 JSON payload; null when it is not a well-formed ALTCHA v2 payload. */
export function decodeAltchaPayload(payload: string): z.infer<typeof payloadSchema> | null {
  if (!payload || payload.length > 8_192) return null;
  try {
    const r = payloadSchema.safeParse(JSON.parse(Buffer.from(payload, "base64").toString("utf8")));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/**
 * Verifies a solved challenge and marks it used (atomically, across processes). A second
 * submission of the same solution is refused.
 */
export async function verifyAltcha(
  pool: pg.Pool,
  payload: string,
  opts: { secretSource?: SecretSource } = {},
): Promise<CaptchaOutcome> {
  if (!payload?.trim())
    return captchaFailure("rejected", `The anti-robot check was not completed. ${AGAIN}`, ["missing-payload"]);
  const decoded = decodeAltchaPayload(payload.trim());
  if (!decoded)
    return captchaFailure("rejected", `The anti-robot check answer is malformed. Reload the page and try again.`, [
      "malformed-payload",
    ]);
  const result = await verifySolution({
    challenge: decoded.challenge as Challenge,
    solution: decoded.solution,
    deriveKey,
    ...secrets(opts.secretSource),
  });
  if (result.expired)
    return captchaFailure(
      "rejected",
      `The anti-robot check expired. Reload the page, let the check finish, and submit again.`,
      ["expired"],
    );
  if (!result.verified)
    return captchaFailure("rejected", `The anti-robot check failed. Reload the page and try again.`, [
      result.invalidSignature ? "invalid-signature" : "invalid-solution",
    ]);

  // Good once: the first insert wins; the row is kept past the challenge's expiry.
  const used = await pool.query(
    `INSERT INTO rate_limit_buckets (key, "windowStart", count) VALUES ($1, now(), 1) ON CONFLICT (key) DO NOTHING RETURNING key`,
    [REPLAY_KEY_PREFIX + decoded.challenge.signature],
  );
  if (used.rowCount === 0)
    return captchaFailure("rejected", `This anti-robot check was already used. Reload the page and let it run again.`, [
      "already-used",
    ]);
  return { ok: true, provider: "ALTCHA" };
}

/** Drops replay records older than any challenge could live; cheap, call now and then. */
export async function pruneAltchaReplayRecords(pool: pg.Pool, olderThanSeconds = 86_400 + 3_600): Promise<number> {
  const r = await pool.query(
    `DELETE FROM rate_limit_buckets WHERE key LIKE 'altcha:%' AND "windowStart" < now() - $1 * interval '1 second'`,
    [olderThanSeconds],
  );
  return r.rowCount ?? 0;
}
