// `opengroove workspace push | pull | watch`: moving workspace changes. Pushes stream a file
// from disk in chunks (a progress bar for large ones); pulls stream each change into a file,
// then acknowledge it so the realm can free it. Nothing is held in memory whole. Changes are
// end-to-end encrypted by default (the SDK's SecureWorkspaces, docs/clients.md §2a): sealed to
// every computer of every active member on push, opened and checked on pull; `push --plaintext`
// publishes readable by the realm, and such changes are pulled as they are, with a warning.
import fs from "node:fs";
import path from "node:path";
import { OpenGrooveError, isSuspended, type RealmClient } from "../../sdk/index.ts";
import { SecureWorkspaces } from "../../sdk/secure-workspaces.ts";
import { E2EError } from "../../sdk/crypto/recipients.ts";
import { isSealed, SealedMessageError } from "../../sdk/crypto/sealed-message.ts";
import type { Account } from "../config.ts";
import type { KeyChange } from "../../sdk/crypto/known-keys.ts";
import { describeTrust, e2eStep, secureSession, warnKeyChange } from "../secure.ts";
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
  const plaintext = ctx.flag("plaintext");
  let plainBytes = 0;
  async function* counted() {
    for await (const piece of source as AsyncIterable<Buffer>) {
      plainBytes += piece.length;
      yield piece;
    }
  }
  const what = `publishing to workspace ${workspaceId}`;
  const r = await withSession(ctx, async (client, account) => {
    const bar = progress(`pushing ${file === "-" ? "stdin" : path.basename(file)}`, mode, size ?? 0);
    // The bar counts plaintext bytes read (the upload is a few bytes per chunk larger).
    const onProgress = () => bar.update(Math.min(plainBytes, size ?? plainBytes), size ?? plainBytes);
    try {
      if (plaintext)
        return await wsStep(what, workspaceId, () =>
          client.workspaces.publish(workspaceId, counted(), { size, onProgress }),
        );
      const sw = new SecureWorkspaces(client, await secureSession(ctx, client, account));
      return await e2eStep(what, () =>
        wsStep(what, workspaceId, () =>
          sw.publish(workspaceId, counted(), { size, onProgress, onKeyChange: (c) => warnKeyChange(ctx, c) }),
        ),
      );
    } finally {
      bar.finish();
    }
  });
  if (ctx.global.json)
    ctx.json({ workspace: workspaceId, seq: r.seq, size: plainBytes, storedBytes: r.size, encrypted: !plaintext });
  else
    ctx.out(
      `Published change ${r.seq} to ${workspaceId} (${formatBytes(plainBytes)}${plaintext ? ", NOT encrypted" : ", end-to-end encrypted"})\n`,
    );
}

async function secureWorkspaces(
  ctx: CommandContext,
  client: RealmClient,
  account: Pick<Account, "userId" | "computer">,
): Promise<SecureWorkspaces> {
  return new SecureWorkspaces(client, await secureSession(ctx, client, account));
}

/** Where changes are saved; created when the first one arrives. */
function targetDir(ctx: CommandContext, workspaceId: string): string {
  return ctx.str("dir") ?? workspaceId;
}

/** Streams `fill`'s chunks into `file` through a temporary file, renamed only when `fill` resolved. */
async function writeFile<T>(file: string, fill: (sink: (d: Uint8Array) => Promise<void>) => Promise<T>): Promise<T> {
  const tmp = `${file}.part`;
  const out = fs.createWriteStream(tmp);
  const failed = new Promise<never>((_, reject) => out.once("error", reject));
  try {
    const r = await Promise.race([
      failed,
      fill((d) => new Promise<void>((resolve, reject) => out.write(d, (e) => (e ? reject(e) : resolve())))),
    ]);
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    fs.renameSync(tmp, file);
    return r;
  } catch (e) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

type Change = { seq: bigint; size: number; author: string; authorComputer: string };

/** What pulling one change gave: how it was protected, or why it could not be opened. */
interface Saved {
  path: string;
  encrypted: boolean;
  protection: string;
  trust?: string;
  keyChange?: KeyChange;
  /** Set when an encrypted change could not be opened: its sealed bytes were kept in `path`. */
  problem?: string;
}

/**
 * Saves one change as `file`: decrypted when sealed (author and signature checked), as it is
 * when it was published in plaintext. A sealed change this computer cannot open (sealed before
 * its keys existed, or damaged) is kept sealed as `<file>.sealed` with the reason, so nothing
 * is lost and the pull goes on.
 */
async function writeChange(
  client: RealmClient,
  sw: SecureWorkspaces,
  workspaceId: string,
  change: Change,
  file: string,
): Promise<Saved> {
  const head = change.size >= 4 ? await client.workspaces.read(workspaceId, change.seq, 0, 4) : Buffer.alloc(0);
  const raw = (target: string) => writeFile(target, (sink) => client.workspaces.readStream(workspaceId, change, sink));
  if (!isSealed(head)) {
    await raw(file);
    return {
      path: file,
      encrypted: false,
      protection: describeTrust({ encrypted: false, fromServer: false, trust: "none" }),
    };
  }
  try {
    const o = await writeFile(file, (sink) => sw.read(workspaceId, change, sink));
    return {
      path: file,
      encrypted: true,
      trust: o.trust,
      keyChange: o.keyChange,
      protection: describeTrust({ encrypted: true, fromServer: false, trust: o.trust, fingerprint: o.fingerprint }),
    };
  } catch (e) {
    if (!(e instanceof SealedMessageError) && !(e instanceof E2EError)) throw e;
    await raw(`${file}.sealed`);
    return { path: `${file}.sealed`, encrypted: true, protection: "NOT opened", problem: `${e.code}: ${e.message}` };
  }
}

/** Pulls everything after this computer's cursor into files, acknowledging as it goes. Returns how many changes. */
async function pullAll(
  ctx: CommandContext,
  client: RealmClient,
  sw: SecureWorkspaces,
  workspaceId: string,
  dir: string,
): Promise<number> {
  let n = 0;
  for (;;) {
    const p = await wsStep(`pulling workspace ${workspaceId}`, workspaceId, () =>
      client.workspaces.pull(workspaceId, 100),
    );
    for (const ch of p.changes) {
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, `${ch.seq}.change`);
      const saved = await wsStep(`downloading change ${ch.seq}`, workspaceId, () =>
        writeChange(client, sw, workspaceId, ch, file),
      );
      if (saved.keyChange) warnKeyChange(ctx, saved.keyChange);
      if (saved.problem)
        ctx.note(`warning: change ${ch.seq} could not be opened (${saved.problem}); kept encrypted as ${saved.path}`);
      await wsStep(`acknowledging change ${ch.seq}`, workspaceId, () => client.workspaces.ack(workspaceId, ch.seq));
      if (ctx.global.json)
        ctx.json({
          event: "change",
          workspace: workspaceId,
          seq: ch.seq,
          author: ch.author,
          authorComputer: ch.authorComputer,
          size: ch.size,
          path: saved.path,
          encrypted: saved.encrypted,
          trust: saved.trust ?? null,
          ...(saved.problem ? { problem: saved.problem } : {}),
        });
      else
        ctx.out(
          `change ${ch.seq} from ${ch.author} (${ch.authorComputer}), ${formatBytes(ch.size)} -> ${saved.path} (${saved.protection})\n`,
        );
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
  const n = await withSession(ctx, async (client, account) =>
    pullAll(ctx, client, await secureWorkspaces(ctx, client, account), workspaceId, dir),
  );
  if (!ctx.global.json) ctx.note(n ? `${n} change(s) saved in ${dir}` : "Up to date");
}

/** Stays connected: pulls at start and on every `workspacechange` push for this workspace. */
export async function watch(ctx: CommandContext, workspaceId: string): Promise<number> {
  const dir = targetDir(ctx, workspaceId);
  const { client, account } = await openSession(ctx);
  let sw: SecureWorkspaces;
  try {
    sw = await secureWorkspaces(ctx, client, account);
  } catch (e) {
    client.close();
    throw e;
  }
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
          await pullAll(ctx, client, sw, workspaceId, dir);
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
