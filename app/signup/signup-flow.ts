// The web signup, server side: cheap checks first (honeypot, form time, field rules), then the
// per-IP throttle, then the realm's captcha, then registerAccount — the one place that enforces
// registration mode, the user cap and invite uses. The ticket variant (protocol CONTINUE flow)
// verifies the captcha only and hands back the completion token for the person's client.
import type pg from "pg";
import { z } from "zod";
import { DomainError } from "../../lib/domain/errors.ts";
import { registerAccount } from "../../lib/domain/registration.ts";
import { passTicketCaptcha } from "../../lib/domain/tickets.ts";
import { checkPassword, checkUsername, formatUserId } from "../../lib/domain/usernames.ts";
import { enforceSignupThrottle, type ThrottleSettings } from "../../lib/domain/signup-throttle.ts";
import {
  checkFormStamp,
  checkHoneypot,
  formTimeSettingsFromEnv,
  type FormTimeSettings,
} from "../../lib/captcha/form-guard.ts";
import { verifyHcaptcha } from "../../lib/captcha/hcaptcha.ts";
import { verifyAltcha } from "../../lib/captcha/altcha.ts";
import type { SecretSource } from "../../lib/captcha/server-secret.ts";
import type { StatusWord } from "../../lib/protocol/status.ts";
import type { Realm } from "../../lib/generated/prisma/client.ts";

export type SignupField = "username" | "password" | "confirm" | "invite" | "captcha" | "form";

export interface SignupRealm extends Pick<
  Realm,
  "id" | "slug" | "name" | "description" | "contactEmail" | "registrationMode" | "captchaProvider"
> {
  /** The realm's hCaptcha site key, or the installation's (OPENGROOVE_HCAPTCHA_SITEKEY). */
  hcaptchaSiteKey: string | null;
}

interface RealmRow extends Omit<SignupRealm, "hcaptchaSiteKey"> {
  hcaptchaSiteKey: string | null;
  hcaptchaSecret: string | null;
}

async function realmRow(pool: pg.Pool, slug: string): Promise<RealmRow | null> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) return null;
  const r = await pool.query<RealmRow>(
    `SELECT id, slug, name, description, "contactEmail", "registrationMode", "captchaProvider", "hcaptchaSiteKey", "hcaptchaSecret"
       FROM realms WHERE slug = $1 AND status = 'ACTIVE'`,
    [slug],
  );
  return r.rows[0] ?? null;
}

/** The name of a realm that exists but is disabled (its signup page says it is closed), else null. */
export async function disabledRealmName(pool: pg.Pool, slug: string): Promise<string | null> {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) return null;
  const r = await pool.query<{ name: string }>(`SELECT name FROM realms WHERE slug = $1 AND status <> 'ACTIVE'`, [
    slug,
  ]);
  return r.rows[0]?.name ?? null;
}

/** The realm as the signup page may show it (never the captcha secret). */
export async function findSignupRealm(
  pool: pg.Pool,
  slug: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<SignupRealm | null> {
  const row = await realmRow(pool, slug);
  if (!row) return null;
  const { hcaptchaSecret: _secret, ...pub } = row;
  return { ...pub, hcaptchaSiteKey: row.hcaptchaSiteKey || env.OPENGROOVE_HCAPTCHA_SITEKEY || null };
}

export type TicketState = "usable" | "passed" | "expired" | "missing";

export async function ticketState(pool: pg.Pool, ticketId: string, realmId: string): Promise<TicketState> {
  if (!/^[0-9a-f-]{36}$/i.test(ticketId)) return "missing";
  const r = await pool.query<{ usable: boolean; passed: boolean }>(
    `SELECT ("usedAt" IS NULL AND "expiresAt" > now()) AS usable, "captchaPassedAt" IS NOT NULL AS passed FROM registration_tickets WHERE id = $1 AND "realmId" = $2`,
    [ticketId, realmId],
  );
  const row = r.rows[0];
  if (!row) return "missing";
  if (!row.usable) return "expired";
  return row.passed ? "passed" : "usable";
}

export interface AbuseContext {
  ip: string;
  env?: Readonly<Record<string, string | undefined>>;
  throttle?: ThrottleSettings;
  formTime?: FormTimeSettings;
  secretSource?: SecretSource;
}

export interface CaptchaInput {
  hcaptchaToken?: string;
  altchaPayload?: string;
  honeypot?: string;
  formStamp?: string;
}

export interface SignupInput extends CaptchaInput {
  username: string;
  password: string;
  confirm: string;
  invite?: string;
}

export type Failure = {
  ok: false;
  code: StatusWord;
  message: string;
  fieldErrors: Partial<Record<SignupField, string>>;
  /** True when the captcha answer was sent for checking: the page must get a fresh one. */
  captchaSpent: boolean;
};
export type SignupResult =
  { ok: true; userId: string; username: string; realmId: string; realmName: string; realmSlug: string } | Failure;
export type TicketResult = { ok: true; token: string; realmId: string; realmName: string } | Failure;

export const signupPurpose = (slug: string) => `signup:${slug}`;
export const ticketPurpose = (slug: string) => `ticket:${slug}`;

const fieldsSchema = z
  .object({
    username: z.string().trim().min(1, "Choose a username.").max(256, "This username is far too long."),
    password: z.string().min(1, "Choose a password.").max(1024, "This password is far too long."),
    confirm: z.string().max(1024),
    invite: z.string().trim().max(512, "This invite code is far too long.").optional(),
  })
  .refine((v) => v.confirm === v.password, {
    path: ["confirm"],
    message: "The two passwords do not match; type the same password twice.",
  });

function fail(
  code: StatusWord,
  message: string,
  fieldErrors: Failure["fieldErrors"] = {},
  captchaSpent = false,
): Failure {
  return { ok: false, code, message, fieldErrors, captchaSpent };
}

export function failureFromError(e: unknown, captchaSpent: boolean): Failure {
  if (e instanceof DomainError) {
    const field = e.field as SignupField | undefined;
    return fail(e.code, e.message, field ? { [field]: e.message } : {}, captchaSpent);
  }
  throw e;
}

async function checkCaptcha(pool: pg.Pool, realm: RealmRow, input: CaptchaInput, ctx: AbuseContext): Promise<void> {
  const env = ctx.env ?? process.env;
  if (realm.captchaProvider === "HCAPTCHA") {
    const secret = realm.hcaptchaSecret || env.OPENGROOVE_HCAPTCHA_SECRET || "";
    const siteKey = realm.hcaptchaSiteKey || env.OPENGROOVE_HCAPTCHA_SITEKEY || undefined;
    const timeoutMs = Number(env.OPENGROOVE_HCAPTCHA_TIMEOUT_MS) || undefined;
    const verifyUrl = env.OPENGROOVE_HCAPTCHA_VERIFY_URL || undefined;
    const out = await verifyHcaptcha(input.hcaptchaToken ?? "", {
      secret,
      siteKey,
      remoteIp: ctx.ip !== "unknown" ? ctx.ip : undefined,
      timeoutMs,
      verifyUrl,
    });
    if (!out.ok)
      throw new DomainError(
        out.kind === "unavailable" ? "BUSY" : out.kind === "misconfigured" ? "INTERNALERROR" : "UNAUTHORIZED",
        out.message,
        "captcha",
      );
  } else if (realm.captchaProvider === "ALTCHA") {
    const out = await verifyAltcha(pool, input.altchaPayload ?? "", { secretSource: ctx.secretSource });
    if (!out.ok) throw new DomainError("UNAUTHORIZED", out.message, "captcha");
  }
}

const NO_REALM =
  "There is no realm with this signup address. Check the link, or ask the realm's operator for the right one.";

/** A complete web signup. Never throws a DomainError: failures come back with field errors. */
export async function submitSignup(
  pool: pg.Pool,
  slug: string,
  input: SignupInput,
  ctx: AbuseContext,
): Promise<SignupResult> {
  let spent = false;
  try {
    const realm = await realmRow(pool, slug);
    if (!realm) return fail("NOSUCHREALM", NO_REALM);
    if (realm.registrationMode === "CLOSED")
      return fail(
        "REGISTRATIONCLOSED",
        `${realm.name} is not accepting new accounts. Ask its operator${realm.contactEmail ? ` (${realm.contactEmail})` : ""} for an account.`,
      );
    checkHoneypot(input.honeypot);
    // The minimum fill time stops scripts only where nothing else does (open signup without a
    // captcha); elsewhere the captcha or the invite does, and a password manager that fills the
    // form at once and is submitted straight away must not be refused as "too quick".
    const timeGuard = realm.registrationMode === "OPEN" && realm.captchaProvider === "NONE";
    checkFormStamp(input.formStamp, signupPurpose(realm.slug), {
      settings: timeGuard ? ctx.formTime : { ...(ctx.formTime ?? formTimeSettingsFromEnv()), minSeconds: 0 },
      secretSource: ctx.secretSource,
    });

    // Field rules up front (all at once), so a typo does not burn a captcha or a throttle slot.
    const parsed = fieldsSchema.safeParse(input);
    const fieldErrors: Failure["fieldErrors"] = {};
    if (!parsed.success) for (const i of parsed.error.issues) fieldErrors[i.path[0] as SignupField] ??= i.message;
    const username = parsed.success ? parsed.data.username : input.username.trim();
    if (!fieldErrors.username) {
      const e = checkUsername(username);
      if (e) fieldErrors.username = e.message;
    }
    if (!fieldErrors.password) {
      const e = checkPassword(input.password, username);
      if (e) fieldErrors.password = e.message;
    }
    if (realm.registrationMode === "INVITE" && !input.invite?.trim())
      fieldErrors.invite = "This realm is invite-only: paste the invite code you were given.";
    if (Object.keys(fieldErrors).length)
      return fail("BADARGUMENTS", "Some fields need attention; see the notes below each one.", fieldErrors);

    // An invite is its own limit (its uses, checked atomically by registerAccount; its code is
    // too long to guess), so invited colleagues behind one NAT do not use up the address's slots.
    if (realm.registrationMode !== "INVITE") await enforceSignupThrottle(pool, realm.id, ctx.ip, ctx.throttle);
    if (realm.registrationMode === "OPEN") {
      spent = true;
      await checkCaptcha(pool, realm, input, ctx);
    }
    const user = await registerAccount(pool, {
      realmId: realm.id,
      username,
      password: input.password,
      inviteCode: realm.registrationMode === "INVITE" ? input.invite?.trim() : undefined,
      captchaPassed: realm.registrationMode === "OPEN",
    });
    return {
      ok: true,
      userId: formatUserId(user.realmId, user.username),
      username: user.username,
      realmId: user.realmId,
      realmName: realm.name,
      realmSlug: realm.slug,
    };
  } catch (e) {
    return failureFromError(e, spent);
  }
}

/** Ticket mode: the captcha only; returns the completion token to paste into the client. */
export async function submitTicketCaptcha(
  pool: pg.Pool,
  slug: string,
  ticketId: string,
  input: CaptchaInput,
  ctx: AbuseContext,
): Promise<TicketResult> {
  let spent = false;
  try {
    const realm = await realmRow(pool, slug);
    if (!realm) return fail("NOSUCHREALM", NO_REALM);
    checkHoneypot(input.honeypot);
    checkFormStamp(input.formStamp, ticketPurpose(realm.slug), {
      settings: ctx.formTime,
      secretSource: ctx.secretSource,
    });
    const state = await ticketState(pool, ticketId, realm.id);
    if (state === "missing" || state === "expired")
      return fail(
        "BADARGUMENTS",
        "This signup link has expired or was already used. Start the signup again from your OpenGroove client to get a new link.",
      );
    await enforceSignupThrottle(pool, realm.id, ctx.ip, ctx.throttle);
    spent = true;
    await checkCaptcha(pool, realm, input, ctx);
    const token = await passTicketCaptcha(pool, ticketId, realm.id);
    return { ok: true, token, realmId: realm.id, realmName: realm.name };
  } catch (e) {
    return failureFromError(e, spent);
  }
}
