// Sign-in for a realm's users (not operators): realm + username, or a full user id, and the
// realm password. An operator session does not count here; signing in replaces it.
import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { currentRealmUser } from "../../../lib/account/current-user.ts";
import { PublicPage } from "../../signup/_components/ui.tsx";
import { AccountSignInForm } from "../_components/sign-in-form.tsx";

export const metadata: Metadata = { title: "Sign in to your account", robots: { index: false } };
export const dynamic = "force-dynamic";

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : "");

export default async function AccountSignInPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const q = await searchParams;
  const next = one(q.next) || "/account";
  if (await currentRealmUser())
    redirect(next.startsWith("/account") || next.startsWith("/message") ? next : "/account");
  return (
    <PublicPage
      title="Sign in to your account"
      subtitle="With the username and password you use in the OpenGroove app."
    >
      <div className="card">
        <AccountSignInForm next={next} realm={one(q.realm)} />
      </div>
      <p className="text-sm text-slate-700">
        No account yet? <Link href="/">Find a realm to join</Link>. Running this server?{" "}
        <Link href="/console/sign-in">Operators sign in here</Link>.
      </p>
    </PublicPage>
  );
}
