"use server";
// Server actions behind the signup page: the full signup and the ticket (captcha-only) step.
import { headers } from "next/headers";
import { db } from "../../../lib/db/client.ts";
import { clientIpFrom } from "../../../lib/auth/request-meta.ts";
import { createLogger } from "../../../lib/log.ts";
import { submitSignup, submitTicketCaptcha, type SignupResult, type TicketResult } from "../signup-flow.ts";

const log = createLogger("signup");

function text(form: FormData, name: string): string | undefined {
  const v = form.get(name);
  return typeof v === "string" ? v : undefined;
}

async function clientIp(): Promise<string> {
  return clientIpFrom(await headers()) ?? "unknown";
}

export async function signupAction(slug: string, _prev: SignupResult | null, form: FormData): Promise<SignupResult> {
  const r = await submitSignup(
    db().pool,
    slug,
    {
      username: text(form, "username") ?? "",
      password: text(form, "password") ?? "",
      confirm: text(form, "confirm") ?? "",
      invite: text(form, "invite"),
      hcaptchaToken: text(form, "hcaptchaToken"),
      altchaPayload: text(form, "altchaPayload"),
      honeypot: text(form, "website"),
      formStamp: text(form, "formStamp"),
    },
    { ip: await clientIp() },
  );
  if (r.ok) log.info({ realm: r.realmId, user: r.userId }, "account created on the web");
  else if (r.code === "INTERNALERROR" || r.code === "BUSY")
    log.warn({ realm: slug, code: r.code, msg: r.message }, "web signup failed");
  return r;
}

export async function ticketAction(
  slug: string,
  ticketId: string,
  _prev: TicketResult | null,
  form: FormData,
): Promise<TicketResult> {
  const r = await submitTicketCaptcha(
    db().pool,
    slug,
    ticketId,
    {
      hcaptchaToken: text(form, "hcaptchaToken"),
      altchaPayload: text(form, "altchaPayload"),
      honeypot: text(form, "website"),
      formStamp: text(form, "formStamp"),
    },
    { ip: await clientIp() },
  );
  if (r.ok) log.info({ realm: r.realmId, ticket: ticketId }, "signup ticket passed the captcha");
  return r;
}
