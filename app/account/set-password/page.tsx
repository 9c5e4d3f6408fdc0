// /account/set-password?token=…: the page of a one-time set-password link an operator sent
// (lib/domain/set-password-links.ts). No referrer is sent from it, so the link's secret does not
// leak to other sites through the Referer header.
import type { Metadata } from "next";
import Link from "next/link";
import { db } from "../../../lib/db/client.ts";
import { setPasswordLinkTarget } from "../../../lib/domain/set-password-links.ts";
import { PublicPage } from "../../signup/_components/ui.tsx";
import { SetPasswordForm } from "./set-password-form.tsx";

export const metadata: Metadata = { title: "Choose your password", robots: { index: false }, referrer: "no-referrer" };
export const dynamic = "force-dynamic";

export default async function SetPasswordPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const q = await searchParams;
  const token = typeof q.token === "string" ? q.token : "";
  const target = await setPasswordLinkTarget(db().pool, token);
  if (!target)
    return (
      <PublicPage title="This link does not work">
        <p className="card" role="alert">
          This set-password link has expired or was already used. Ask the realm&apos;s operator for a new one, or{" "}
          <Link href="/account/sign-in">sign in</Link> if you already chose your password.
        </p>
      </PublicPage>
    );
  return (
    <PublicPage
      title="Choose your password"
      subtitle={
        <>
          For <strong className="break-all">{target.fullId}</strong> on {target.realmName}. This link works once.
        </>
      }
    >
      <div className="card">
        <SetPasswordForm token={token} username={target.username} />
      </div>
    </PublicPage>
  );
}
