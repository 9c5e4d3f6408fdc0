// Key fingerprints for display.

/** "ab12cd..." -> "AB:12:CD:..." */
export function formatFingerprint(hex: string): string {
  return (
    hex
      .replace(/[^0-9a-f]/gi, "")
      .toUpperCase()
      .match(/.{1,2}/g)
      ?.join(":") ?? hex
  );
}
