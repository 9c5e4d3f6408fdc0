// Landing page: what this server is, signup links for the realms that take new accounts, and
// the way into the console.
import Link from "next/link";
import { db } from "../lib/db/client.ts";
import { createLogger } from "../lib/log.ts";

export const dynamic = "force-dynamic";

const log = createLogger("web");

async function openRealms() {
  try {
    return await db().prisma.realm.findMany({
      where: { status: "ACTIVE", registrationMode: { in: ["OPEN", "INVITE"] } },
      select: { id: true, slug: true, name: true, description: true, registrationMode: true },
      orderBy: { name: "asc" },
    });
  } catch (e) {
    log.error({ err: e instanceof Error ? e.message : String(e) }, "landing page: realms unavailable");
    return null;
  }
}

export default async function HomePage() {
  const realms = await openRealms();
  return (
    <main className="mx-auto max-w-3xl px-4 py-12 sm:py-20">
      <h1 className="text-3xl font-bold tracking-tight sm:text-4xl">OpenGroove</h1>
      <p className="mt-3 text-lg text-slate-700">
        Realm hosting for OpenGroove: messages, workspaces and computers, on realms run by people you know.
      </p>
      <section aria-labelledby="join-heading" className="mt-10">
        <h2 id="join-heading" className="section-title">
          Join a realm
        </h2>
        {realms === null ? (
          <p className="mt-3 text-sm text-red-800">The realm list is unavailable right now. Try again shortly.</p>
        ) : realms.length === 0 ? (
          <p className="mt-3 text-sm text-slate-700">No realm on this server accepts new accounts at the moment.</p>
        ) : (
          <ul className="mt-4 grid gap-4 sm:grid-cols-2">
            {realms.map((r) => (
              <li key={r.id} className="card">
                <h3 className="font-semibold">{r.name}</h3>
                <p className="mt-1 text-sm text-slate-700">{r.description}</p>
                <p className="mt-3">
                  <Link href={`/signup/${r.slug}`} className="btn-primary">
                    {r.registrationMode === "INVITE" ? "Sign up with an invite" : "Sign up"}
                  </Link>
                </p>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="account-heading" className="mt-10">
        <h2 id="account-heading" className="section-title">
          Already have an account?
        </h2>
        <p className="mt-3 text-sm text-slate-700">
          <Link href="/account/sign-in" className="btn-secondary">
            Sign in to your account
          </Link>
          <span className="ml-3">to read and send messages, see your storage and manage your computers.</span>
        </p>
      </section>
      <p className="mt-12 border-t border-slate-200 pt-6 text-sm text-slate-700">
        Run this server? <Link href="/console">Open the admin console</Link>.
      </p>
    </main>
  );
}
