// Reply data made of `key=value` lines (getserverinfo, getquotas, getmessageinfo, ...). Pure
// string code, so the browser mailbox can share it with the SDK.
export function keyValueLines(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf("=");
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}
