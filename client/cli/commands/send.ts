// `opengroove send <user id | opengroovemessage:// URL>`: wraps the body in the CLI envelope
// (docs/cli.md) and stores it on the realm for every computer of the recipient.
import fs from "node:fs/promises";
import path from "node:path";
import { CHUNK_BYTES, type RealmClient } from "../../sdk/index.ts";
import { parseRecipient } from "../address.ts";
import { PROGRESS, type Command } from "../command.ts";
import { CliError, EXIT, step, usageError } from "../errors.ts";
import { encodeEnvelope, guessContentType } from "../../../lib/envelope.ts";
import { parseProgressMode, progress } from "../format.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { promptLine, readAllStdin } from "../prompt.ts";
import { withSession } from "../session.ts";

/** Like RealmClient.send, but retracts the half-written message when a step fails (so it stops counting against the quota). */
async function upload(
  client: RealmClient,
  from: string,
  to: string,
  body: Buffer,
  onProgress: (done: number, total: number) => void,
): Promise<string> {
  const id = client.newMessageId(from);
  await client.createMessage(id, [to]);
  try {
    await client.setMessageSize(id, body.length);
    for (let off = 0; off < body.length; off += CHUNK_BYTES) {
      await client.writeMessageData(id, off, body.subarray(off, off + CHUNK_BYTES));
      onProgress(Math.min(off + CHUNK_BYTES, body.length), body.length);
    }
    await client.sendMessage(id);
  } catch (e) {
    await client.deleteMessage(id).catch(() => undefined);
    throw e;
  }
  return id;
}

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

    const id = await withSession(ctx, async (client, account) => {
      const bar = progress(`sending ${filename ?? "message"}`, mode, message.length);
      try {
        return await step(`sending to ${to.userId}`, () =>
          upload(client, account.userId, to.userId, message, bar.update),
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
      });
    else ctx.out(`Sent ${id} to ${to.userId} (${formatBytes(body.length)}${filename ? `, ${filename}` : ""})\n`);
  },
};
