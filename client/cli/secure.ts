// The CLI's end-to-end encryption session (docs/clients.md): this computer's keys from the
// config directory (created on first use), published on the realm, and the contacts' keys it
// remembered. Errors of the encryption layer become CLI errors with a hint.
import type { RealmClient } from "../sdk/index.ts";
import { loadOrCreateComputerKeys, readKeyFile } from "../sdk/crypto/computer-keys.ts";
import { fileBackend } from "../sdk/crypto/known-keys-file.ts";
import { describeKeyChange, KnownKeys, type KeyChange } from "../sdk/crypto/known-keys.ts";
import { SealedMessageError } from "../sdk/crypto/sealed-message.ts";
import { E2EError, SecureMessaging, type SenderTrust } from "../sdk/secure-messages.ts";
import type { Account } from "./config.ts";
import type { CommandContext } from "./command.ts";
import { CliError, EXIT, step } from "./errors.ts";

export async function secureSession(
  ctx: CommandContext,
  client: RealmClient,
  account: Pick<Account, "userId" | "computer">,
): Promise<SecureMessaging> {
  const file = ctx.store.keyFile(account.userId, account.computer);
  const ring = await localStep(`loading this computer's keys from ${file}`, async () => {
    await loadOrCreateComputerKeys(file);
    return (await readKeyFile(file))!;
  });
  const sm = new SecureMessaging(
    client,
    { userId: account.userId, computer: account.computer },
    ring,
    new KnownKeys(fileBackend(ctx.store.knownKeysFile(account.userId, account.computer))),
  );
  await step("publishing this computer's encryption keys", () => sm.publishKeys());
  return sm;
}

/** A local step (files): its error becomes a CLI error instead of a stack trace. */
async function localStep<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof CliError) throw e;
    const err = e as NodeJS.ErrnoException;
    throw new CliError(what, err.code ?? "BADKEYS", err.message, EXIT.other);
  }
}

/** Runs a step that encrypts or decrypts: E2E refusals become CLI errors with a hint. */
export async function e2eStep<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await step(what, fn);
  } catch (e) {
    if (e instanceof E2EError)
      throw new CliError(
        what,
        e.code,
        e.message,
        EXIT.other,
        e.code === "NOKEY" ? "add --plaintext to send it unencrypted (the realm can then read it)" : undefined,
      );
    if (e instanceof SealedMessageError)
      throw new CliError(
        what,
        e.code,
        e.message,
        EXIT.other,
        e.code === "NOTFORME"
          ? "it was encrypted for another key of this computer (keys replaced without keeping the old ones?)"
          : "the message was altered after it was sent, or is damaged; nothing of it was kept",
      );
    throw e;
  }
}

export function warnKeyChange(ctx: CommandContext, c: KeyChange): void {
  ctx.note(`warning: ${describeKeyChange(c)}`);
}

/** One line on how a message was protected and how far its sender's key is trusted. */
export function describeTrust(m: {
  encrypted: boolean;
  fromServer: boolean;
  trust: SenderTrust;
  fingerprint?: string;
}) {
  if (m.fromServer) return "from the realm's server (not encrypted)";
  if (!m.encrypted) return "NOT encrypted: the realm could read it";
  switch (m.trust) {
    case "verified":
      return "end-to-end encrypted, from a verified key";
    case "known":
      return "end-to-end encrypted, from a known key";
    case "new":
      return `end-to-end encrypted, first message from this computer (key ${m.fingerprint} remembered)`;
    case "changed":
      return `end-to-end encrypted; WARNING: the sender's computer has a new key ${m.fingerprint}`;
    default:
      return `end-to-end encrypted, but WARNING: signed by an UNKNOWN key ${m.fingerprint} (not the one published for that computer)`;
  }
}
