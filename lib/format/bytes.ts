// Byte sizes for people, in binary units (KiB, MiB, GiB, TiB: powers of 1024) — the one
// formatter used by the console, the account pages and the CLI, so the same bytes read the same
// everywhere. Sizes typed into forms use the same units (MiB or GiB).

export const KiB = 1024n;
export const MiB = 1024n * KiB;
export const GiB = 1024n * MiB;

const UNITS = ["KiB", "MiB", "GiB", "TiB", "PiB"] as const;

/** "0 B", "512 B", "4 KiB", "1.5 MiB", "5 GiB", "123 GiB": at most one decimal, none from 100 up. */
export function formatBytes(bytes: bigint | number): string {
  const n = Number(bytes);
  if (!Number.isFinite(n)) return "? B";
  if (Math.abs(n) < 1024) return `${n} B`;
  let x = n / 1024;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  let text = x.toFixed(Math.abs(x) >= 100 ? 0 : 1).replace(/\.0$/, "");
  // Rounding can reach the next unit ("1024 KiB"): show it as 1 of that unit instead.
  if (text === "1024" && i < UNITS.length - 1) {
    text = "1";
    i++;
  }
  return `${text} ${UNITS[i]}`;
}

export type SizeUnit = "MiB" | "GiB";

export function toBytes(value: number, unit: SizeUnit): bigint {
  return BigInt(Math.round(value * (unit === "GiB" ? 1024 ** 3 : 1024 ** 2)));
}

/** A stored size as a form value: GiB when that shows it exactly (to two decimals), else MiB. */
export function fromBytes(bytes: bigint): { value: string; unit: SizeUnit } {
  const gib = Number(bytes) / 1024 ** 3;
  const rounded = Math.round(gib * 100) / 100;
  if (gib >= 1 && toBytes(rounded, "GiB") === bytes) return { value: String(rounded), unit: "GiB" };
  return { value: String(Math.round((Number(bytes) / 1024 ** 2) * 100) / 100), unit: "MiB" };
}
