// Reading secrets and lines: --password-stdin, or an interactive prompt on the terminal
// without echo. Prompts go to stderr so stdout stays clean for data.
import { CliError, EXIT, usageError } from "./errors.ts";

export async function readAllStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stdin) parts.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(parts);
}

/** Reads one line from the terminal; `echo: false` hides what is typed. */
export function promptLine(
  question: string,
  echo: boolean,
  stdin: NodeJS.ReadStream = process.stdin,
  stderr: NodeJS.WriteStream = process.stderr,
): Promise<string> {
  return new Promise((resolve, reject) => {
    stderr.write(question);
    let value = "";
    const wasRaw = stdin.isRaw;
    stdin.setRawMode?.(true);
    stdin.setEncoding("utf8");
    stdin.resume();
    const done = (err?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode?.(wasRaw);
      stdin.pause();
      stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (s: string) => {
      for (const ch of s) {
        if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
        if (ch === "\u0003")
          return done(new CliError("reading from the terminal", "CANCELLED", "interrupted", EXIT.other));
        if (ch === "\u007f" || ch === "\b") {
          if (value.length) {
            value = [...value].slice(0, -1).join("");
            if (echo) stderr.write("\b \b");
          }
        } else if (ch >= " ") {
          value += ch;
          if (echo) stderr.write(ch);
        }
      }
    };
    stdin.on("data", onData);
  });
}

/** The password from stdin (first line) or a no-echo prompt; `confirm` asks twice. */
export async function readPassword(opts: { fromStdin: boolean; prompt: string; confirm?: boolean }): Promise<string> {
  if (opts.fromStdin) {
    const text = (await readAllStdin()).toString("utf8");
    const line = text.split(/\r?\n/)[0];
    if (!line) throw usageError("--password-stdin: no password on stdin");
    return line;
  }
  if (!process.stdin.isTTY) throw usageError("no terminal to ask for the password", "pipe it in with --password-stdin");
  const pw = await promptLine(opts.prompt, false);
  if (!pw) throw usageError("the password is empty");
  if (opts.confirm && (await promptLine("Repeat the password: ", false)) !== pw)
    throw usageError("the two passwords differ");
  return pw;
}
