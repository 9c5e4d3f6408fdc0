import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { auth } from "../../../auth.ts";
import { safeNextPath } from "../../../lib/console/next-path.ts";
import { SignInForm } from "./sign-in-form.tsx";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const session = await auth();
  const { next } = await searchParams;
  if (session?.principal?.kind === "operator") redirect(safeNextPath(next));
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <h1 className="page-title text-center">Sign in to the OpenGroove console</h1>
        <p className="mt-2 text-center text-sm text-slate-700">For realm operators and administrators.</p>
        <div className="card mt-6">
          <SignInForm next={safeNextPath(next)} />
        </div>
      </div>
    </main>
  );
}
