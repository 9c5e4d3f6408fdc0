// Where to go after console sign-in (`?next=`): only a path inside the console on this site.
// Anything else — another origin, a scheme, "//host", a backslash trick, control characters —
// falls back to the dashboard, so the parameter cannot become an open redirect.

export const CONSOLE_HOME = "/console";

export function safeNextPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 2000) return CONSOLE_HOME;
  if (!/^\/console(?:[/?#]|$)/.test(value)) return CONSOLE_HOME;
  if (/[\\\u0000-\u001f\u007f]/.test(value) || value.includes("//")) return CONSOLE_HOME;
  // Resolve dot segments the way the browser will, then check again.
  let resolved: URL;
  try {
    resolved = new URL(value, "http://console.invalid");
  } catch {
    return CONSOLE_HOME;
  }
  if (resolved.origin !== "http://console.invalid" || !/^\/console(?:\/|$)/.test(resolved.pathname))
    return CONSOLE_HOME;
  if (resolved.pathname.startsWith("/console/sign-in")) return CONSOLE_HOME;
  return resolved.pathname + resolved.search + resolved.hash;
}

/** The sign-in address that brings the operator back to `path` afterwards. */
export function signInHref(path: string | null | undefined): string {
  const next = safeNextPath(path);
  return next === CONSOLE_HOME ? "/console/sign-in" : `/console/sign-in?next=${encodeURIComponent(next)}`;
}
