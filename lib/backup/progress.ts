// A one-line progress bar for the backup and restore commands, drawn only on a terminal
// (redirected output and logs get the summary lines alone).
export interface ProgressBar {
  update(done: number, total: number, label: string): void;
  finish(): void;
}

export function progressBar(out: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!out.isTTY) return { update() {}, finish() {} };
  let last = 0;
  let drawn = false;
  return {
    update(done, total, label) {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const frac = total > 0 ? Math.min(1, done / total) : 1;
      const width = 30;
      const fill = Math.round(frac * width);
      const text = `[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${label}`;
      out.write(`\r${text.slice(0, (out.columns || 100) - 1).padEnd(Math.min(99, (out.columns || 100) - 1))}`);
      drawn = true;
    },
    finish() {
      if (drawn) out.write("\n");
      drawn = false;
    },
  };
}
