// Cheap anti-abuse checks on the signup form, before any captcha or database work:
// - a honeypot field that people never see (bots that fill every field give themselves away);
// - a minimum form-fill time, from a signed timestamp the page puts in a hidden field (a bot
//   that posts straight away, or replays an old form, is refused; the signature stops forging).
import crypto from "node:crypto";
import { DomainError } from "../domain/errors.ts";
import { derivedSecret, type SecretSource } from "./server-secret.ts";

export const HONEYPOT_FIELD = "website";
export const FORM_STAMP_FIELD = "formStamp";

export interface FormTimeSettings {
  minSeconds: number;
  maxSeconds: number;
}

export function formTimeSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): FormTimeSettings {
  const min = Number(env.OPENGROOVE_SIGNUP_MIN_FORM_SECONDS ?? 3);
  return { minSeconds: Number.isFinite(min) && min >= 0 ? min : 3, maxSeconds: 2 * 3600 };
}

function sign(payload: string, source?: SecretSource): string {
  return crypto.createHmac("sha256", derivedSecret("signup-form-time", source)).update(payload).digest("base64url");
}

/** The hidden field's value: when the form was rendered, signed; `purpose` binds it to one form. */
export function issueFormStamp(purpose: string, opts: { now?: number; secretSource?: SecretSource } = {}): string {
  const payload = `${opts.now ?? Date.now()}.${purpose}`;
  return `${payload}.${sign(payload, opts.secretSource)}`;
}

/** Throws a DomainError (field "form") when the stamp is missing, forged, too fresh or too old. */
export function checkFormStamp(
  stamp: string | undefined,
  purpose: string,
  opts: { now?: number; settings?: FormTimeSettings; secretSource?: SecretSource } = {},
): void {
  const settings = opts.settings ?? formTimeSettingsFromEnv();
  const reload = "Reload the page, fill in the form and submit it again.";
  const m = /^(\d{10,16})\.([^.]{1,200})\.([A-Za-z0-9_-]{43})$/.exec(stamp ?? "");
  if (!m || m[2] !== purpose)
    throw new DomainError("BADARGUMENTS", `The form is incomplete or was altered. ${reload}`, "form");
  const expected = sign(`${m[1]}.${m[2]}`, opts.secretSource);
  if (!crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(m[3])))
    throw new DomainError("BADARGUMENTS", `The form is incomplete or was altered. ${reload}`, "form");
  const age = ((opts.now ?? Date.now()) - Number(m[1])) / 1000;
  if (age < settings.minSeconds)
    throw new DomainError(
      "RATELIMITED",
      `The form was sent too quickly (automated signups are refused). Wait a few seconds, then submit it again.`,
      "form",
    );
  if (age > settings.maxSeconds)
    throw new DomainError("BADARGUMENTS", `The form was open too long and has expired. ${reload}`, "form");
}

/** Throws when the honeypot was filled in. The message helps a person with an over-eager autofill. */
export function checkHoneypot(value: string | undefined): void {
  if (value && value.trim() !== "")
    throw new DomainError(
      "UNAUTHORIZED",
      "The form looked automated, so it was refused. If you are a person, turn off form autofill for this page, reload it and try again.",
      "form",
    );
}
