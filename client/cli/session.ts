// Connecting to a realm, its TLS certificate checked (realm-trust.ts), and opening an
// authenticated session from the stored credentials.
import { RealmClient, OpenGrooveError } from "../sdk/index.ts";
import type { Account, Transport } from "./config.ts";
import type { CommandContext } from "./command.ts";
import { CliError, EXIT, fromSdk, step } from "./errors.ts";
import { checkRealmCertificate } from "./realm-trust.ts";

export interface Target {
  host: string;
  port: number;
  transport: Transport;
  /** The realm id we expect (`host:port`); the key of its pinned fingerprint. */
  realmId: string;
  /** Greeting word: a slug, or the realm id. */
  realmWord: string;
  /** True when the word is the realm id guessed from the address (retry without a word on NOSUCHREALM). */
  wordIsGuess: boolean;
}

/** The address to use for a realm, with --host/--port/--transport applied. */
export function targetFor(
  ctx: CommandContext,
  realm: { realmId: string; host: string; port: number },
  slug?: string,
): Target {
  return {
    host: ctx.global.host ?? realm.host,
    port: ctx.global.port ?? realm.port,
    transport: ctx.global.transport ?? "tls",
    realmId: realm.realmId,
    realmWord: slug ?? realm.realmId,
    wordIsGuess: !slug,
  };
}

async function open(t: Target, word: string | undefined): Promise<RealmClient> {
  return RealmClient.connect({ host: t.host, port: t.port, transport: t.transport, realm: word, timeoutMs: 20_000 });
}

/** Connects, checks or pins the realm's certificate fingerprint, and returns the realm's own id. */
export async function connectRealm(ctx: CommandContext, t: Target): Promise<{ client: RealmClient; realmId: string }> {
  const what = `connecting to ${t.realmId} at ${t.host}:${t.port} (${t.transport})`;
  let client: RealmClient;
  try {
    client = await open(t, t.realmWord);
  } catch (e) {
    if (!(e instanceof OpenGrooveError)) throw e;
    if (e.status === "NOSUCHREALM" && t.wordIsGuess) client = await step(what, () => open(t, undefined));
    else throw fromSdk(what, e);
  }
  const info = await step(`asking ${t.realmId} for its realm id`, () => client.serverInfo()).catch((e: unknown) => {
    client.close();
    throw e;
  });
  const realmId = info.realmid || t.realmId;
  const fp = client.fingerprint;
  // wss:// on the HTTP port serves the realm's own certificate (by SNI): the same pin applies.
  if ((t.transport === "tls" || t.transport === "wss") && fp) {
    try {
      await checkRealmCertificate(ctx, realmId, fp);
    } catch (e) {
      client.close();
      throw e;
    }
  }
  return { client, realmId };
}

/** The stored account's address, with command-line overrides. */
export function accountTarget(ctx: CommandContext, a: Account): Target {
  return {
    host: ctx.global.host ?? a.host,
    port: ctx.global.port ?? a.port,
    transport: ctx.global.transport ?? a.transport,
    realmId: a.realmId,
    realmWord: a.realmWord,
    wordIsGuess: false,
  };
}

/** Connects and logs in with the stored credentials (on the stored computer). */
export async function openSession(ctx: CommandContext): Promise<{ client: RealmClient; account: Account }> {
  const account = ctx.store.requireAccount();
  const { client, realmId } = await connectRealm(ctx, accountTarget(ctx, account));
  try {
    if (realmId.toLowerCase() !== account.realmId.toLowerCase()) {
      throw new CliError(
        `connecting to ${account.realmId}`,
        "NOSUCHREALM",
        `the server at that address is realm ${realmId}`,
        EXIT.notFound,
        "check --host/--port, or log in again",
      );
    }
    await step(`logging in as ${account.userId} on computer "${account.computer}"`, () =>
      client.authenticate(account.username, account.computer, account.password),
    );
  } catch (e) {
    client.close();
    throw e;
  }
  return { client, account };
}

/** Runs `fn` with a logged-in client and always closes it. */
export async function withSession<T>(
  ctx: CommandContext,
  fn: (client: RealmClient, account: Account) => Promise<T>,
): Promise<T> {
  const { client, account } = await openSession(ctx);
  try {
    return await fn(client, account);
  } finally {
    client.close();
  }
}

/** Rejects with a clear CLI error when a long-running command's connection ends by itself. */
export function failWhenLost(client: RealmClient, what: string, reject: (e: CliError) => void): void {
  client.onLost((e) =>
    reject(
      new CliError(
        what,
        e.status,
        e.reason,
        EXIT.other,
        "the connection to the realm ended; run watch again to resume",
      ),
    ),
  );
}
