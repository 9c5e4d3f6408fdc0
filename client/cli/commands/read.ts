// `opengroove read <id>`: the message body to stdout or --out FILE; sender, subject and how it
// was protected to stderr (or everything as JSON with --json). Encrypted messages are opened
// here (docs/clients.md): nothing is shown unless the whole message authenticates.
import { escapeControls } from "../safe-text.ts";
import fs from "node:fs/promises";
import { PROGRESS, type Command } from "../command.ts";
import { CliError, EXIT, step, usageError } from "../errors.ts";
import { decodeEnvelope, isText, type EnvelopeHeader } from "../../../lib/envelope.ts";
import { parseProgressMode, progress } from "../format.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { withSession } from "../session.ts";
import { describeTrust, e2eStep, secureSession, warnKeyChange } from "../secure.ts";

export const read: Command = {
  name: "read",
  summary: "show a message, or save its body to a file",
  synopsis: "<id> [--out FILE]",
  details:
    "A binary body is not written to a terminal: use --out FILE (or redirect stdout). --raw keeps the envelope line.",
  options: {
    out: { type: "string", short: "o", value: "FILE", description: 'write the body to FILE ("-" for stdout)' },
    raw: { type: "boolean", description: "write the message bytes as they are (decrypted), envelope line included" },
    progress: PROGRESS,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const id = ctx.args[0];
    const mode = parseProgressMode(ctx.str("progress") ?? "auto");
    if (!mode) throw usageError("read: --progress must be auto, bar, lines or none");
    const { message, info } = await withSession(ctx, async (client, account) => {
      const sm = await secureSession(ctx, client, account);
      const size = await step(`reading message ${id}`, () => client.messageSize(id));
      const bar = progress(`reading ${id}`, mode, size);
      try {
        const parts: Uint8Array[] = [];
        const info = await e2eStep(`reading message ${id}`, () =>
          sm.open(id, (c) => void parts.push(c), {
            onProgress: bar.update,
            onKeyChange: (c) => warnKeyChange(ctx, c),
          }),
        );
        return { message: Buffer.concat(parts), info };
      } finally {
        bar.finish();
      }
    });
    const { header, body }: { header: EnvelopeHeader; body: Buffer } = ctx.flag("raw")
      ? { header: {}, body: message }
      : decodeEnvelope(message);
    const out = ctx.str("out");
    const meta = {
      id,
      sender: info.sender,
      senderComputer: info.senderComputer,
      subject: header.subject ?? null,
      filename: header.filename ?? null,
      contentType: header.contentType ?? null,
      size: body.length,
      encrypted: info.encrypted,
      fromServer: info.fromServer,
      trust: info.trust,
      senderFingerprint: info.fingerprint ?? null,
    };
    if (out && out !== "-") {
      try {
        await fs.writeFile(out, body);
      } catch (e) {
        throw new CliError(
          `writing ${out}`,
          (e as NodeJS.ErrnoException).code ?? "EIO",
          (e as Error).message,
          EXIT.other,
        );
      }
    }
    const toStdout = !out || out === "-";
    if (ctx.global.json) {
      const text = isText(header.contentType);
      ctx.json({
        ...meta,
        ...(out && out !== "-"
          ? { savedTo: out }
          : text
            ? { body: body.toString("utf8") }
            : { bodyBase64: body.toString("base64") }),
      });
      return;
    }
    ctx.note(
      [
        `From: ${info.sender} (${info.senderComputer || "?"})`,
        ...(header.subject ? [`Subject: ${header.subject}`] : []),
        ...(header.filename ? [`File: ${header.filename}`] : []),
        `Size: ${formatBytes(body.length)}`,
        `Security: ${describeTrust(info)}`,
      ]
        .map((line) => escapeControls(line, true))
        .join("\n"),
    );
    if (!toStdout) {
      ctx.note(`Saved to ${out}`);
      return;
    }
    if (process.stdout.isTTY && !isText(header.contentType) && body.length && !ctx.flag("raw")) {
      throw usageError(
        `read: the body is binary (${header.contentType ?? "unknown type"}); not writing it to the terminal`,
        `save it with: opengroove read ${id} --out ${header.filename ?? "FILE"}`,
      );
    }
    ctx.out(body);
    if (process.stdout.isTTY && body.length && body[body.length - 1] !== 0x0a) ctx.out("\n");
  },
};
