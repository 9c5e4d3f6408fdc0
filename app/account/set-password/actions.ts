"use server";
// The one-time set-password link's form (accounts created by an operator). The link's secret is
// the authority here: no session is needed, and it works once (lib/domain/set-password-links.ts).
import { requestIp } from "../../../lib/auth/current-actor.ts";
import { fieldProblems, type ActionResult } from "../../../lib/console/command.ts";
import { db } from "../../../lib/db/client.ts";
import { DomainError } from "../../../lib/domain/errors.ts";
import { redeemSetPasswordLink } from "../../../lib/domain/set-password-links.ts";

const str = (v: FormDataEntryValue | null) => (typeof v === "string" ? v : "");

export async function setPasswordWithLinkAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const token = str(form.get("token"));
  const password = str(form.get("password"));
  if (!password) return fieldProblems({ password: ["Choose a password."] });
  if (password !== str(form.get("confirm"))) return fieldProblems({ confirm: ["The two passwords differ."] });
  try {
    const target = await redeemSetPasswordLink(db().pool, token, password, await requestIp());
    return {
      ok: true,
      status: 200,
      message: `Password set for ${target.fullId}. You can sign in now.`,
      data: { realmSlug: target.realmSlug, username: target.username, fullId: target.fullId },
    };
  } catch (e) {
    if (e instanceof DomainError && e.code === "BADPASSWORD") return fieldProblems({ password: [e.message] });
    if (e instanceof DomainError) return { ok: false, status: 400, error: e.message };
    throw e;
  }
}
