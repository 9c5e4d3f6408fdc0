// Tells server components which console path was asked for (x-og-path), so a signed-out visit
// to a deep link can send the operator to sign-in with ?next= and back again afterwards.
import { NextResponse, type NextRequest } from "next/server";

export function proxy(request: NextRequest) {
  const headers = new Headers(request.headers);
  headers.set("x-og-path", request.nextUrl.pathname + request.nextUrl.search);
  return NextResponse.next({ request: { headers } });
}

export const config = { matcher: ["/console/:path*"] };
