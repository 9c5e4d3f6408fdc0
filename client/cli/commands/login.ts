// `opengroove login <user id> --computer NAME`: checks the password on the realm and stores
// the credentials (the protocol has no tokens, so the password) with mode 0600.
import { OpenGrooveError } from "../../sdk/index.ts";
import { parseUserId } from "../address.ts";
import { PASSWORD_STDIN, type Command } from "../command.ts";
import type { Account } from "../config.ts";
import { step, usageError } from "../errors.ts";
import { readPassword } from "../prompt.ts";
import { connectRealm, targetFor } from "../session.ts";
import { secureSession } from "../secure.ts";
import { fingerprint } from "../../sdk/crypto/keys-core.ts";

export const login: Command = {
  name: "login",
  summary: "log in and store the credentials for the other commands",
  synopsis: "<user id realm:port::username> --computer NAME [--create-computer] [--password-stdin]",
  details: [
    'Each device is a "computer" of the account; messages are delivered per computer.',
    "--create-computer adds the computer first (needed after register).",
    "The realm's TLS certificate is pinned on first use; a later change is refused.",
  ].join("\n"),
  options: {
    computer: { type: "string", value: "NAME", description: "this device's computer name (required)" },
    "create-computer": { type: "boolean", description: "create the computer if the account does not have it" },
    "realm-name": {
      type: "string",
      value: "SLUG",
      description: "the realm's short name, when several realms share the port",
    },
    "password-stdin": PASSWORD_STDIN,
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const addr = parseUserId(ctx.args[0]);
    const computer = ctx.str("computer");
    if (!computer)
      throw usageError(
        "login: --computer NAME is required",
        "pick a name for this device, e.g. --computer laptop --create-computer",
      );
    const password = await readPassword({
      fromStdin: ctx.flag("password-stdin"),
      prompt: `Password for ${addr.userId}: `,
    });
    const target = targetFor(ctx, addr, ctx.str("realm-name"));
    const what = `logging in as ${addr.userId}`;

    if (ctx.flag("create-computer")) {
      const { client } = await connectRealm(ctx, target);
      try {
        await step(what, () => client.authenticate(addr.username, "", password));
        await step(`creating computer "${computer}"`, async () => {
          try {
            await client.createComputer(computer);
            ctx.note(`Created computer "${computer}"`);
          } catch (e) {
            if (!(e instanceof OpenGrooveError) || e.status !== "ALREADYEXISTS") throw e;
          }
        });
      } finally {
        client.close();
      }
    }

    const { client, realmId } = await connectRealm(ctx, target);
    let userId: string;
    let keyFingerprint: string;
    try {
      userId = await step(`${what} on computer "${computer}"`, () =>
        client.authenticate(addr.username, computer, password),
      );
      // This computer's encryption keys: made on first use, published for senders (docs/clients.md).
      const sm = await secureSession(ctx, client, { userId, computer });
      keyFingerprint = fingerprint(sm.keys.x25519.publicKey, sm.keys.ed25519.publicKey);
    } finally {
      client.close();
    }
    const previous = ctx.store.loadAccount();
    const account: Account = {
      userId,
      realmId,
      username: userId.slice(userId.lastIndexOf("::") + 2),
      computer,
      password,
      host: target.host,
      port: target.port,
      transport: target.transport,
      realmWord: ctx.str("realm-name") ?? realmId,
      savedAt: new Date().toISOString(),
    };
    ctx.store.saveAccount(account);
    if (previous && previous.userId !== userId) ctx.note(`Replaced the stored login of ${previous.userId}`);
    if (ctx.global.json)
      ctx.json({ userId, computer, realmId, credentials: ctx.store.credentialsFile, fingerprint: keyFingerprint });
    else
      ctx.out(
        `Logged in as ${userId} on computer "${computer}"\nCredentials saved to ${ctx.store.credentialsFile} (readable only by you)\nThis computer's key fingerprint: ${keyFingerprint}\n`,
      );
  },
};
