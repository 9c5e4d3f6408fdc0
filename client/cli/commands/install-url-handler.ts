// `opengroove install-url-handler`: registers the CLI as the handler of opengroovemessage://
// links on XDG desktops (a .desktop file plus `xdg-mime default`).
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Command } from "../command.ts";
import { CliError, EXIT } from "../errors.ts";
import { MESSAGE_SCHEME } from "../address.ts";

export const DESKTOP_FILE = "opengroove-message.desktop";
const MIME = `x-scheme-handler/${MESSAGE_SCHEME}`;

/** Quotes one Exec argument (Desktop Entry spec: double quotes, escape " ` $ \\). */
function quoteExec(arg: string): string {
  return /^[A-Za-z0-9_./:=@+-]+$/.test(arg) ? arg : `"${arg.replace(/(["`$\\])/g, "\\$1")}"`;
}

export function desktopEntry(exec: string[]): string {
  return [
    "[Desktop Entry]",
    "Type=Application",
    "Name=OpenGroove message",
    "Comment=Write an OpenGroove message to the linked user",
    `Exec=${exec.map(quoteExec).join(" ")} send %u`,
    "Terminal=true",
    "NoDisplay=true",
    `MimeType=${MIME};`,
    "",
  ].join("\n");
}

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const installUrlHandler: Command = {
  name: "install-url-handler",
  summary: `make opengroove the handler of ${MESSAGE_SCHEME}:// links (XDG desktops)`,
  synopsis: "[--dry-run]",
  details: `Writes ${DESKTOP_FILE} to $XDG_DATA_HOME/applications (default ~/.local/share/applications)\nand runs \`xdg-mime default ${DESKTOP_FILE} ${MIME}\` when xdg-mime is installed.\nClicking a link opens a terminal running \`opengroove send <link>\`.`,
  options: { "dry-run": { type: "boolean", description: "print what would be done without doing it" } },
  minArgs: 0,
  maxArgs: 0,
  async run(ctx) {
    const dataHome =
      process.env.XDG_DATA_HOME && path.isAbsolute(process.env.XDG_DATA_HOME)
        ? process.env.XDG_DATA_HOME
        : path.join(os.homedir(), ".local", "share");
    const dir = path.join(dataHome, "applications");
    const file = path.join(dir, DESKTOP_FILE);
    const bin = path.resolve(import.meta.dirname, "..", "bin.mjs");
    const content = desktopEntry([process.execPath, bin]);
    const xdgMime = onPath("xdg-mime");
    const updateDb = onPath("update-desktop-database");
    const actions: string[] = [`write ${file}`];
    if (updateDb) actions.push(`run ${updateDb} ${dir}`);
    actions.push(
      xdgMime
        ? `run ${xdgMime} default ${DESKTOP_FILE} ${MIME}`
        : `skip xdg-mime (not installed): set ${DESKTOP_FILE} as the ${MIME} handler in your desktop's settings`,
    );
    const dry = ctx.flag("dry-run");
    const done: string[] = [];
    if (!dry) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        fs.writeFileSync(file, content, { mode: 0o644 });
      } catch (e) {
        throw new CliError(
          `writing ${file}`,
          (e as NodeJS.ErrnoException).code ?? "EIO",
          (e as Error).message,
          EXIT.other,
        );
      }
      done.push(`wrote ${file}`);
      if (updateDb) spawnSync(updateDb, [dir], { stdio: "ignore" });
      if (xdgMime) {
        const r = spawnSync(xdgMime, ["default", DESKTOP_FILE, MIME], { encoding: "utf8" });
        if (r.status !== 0)
          throw new CliError(
            "running xdg-mime",
            "FAIL",
            (r.stderr || r.error?.message || `exit ${r.status}`).trim(),
            EXIT.other,
            `the .desktop file is in place; set it as the ${MIME} handler by hand`,
          );
        done.push(`set ${DESKTOP_FILE} as the default ${MIME} handler`);
      }
    }
    if (ctx.global.json) {
      ctx.json({ dryRun: dry, file, mime: MIME, actions, desktopEntry: content });
      return;
    }
    if (dry) ctx.out(`Would:\n${actions.map((a) => `  ${a}\n`).join("")}\n${file}:\n${content}`);
    else
      ctx.out(
        `${done.map((d) => `${d[0].toUpperCase()}${d.slice(1)}\n`).join("")}${xdgMime ? "" : `${actions[actions.length - 1]}\n`}`,
      );
  },
};
