// Output helpers: human-readable sizes, aligned tables, and a progress display on stderr.
import { escapeControls } from "./safe-text.ts";

export function humanBytes(n: number | bigint): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x >= 100 ? x.toFixed(0) : x.toFixed(1)} ${units[i]}`;
}

/** Aligned columns; each cell stays on its line (control characters escaped, safe-text.ts). */
export function table(input: string[][]): string {
  if (!input.length) return "";
  const rows = input.map((r) => r.map((cell) => escapeControls(cell, true)));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? "")].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c])))
          .join("  ")
          .trimEnd(),
      )
      .join("\n") + "\n"
  );
}

export type ProgressMode = "auto" | "bar" | "lines" | "none";

export function parseProgressMode(v: string | undefined): ProgressMode | undefined {
  return v === "auto" || v === "bar" || v === "lines" || v === "none" ? v : undefined;
}

/** Bodies at least this large get a progress display in "auto" mode. */
export const PROGRESS_MIN_BYTES = 256 * 1024;

/**
 * A progress callback for `send`/`read`: a redrawn bar when stderr is a terminal, plain lines
 * every 25% in "lines" mode, nothing otherwise (or for small bodies in "auto" mode).
 */
export function progress(
  label: string,
  mode: ProgressMode,
  total: number,
  stderr: NodeJS.WriteStream = process.stderr,
): { update: (done: number, total: number) => void; finish: () => void } {
  const resolved = mode === "auto" ? (stderr.isTTY && total >= PROGRESS_MIN_BYTES ? "bar" : "none") : mode;
  let lastStep = 0;
  let lastDraw = 0;
  let drawn = false;
  const update = (done: number, all: number) => {
    const pct = all ? Math.floor((done / all) * 100) : 100;
    if (resolved === "lines") {
      const s = Math.floor(pct / 25);
      if (s <= lastStep) return;
      lastStep = s;
      stderr.write(`${label}: ${humanBytes(done)} of ${humanBytes(all)} (${pct}%)\n`);
    } else if (resolved === "bar") {
      const now = Date.now();
      if (now - lastDraw < 80 && done < all) return;
      lastDraw = now;
      const width = 30;
      const fill = Math.round((pct / 100) * width);
      stderr.write(
        `\r${label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${String(pct).padStart(3)}% ${humanBytes(done)} / ${humanBytes(all)}\x1b[K`,
      );
      drawn = true;
    }
  };
  return {
    update,
    finish() {
      if (drawn) stderr.write("\n");
    },
  };
}
