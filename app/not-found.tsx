import Link from "next/link";

export default function NotFound() {
  return (
    <main className="mx-auto max-w-lg px-4 py-24 text-center">
      <p className="text-sm font-semibold text-brand-700">404</p>
      <h1 className="page-title mt-2">Page not found</h1>
      <p className="mt-3 text-slate-700">This page does not exist, or you do not have access to it.</p>
      <p className="mt-6">
        <Link href="/console" className="btn-primary">
          Back to the console
        </Link>
      </p>
    </main>
  );
}
