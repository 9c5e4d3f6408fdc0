// The signed-in console shell: navigation by role, the operator's name, sign-out.
import Link from "next/link";
import type { ReactNode } from "react";
import { requireActor } from "../../../lib/auth/current-actor.ts";
import { canManageFederation, canManageOperators, canViewInstances, isAdmin } from "../../../lib/domain/permissions.ts";
import { signOutAction } from "../_actions/session.ts";
import { NavLinks } from "../_components/nav-links.tsx";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const actor = await requireActor();
  const links = [
    { href: "/console", label: "Dashboard" },
    { href: "/console/realms", label: "Realms" },
    ...(canManageOperators(actor) ? [{ href: "/console/operators", label: "Operators" }] : []),
    ...(canManageFederation(actor) ? [{ href: "/console/federation", label: "Federation" }] : []),
    ...(canViewInstances(actor) ? [{ href: "/console/instances", label: "Instances" }] : []),
    { href: "/console/audit", label: "Audit log" },
    { href: "/console/api-tokens", label: "API tokens" },
  ];
  return (
    <div className="min-h-screen md:flex">
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <aside className="border-b border-slate-200 bg-white md:w-56 md:shrink-0 md:border-r md:border-b-0">
        <div className="flex items-center justify-between px-4 py-3 md:block md:py-5">
          <Link href="/console" className="text-lg font-bold text-slate-900 no-underline hover:no-underline">
            OpenGroove <span className="font-normal text-slate-600">console</span>
          </Link>
        </div>
        <nav aria-label="Console" className="px-2 pb-2 md:pb-4">
          <NavLinks links={links} />
        </nav>
      </aside>
      <div className="min-w-0 flex-1">
        <header className="flex items-center justify-end gap-3 border-b border-slate-200 bg-white px-4 py-2 text-sm">
          <span className="text-slate-700">
            Signed in as <strong data-testid="operator-name">{actor.username}</strong> (
            {isAdmin(actor) ? "administrator" : "realm operator"})
          </span>
          <form action={signOutAction}>
            <button type="submit" className="btn-secondary py-1">
              Sign out
            </button>
          </form>
        </header>
        <main id="main" className="mx-auto max-w-6xl px-4 py-6 sm:px-6">
          {children}
        </main>
      </div>
    </div>
  );
}
