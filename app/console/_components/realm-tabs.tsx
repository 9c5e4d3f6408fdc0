"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

export function RealmTabs({ slug }: { slug: string }) {
  const pathname = usePathname();
  const base = `/console/realms/${slug}`;
  const tabs = [
    { href: base, label: "Settings", active: pathname === base },
    { href: `${base}/users`, label: "Users", active: pathname.startsWith(`${base}/users`) },
    { href: `${base}/invites`, label: "Invites", active: pathname.startsWith(`${base}/invites`) },
    { href: `${base}/help`, label: "Help", active: pathname.startsWith(`${base}/help`) },
    { href: `${base}/signups`, label: "Signup throttle", active: pathname.startsWith(`${base}/signups`) },
  ];
  return (
    <nav aria-label="Realm sections" className="border-b border-slate-300">
      <ul className="-mb-px flex flex-wrap gap-x-4 gap-y-1">
        {tabs.map((t) => (
          <li key={t.href}>
            <Link
              href={t.href}
              aria-current={t.active ? "page" : undefined}
              className={`inline-block border-b-2 px-1 pb-2 text-sm font-medium no-underline hover:no-underline ${t.active ? "border-brand-600 text-brand-700" : "border-transparent text-slate-700 hover:border-slate-400"}`}
            >
              {t.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
