"use server";
// Realm users' account actions: sign in and out (next-auth "realm-user" provider), remove a
// computer, change the password. Each re-reads the signed-in user from the database first.
import { AuthError } from "next-auth";
import { revalidatePath } from "next/cache";
import { signIn, signOut } from "../../auth.ts";
import { realmUserCredentials } from "../../lib/account/sign-in.ts";
import { changePassword, removeComputer } from "../../lib/account/changes.ts";
import { currentRealmUser } from "../../lib/account/current-user.ts";
import { fieldProblems, zodFieldErrors, type ActionResult } from "../../lib/console/command.ts";
import { db } from "../../lib/db/client.ts";
import { deleteOwnAccount } from "../../lib/account/delete-account.ts";
import { requestIp } from "../../lib/auth/current-actor.ts";

const SIGNED_OUT: ActionResult = { ok: false, status: 401, error: "Your session has ended. Sign in again." };

/** Only paths on this site that a realm user may land on after signing in. */
function safeNext(value: FormDataEntryValue | null): string {
  const v = typeof value === "string" ? value : "";
  return (v.startsWith("/account") || v.startsWith("/message")) && !v.startsWith("//") ? v : "/account";
}

export async function accountSignInAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const str = (k: string) => (typeof form.get(k) === "string" ? String(form.get(k)) : "");
  const values = { realm: str("realm"), username: str("username") };
  const parsed = realmUserCredentials.safeParse({
    realm: values.realm,
    username: values.username,
    password: str("password"),
  });
  if (!parsed.success) return fieldProblems(zodFieldErrors(parsed.error), values);
  try {
    await signIn("realm-user", { ...parsed.data, redirectTo: safeNext(form.get("next")) });
  } catch (e) {
    if (e instanceof AuthError) {
      const code = "code" in e ? (e as { code?: string }).code : undefined;
      if (code === "rate_limited")
        return { ok: false, status: 429, error: "Too many failed sign-ins. Wait 15 minutes and try again.", values };
      if (code === "suspended")
        return {
          ok: false,
          status: 401,
          error: "This account is suspended, or its realm is disabled. Contact the realm's operator.",
          values,
        };
      return { ok: false, status: 401, error: "Wrong realm, username or password.", values };
    }
    throw e; // the redirect after a successful sign-in
  }
  return { ok: true, status: 200, message: "Signed in." };
}

export async function accountSignOutAction(): Promise<void> {
  await signOut({ redirectTo: "/account/sign-in" });
}

export async function removeComputerAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const user = await currentRealmUser();
  if (!user) return SIGNED_OUT;
  const r = await removeComputer(db().pool, user, { name: form.get("name") });
  if (r.ok) revalidatePath("/account");
  return r;
}

export async function changePasswordAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const user = await currentRealmUser();
  if (!user) return SIGNED_OUT;
  return changePassword(db().pool, user, {
    current: form.get("current"),
    password: form.get("password"),
    confirm: form.get("confirm") ?? "",
  });
}

/** Deletes the signed-in user's account (password again), then ends the web session. */
export async function deleteAccountAction(_prev: ActionResult | null, form: FormData): Promise<ActionResult> {
  const user = await currentRealmUser();
  if (!user) return SIGNED_OUT;
  const r = await deleteOwnAccount(
    db().pool,
    user,
    { password: form.get("password") ?? "", confirm: form.get("confirm") ?? "" },
    await requestIp(),
  );
  if (!r.ok) return r;
  await signOut({ redirectTo: "/account/sign-in?deleted=1" });
  return r;
}
