// `opengroove keys [show | rotate | contacts | verify USER COMPUTER FINGERPRINT]`: this
// computer's end-to-end encryption keys and the contacts' keys it remembers (docs/clients.md).
import type { Command } from "../command.ts";
import { CliError, EXIT, step, usageError } from "../errors.ts";
import { withSession } from "../session.ts";
import { secureSession, warnKeyChange } from "../secure.ts";
import { fingerprint, rotateKeyFile } from "../../sdk/crypto/computer-keys.ts";
import { publishedKeys } from "../../sdk/crypto/key-directory.ts";
import { normalizeFingerprint } from "../../sdk/crypto/known-keys.ts";
import { parseUserId } from "../address.ts";
import { table } from "../format.ts";

export const keys: Command = {
  name: "keys",
  summary: "show or rotate this computer's encryption keys, verify a contact's fingerprint",
  synopsis: "[show | rotate | contacts | verify <user id> <computer> <fingerprint>]",
  details: [
    "show: this computer's key fingerprint (compare it with your contacts out of band).",
    "rotate: new keys, signed by the old ones so contacts accept the change; the old keys are",
    "  kept to open messages already sent to them.",
    "contacts: the contacts' computer keys remembered (first seen, changed, verified).",
    "verify: mark a contact's computer key verified when the fingerprint they told you matches.",
  ].join("\n"),
  options: {},
  minArgs: 0,
  maxArgs: 4,
  async run(ctx) {
    const [action = "show", ...rest] = ctx.args;
    const account = ctx.store.requireAccount();
    const file = ctx.store.keyFile(account.userId, account.computer);
    if (action === "show" || action === "rotate") {
      if (rest.length) throw usageError(`keys ${action} takes no arguments`);
      const fp = await withSession(ctx, async (client, a) => {
        if (action === "rotate") {
          await secureSession(ctx, client, a); // makes sure keys exist before rotating them
          await rotateKeyFile(file).catch((e: Error) => {
            throw new CliError(`rotating the keys in ${file}`, "BADKEYS", e.message, EXIT.other);
          });
        }
        const sm = await secureSession(ctx, client, a);
        return fingerprint(sm.keys.x25519.publicKey, sm.keys.ed25519.publicKey);
      });
      if (ctx.global.json) ctx.json({ userId: account.userId, computer: account.computer, fingerprint: fp, action });
      else
        ctx.out(
          `${action === "rotate" ? "New keys published (signed by the previous ones)\n" : ""}Computer "${account.computer}" of ${account.userId}\nFingerprint: ${fp}\n`,
        );
      return;
    }
    if (action === "contacts") {
      if (rest.length) throw usageError("keys contacts takes no arguments");
      const list = await withSession(ctx, async (client, a) => (await secureSession(ctx, client, a)).known.all());
      if (ctx.global.json) {
        ctx.json(list.map((e) => ({ userId: e.userId, computer: e.computer, ...e.key })));
        return;
      }
      if (!list.length) {
        ctx.note("No contact keys remembered yet");
        return;
      }
      const rows = [["USER", "COMPUTER", "FINGERPRINT", "STATE"]];
      for (const e of list)
        rows.push([
          e.userId,
          e.computer,
          e.key.fingerprint,
          e.key.verifiedAt ? "verified" : e.key.changedAt ? `changed ${e.key.changedAt.slice(0, 10)}` : "seen",
        ]);
      ctx.out(table(rows));
      return;
    }
    if (action === "verify") {
      if (rest.length !== 3)
        throw usageError(
          "keys verify needs <user id> <computer> <fingerprint>",
          'quote the fingerprint: "ab12 cd34 ..."',
        );
      const [user, computer, expected] = rest;
      const userId = parseUserId(user).userId;
      if (normalizeFingerprint(expected).length !== 64)
        throw usageError("keys verify: a fingerprint has 64 hex digits (spaces allowed)");
      const ok = await withSession(ctx, async (client, a) => {
        const sm = await secureSession(ctx, client, a);
        const pub = await step(`looking up the keys of computer "${computer}" of ${userId}`, () =>
          publishedKeys(client, userId, computer),
        );
        if (!pub.keys)
          throw new CliError(
            `verifying computer "${computer}" of ${userId}`,
            "NOKEY",
            "that computer publishes no encryption key",
            EXIT.notFound,
          );
        const check = await sm.known.check(userId, computer, pub.keys, pub.rotation);
        if (check.status === "changed")
          warnKeyChange(ctx, {
            userId,
            computer,
            fingerprint: check.known.fingerprint,
            previousFingerprint: check.previous.fingerprint,
            proven: check.proven,
            wasVerified: !!check.previous.verifiedAt,
          });
        return { matched: await sm.known.markVerified(userId, computer, expected), actual: check.known.fingerprint };
      });
      if (!ok.matched)
        throw new CliError(
          `verifying computer "${computer}" of ${userId}`,
          "MISMATCH",
          `the key the realm publishes has fingerprint ${ok.actual}, not the one given`,
          EXIT.other,
          "do not trust messages from that computer until its owner confirms the fingerprint",
        );
      if (ctx.global.json) ctx.json({ userId, computer, fingerprint: ok.actual, verified: true });
      else ctx.out(`Verified computer "${computer}" of ${userId}: ${ok.actual}\n`);
      return;
    }
    throw usageError(`keys: unknown action "${action}"`, "use show, rotate, contacts or verify");
  },
};
