// `opengroove account export [--out FILE]` and `opengroove account delete`: the user's own data
// export (streamed to FILE.part, checked against the server's checksum, renamed into place only
// when complete, so a failure never leaves a partial archive under the final name) and the
// deletion of the account (the password and the username again; the stored login is forgotten).
import { createWriteStream, type WriteStream } from "node:fs";
import fs from "node:fs/promises";
import { once } from "node:events";
import path from "node:path";
import { deleteAccount, exportAccount } from "../../sdk/index.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { PASSWORD_STDIN, PROGRESS, type Command, type CommandContext } from "../command.ts";
import { CliError, EXIT, step, usageError } from "../errors.ts";
import { parseProgressMode, progress } from "../format.ts";
import { promptLine, readPassword } from "../prompt.ts";
import { escapeControls } from "../safe-text.ts";
import { withSession } from "../session.ts";

function ioError(what: string, e: unknown): CliError {
  return new CliError(what, (e as NodeJS.ErrnoException).code ?? "EIO", (e as Error).message, EXIT.other);
}

async function runExport(ctx: CommandContext): Promise<void> {
  const mode = parseProgressMode(ctx.str("progress") ?? "auto");
  if (!mode) throw usageError("account export: --progress must be auto, bar, lines or none");
  const wanted = ctx.str("out");
  const toStdout = wanted === "-";
  if (toStdout && process.stdout.isTTY)
    throw usageError("account export: the archive is binary; not writing it to a terminal", "use --out FILE");
  let part: string | undefined;
  let file: WriteStream | undefined;
  let bar: ReturnType<typeof progress> | undefined;
  let target = wanted;
  try {
    const info = await withSession(ctx, (client) =>
      step("exporting the account", () =>
        exportAccount(
          client,
          async (chunk) => {
            const sink: NodeJS.WritableStream = toStdout ? process.stdout : file!;
            if (!sink.write(chunk)) await once(sink, "drain");
          },
          (done, total) => bar?.update(done, total),
          (size, filename) => {
            // The server's name is made of [A-Za-z0-9._-] only; basename() keeps it in this folder.
            target ??= path.basename(filename);
            bar = progress("exporting", mode, size);
            if (!toStdout) {
              part = `${target}.part`;
              file = createWriteStream(part, { mode: 0o600 });
            }
          },
        ),
      ),
    );
    bar?.finish();
    if (file) {
      file.end();
      await once(file, "finish").catch((e: unknown) => {
        throw ioError(`writing ${part}`, e);
      });
      await fs.rename(part!, target!).catch((e: unknown) => {
        throw ioError(`renaming ${part} to ${target}`, e);
      });
      part = undefined;
    }
    if (ctx.global.json)
      ctx.json({ savedTo: toStdout ? null : target, size: info.size, sha256: info.sha256, filename: info.filename });
    else if (!toStdout)
      ctx.out(
        `Saved your data export to ${escapeControls(target!)} (${formatBytes(info.size)}, sha256 ${info.sha256})\n`,
      );
  } finally {
    bar?.finish();
    if (part) {
      file?.destroy();
      await fs.rm(part, { force: true });
    }
  }
}

async function runDelete(ctx: CommandContext): Promise<void> {
  const account = ctx.store.requireAccount();
  const password = await readPassword({ fromStdin: ctx.flag("password-stdin"), prompt: "Password: " });
  let confirm = ctx.str("confirm");
  if (confirm === undefined) {
    if (!process.stdin.isTTY)
      throw usageError("account delete: nothing to confirm with", `add --confirm ${escapeControls(account.username)}`);
    ctx.note(`This deletes ${escapeControls(account.userId)} for good, with every message waiting for it.`);
    confirm = await promptLine(`Type your username (${escapeControls(account.username)}) to confirm: `, true);
  }
  const r = await withSession(ctx, (client) =>
    step("deleting the account", () => deleteAccount(client, password, confirm)),
  );
  ctx.store.removeAccount();
  if (ctx.global.json)
    ctx.json({
      deleted: account.userId,
      bytesReleased: r.bytesReleased.toString(),
      messagesRetracted: r.messagesRetracted,
      workspacesLeft: r.workspacesLeft,
    });
  else
    ctx.out(
      `Deleted ${escapeControls(account.userId)}: ${formatBytes(r.bytesReleased)} released, ` +
        `${r.messagesRetracted} unsent message(s) retracted, ${r.workspacesLeft} workspace(s) left. ` +
        `The stored login was removed.\n`,
    );
}

export const account: Command = {
  name: "account",
  summary: "export your data, or delete your account",
  synopsis: "export [--out FILE] | delete [--confirm USERNAME] [--password-stdin]",
  details:
    "export writes everything the realm holds for you (profile, settings, computers, workspace memberships, " +
    "waiting messages) as one tar archive, named as the server suggests unless --out is given. " +
    "delete removes the account for good: your unsent messages are retracted and every byte charged to you is released.",
  options: {
    out: {
      type: "string",
      short: "o",
      value: "FILE",
      description: 'export: write the archive to FILE ("-" for stdout)',
    },
    progress: PROGRESS,
    confirm: { type: "string", value: "USERNAME", description: "delete: your username, to confirm without a prompt" },
    "password-stdin": PASSWORD_STDIN,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const action = ctx.args[0];
    if (action === "export") return runExport(ctx);
    if (action === "delete") return runDelete(ctx);
    throw usageError(`account: unknown action "${escapeControls(action)}"`, "use export or delete");
  },
};
