"use server";
// Operator sign-in and sign-out. Failures are rate-limited inside authenticateOperator.
import { AuthError } from "next-auth";
import { signIn, signOut } from "../../../auth.ts";
import { operatorCredentials } from "../../../lib/auth/operator-credentials.ts";
import { safeNextPath } from "../../../lib/console/next-path.ts";
import { zodFieldErrors, type ActionResult } from "../../../lib/console/command.ts";

export async function signInAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const parsed = operatorCredentials.safeParse({ username: form.get("username"), password: form.get("password") });
  const username = typeof form.get("username") === "string" ? String(form.get("username")) : "";
  if (!parsed.success)
    return {
      ok: false,
      status: 400,
      error: "Enter your username and password.",
      fieldErrors: zodFieldErrors(parsed.error),
      values: { username },
    };
  try {
    await signIn("operator", { ...parsed.data, redirectTo: safeNextPath(form.get("next")) });
  } catch (e) {
    if (e instanceof AuthError) {
      const code = "code" in e ? (e as { code?: string }).code : undefined;
      if (code === "rate_limited")
        return {
          ok: false,
          status: 429,
          error: "Too many failed sign-ins. Wait 15 minutes and try again.",
          values: { username },
        };
      return { ok: false, status: 401, error: "Wrong username or password.", values: { username } };
    }
    throw e; // the redirect after a successful sign-in
  }
  return { ok: true, status: 200, message: "Signed in." };
}

export async function signOutAction(): Promise<void> {
  await signOut({ redirectTo: "/console/sign-in" });
}
