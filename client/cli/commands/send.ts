// `opengroove send <user id | opengroovemessage:// URL>`: wraps the body in the CLI envelope
// (docs/cli.md), encrypts it end to end for every computer of the recipient (docs/clients.md;
// --plaintext sends it readable by the realm) and stores it on the realm.
import fs from "node:fs/promises";
import path from "node:path";
import { parseRecipient } from "../address.ts";
import { PROGRESS, type Command } from "../command.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { encodeEnvelope, guessContentType } from "../../../lib/envelope.ts";
import { parseProgressMode, progress } from "../format.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { promptLine, readAllStdin } from "../prompt.ts";
import { withSession } from "../session.ts";
import { e2eStep, secureSession, warnKeyChange } from "../secure.ts";

async function readFile(file: string): Promise<Buffer> {
  try {
    return await fs.readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "EIO";
    throw new CliError(
      `reading ${file}`,
      code,
      (e as Error).message.replace(/^[A-Z]+: /, ""),
      code === "ENOENT" ? EXIT.notFound : EXIT.other,
    );
  }
}

/**
 * The body when neither --text nor --file is given: typed on the terminal (a link's body is
 * offered as a draft and sent only when confirmed), else read from stdin (a link's body when
 * stdin is empty). An empty body is refused.
 */
async function bodyFromStdin(note: (t: string) => void, linkBody: string | undefined): Promise<Buffer> {
  if (process.stdin.isTTY) {
    if (linkBody) {
      note(`The link proposes this message:\n> ${linkBody.replace(/\n/g, "\n> ")}`);
      const answer = await promptLine("Send it as it is? [y/N] ", true);
      if (/^y(es)?$/i.test(answer.trim())) return Buffer.from(linkBody, "utf8");
    }
    note("Type the message, then press Ctrl-D on an empty line:");
  }
  let body = await readAllStdin();
  if (!body.length && linkBody && !process.stdin.isTTY) body = Buffer.from(linkBody, "utf8");
  if (!body.length)
    throw usageError("send: the message is empty", "give --text TEXT, --file PATH, or pipe the body into stdin");
  return body;
}

export const send: Command = {
  name: "send",
  summary: "send a message (text, a file, or stdin) to a user",
  synopsis: "<user id | opengroovemessage://host:port/user?subject=...> [--subject S] [--text TEXT | --file PATH]",
  details:
    "Without --text or --file the body is read from stdin (on a terminal: type it, then Ctrl-D).\nA link's body= is used when stdin is empty, or offered as a draft on a terminal.",
  options: {
    subject: { type: "string", short: "s", value: "TEXT", description: "subject (overrides the URL's subject)" },
    text: { type: "string", short: "t", value: "TEXT", description: "the message text" },
    file: { type: "string", short: "f", value: "PATH", description: "send this file (its name travels with it)" },
    "content-type": {
      type: "string",
      value: "TYPE",
      description: "content type (default: from the file name, else text/plain for UTF-8 text)",
    },
    plaintext: {
      type: "boolean",
      description: "send without end-to-end encryption (for recipients whose computers publish no key)",
    },
    progress: PROGRESS,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const { to, subject: urlSubject, body: linkBody } = parseRecipient(ctx.args[0]);
    const text = ctx.str("text");
    const file = ctx.str("file");
    if (text !== undefined && file !== undefined) throw usageError("send: give --text or --file, not both");
    const mode = parseProgressMode(ctx.str("progress") ?? "auto");
    if (!mode) throw usageError(`send: --progress must be auto, bar, lines or none`);
    let body: Buffer;
    let filename: string | undefined;
    if (text !== undefined) body = Buffer.from(text, "utf8");
    else if (file !== undefined) {
      body = await readFile(file);
      filename = path.basename(file);
    } else body = await bodyFromStdin(ctx.note, linkBody);
    const contentType =
      ctx.str("content-type") ?? (text !== undefined ? "text/plain; charset=utf-8" : guessContentType(filename, body));
    const subject = ctx.str("subject") ?? urlSubject;
    const message = Buffer.from(encodeEnvelope({ subject, filename, contentType }, body));

    const plaintext = ctx.flag("plaintext");
    const { id, encrypted } = await withSession(ctx, async (client, account) => {
      const sm = await secureSession(ctx, client, account);
      const bar = progress(`sending ${filename ?? "message"}`, mode, message.length);
      try {
        return await e2eStep(`sending to ${to.userId}`, () =>
          sm.send([to.userId], message, {
            plaintext,
            onProgress: (done, total) => bar.update(Math.min(done, total ?? done), total ?? done),
            onKeyChange: (c) => warnKeyChange(ctx, c),
          }),
        );
      } finally {
        bar.finish();
      }
    });
    if (ctx.global.json)
      ctx.json({
        id,
        to: to.userId,
        subject: subject ?? null,
        filename: filename ?? null,
        contentType,
        bytes: body.length,
        encrypted,
      });
    else
      ctx.out(
        `Sent ${id} to ${to.userId} (${formatBytes(body.length)}${filename ? `, ${filename}` : ""}${encrypted ? ", end-to-end encrypted" : ", NOT encrypted"})\n`,
      );
  },
};
