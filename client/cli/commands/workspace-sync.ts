// `opengroove workspace push | pull | watch`: moving workspace changes. Pushes stream a file
// from disk in chunks (a progress bar for large ones); pulls stream each change into a file,
// then acknowledge it so the realm can free it. Nothing is held in memory whole.
import fs from "node:fs";
import path from "node:path";
import { OpenGrooveError, isSuspended, type RealmClient } from "../../sdk/index.ts";
import type { CommandContext } from "../command.ts";
import { CliError, EXIT, fromSdk, usageError } from "../errors.ts";
import { parseProgressMode, progress } from "../format.ts";
import { formatBytes } from "../../../lib/format/bytes.ts";
import { failWhenLost, openSession, withSession } from "../session.ts";

/** Like step(), with the way back for a suspended member as the hint. */
export async function wsStep<T>(what: string, workspaceId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isSuspended(e))
      throw new CliError(
        what,
        "SUSPENDED",
        (e as OpenGrooveError).reason.replace(/^suspended: /, ""),
        EXIT.auth,
        `rejoin with: opengroove workspace resync ${workspaceId}`,
      );
    if (e instanceof OpenGrooveError) throw fromSdk(what, e);
    throw e;
  }
}

export async function push(ctx: CommandContext, workspaceId: string, file: string): Promise<void> {
  const mode = parseProgressMode(ctx.str("progress") ?? "auto");
  if (!mode) throw usageError("workspace push: --progress must be auto, bar, lines or none");
  let size: number | undefined;
  if (file !== "-") {
    try {
      size = (await fs.promises.stat(file)).size;
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
  const source = file === "-" ? process.stdin : fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  const r = await withSession(ctx, async (client) => {
    const bar = progress(`pushing ${file === "-" ? "stdin" : path.basename(file)}`, mode, size ?? 0);
    try {
      return await wsStep(`publishing to workspace ${workspaceId}`, workspaceId, () =>
        client.workspaces.publish(workspaceId, source as AsyncIterable<Buffer>, {
          size,
          onProgress: (done) => bar.update(done, size ?? done),
        }),
      );
    } finally {
      bar.finish();
    }
  });
  if (ctx.global.json) ctx.json({ workspace: workspaceId, seq: r.seq, size: r.size });
  else ctx.out(`Published change ${r.seq} to ${workspaceId} (${formatBytes(r.size)})\n`);
}

/** Where changes are saved; created when the first one arrives. */
function targetDir(ctx: CommandContext, workspaceId: string): string {
  return ctx.str("dir") ?? workspaceId;
}

async function writeChange(
  client: RealmClient,
  workspaceId: string,
  change: { seq: bigint; size: number },
  file: string,
): Promise<void> {
  const tmp = `${file}.part`;
  const out = fs.createWriteStream(tmp);
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  await Promise.race([
    failed,
    client.workspaces.readStream(
      workspaceId,
      change,
      (d) => new Promise<void>((resolve, reject) => out.write(d, (e) => (e ? reject(e) : resolve()))),
    ),
  ]);
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  fs.renameSync(tmp, file);
}

/** Pulls everything after this computer's cursor into files, acknowledging as it goes. Returns how many changes. */
async function pullAll(ctx: CommandContext, client: RealmClient, workspaceId: string, dir: string): Promise<number> {
  let n = 0;
  for (;;) {
    const p = await wsStep(`pulling workspace ${workspaceId}`, workspaceId, () =>
      client.workspaces.pull(workspaceId, 100),
    );
    for (const ch of p.changes) {
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${ch.seq}.change`);
      await wsStep(`downloading change ${ch.seq}`, workspaceId, () => writeChange(client, workspaceId, ch, file));
      await wsStep(`acknowledging change ${ch.seq}`, workspaceId, () => client.workspaces.ack(workspaceId, ch.seq));
      if (ctx.global.json)
        ctx.json({
          event: "change",
          workspace: workspaceId,
          seq: ch.seq,
          author: ch.author,
          authorComputer: ch.authorComputer,
          size: ch.size,
          path: file,
        });
      else ctx.out(`change ${ch.seq} from ${ch.author} (${ch.authorComputer}), ${formatBytes(ch.size)} -> ${file}\n`);
      n++;
    }
    // Covers this computer's own changes, which are not listed.
    if (p.upTo > p.acked)
      await wsStep(`acknowledging up to ${p.upTo}`, workspaceId, () => client.workspaces.ack(workspaceId, p.upTo));
    if (!p.more) return n;
  }
}

export async function pull(ctx: CommandContext, workspaceId: string): Promise<void> {
  const dir = targetDir(ctx, workspaceId);
  const n = await withSession(ctx, (client) => pullAll(ctx, client, workspaceId, dir));
  if (!ctx.global.json) ctx.note(n ? `${n} change(s) saved in ${dir}` : "Up to date");
}

/** Stays connected: pulls at start and on every `workspacechange` push for this workspace. */
export async function watch(ctx: CommandContext, workspaceId: string): Promise<number> {
  const dir = targetDir(ctx, workspaceId);
  const { client, account } = await openSession(ctx);
  let running: Promise<unknown> = Promise.resolve();
  let again = false;
  let busy = false;
  return new Promise<number>((resolve, reject) => {
    const fail = (e: unknown) => {
      client.close();
      reject(e);
    };
    // Pulls are serialised; pushes that arrive during a pull coalesce into one more pull.
    const sync = () => {
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      running = (async () => {
        do {
          again = false;
          await pullAll(ctx, client, workspaceId, dir);
        } while (again);
      })()
        .catch(fail)
        .finally(() => (busy = false));
    };
    client.workspaces.onEvent((e) => {
      if (e.workspaceId !== workspaceId) return;
      if (e.kind === "change") sync();
      else if (e.kind === "removed" || e.kind === "suspended") {
        fail(
          new CliError(
            `watching workspace ${workspaceId}`,
            e.kind.toUpperCase(),
            `you were ${e.kind} from "${e.name}"`,
            EXIT.auth,
            e.kind === "suspended" ? `rejoin with: opengroove workspace resync ${workspaceId}` : undefined,
          ),
        );
      }
    });
    const stop = () => {
      void running.finally(() => {
        client.close();
        resolve(EXIT.ok);
      });
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    failWhenLost(client, "watching", reject);
    ctx.note(
      `Watching workspace ${workspaceId} as ${account.userId} on "${account.computer}"; changes go to ${dir} (Ctrl-C to stop)`,
    );
    sync();
  });
}
