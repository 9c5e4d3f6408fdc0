// The frame of a signed-in realm user's pages: who is signed in, the two sections, sign out.
import Link from "next/link";
import type { ReactNode } from "react";
import type { RealmUser } from "../../../lib/account/realm-user.ts";
import { accountSignOutAction } from "../_actions.ts";

export function AccountShell({
  user,
  current,
  children,
}: {
  user: RealmUser;
  current: "account" | "messages";
  children: ReactNode;
}) {
  const tab = (href: string, label: string, active: boolean) => (
    <Link
      href={href}
      aria-current={active ? "page" : undefined}
      className={`rounded-md px-3 py-1.5 text-sm font-medium ${active ? "bg-brand-100 text-brand-800" : "text-slate-700 hover:bg-slate-100"}`}
    >
      {label}
    </Link>
  );
  return (
    <div className="min-h-screen">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-4xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <div>
            <p className="text-sm font-semibold tracking-wide text-brand-700">OpenGroove · {user.realmName}</p>
            <p className="font-mono text-xs text-slate-600" data-testid="signed-in-as">
              {user.fullId}
            </p>
          </div>
          <nav aria-label="Account" className="flex items-center gap-1">
            {tab("/account", "Account", current === "account")}
            {tab("/account/messages", "Messages", current === "messages")}
            <form action={accountSignOutAction} className="ml-2">
              <button type="submit" className="btn-secondary">
                Sign out
              </button>
            </form>
          </nav>
        </div>
      </header>
      <main className="mx-auto max-w-4xl space-y-8 px-4 py-8">{children}</main>
    </div>
  );
}
