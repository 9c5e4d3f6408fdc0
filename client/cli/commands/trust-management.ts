// `opengroove trust-management <host:port> [--fingerprint FP]`: pins the management server's key.
// From then on a realm's certificate is checked against the fingerprints that server publishes,
// so realm key rotations are followed without questions and unvouched changes are refused.
import { ManagementClient, OpenGrooveError } from "../../sdk/index.ts";
import { normalizeFingerprint } from "../../../lib/federation/management-pin.ts";
import type { Command } from "../command.ts";
import { parseManagementAddress } from "../address.ts";
import { CliError, EXIT, fromSdk, usageError } from "../errors.ts";
import { promptLine } from "../prompt.ts";

export const trustManagement: Command = {
  name: "trust-management",
  summary: "trust a management server (pin its key) to verify realms' certificates",
  synopsis: "<host:port> [--fingerprint SHA256]",
  details:
    "Ask the management server's operator for its key fingerprint (the management daemon logs it at start; the console shows it) and give it with --fingerprint. Without --fingerprint the fingerprint is shown and you are asked to confirm it.",
  options: {
    fingerprint: { type: "string", value: "SHA256", description: "the management key fingerprint (64 hex digits)" },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const addr = parseManagementAddress(ctx.args[0]);
    const given = ctx.str("fingerprint");
    const expected = given === undefined ? undefined : normalizeFingerprint(given);
    if (given !== undefined && !expected) throw usageError("--fingerprint: expected 64 hex digits (colons allowed)");
    const what = `connecting to the management server ${addr.address}`;
    let mc: ManagementClient;
    try {
      // With --fingerprint, a key that fingerprint vouched for (a rotation) is accepted too.
      mc = await ManagementClient.connect({ host: addr.host, port: addr.port, pinned: expected ?? undefined });
    } catch (e) {
      if (e instanceof OpenGrooveError && e.status === "BADAUTH")
        throw new CliError(
          what,
          "FINGERPRINT",
          e.reason,
          EXIT.auth,
          "check the fingerprint with the operator: this server is not the one it names",
        );
      if (e instanceof OpenGrooveError) throw fromSdk(what, e);
      throw e;
    }
    const presented = mc.presentedKey;
    mc.close();
    if (!expected) {
      if (!process.stdin.isTTY)
        throw usageError(
          `the management server ${addr.address} presents key sha256 ${presented}; confirm it with --fingerprint (no terminal to ask)`,
        );
      ctx.note(`The management server ${addr.address} presents the key`);
      ctx.note(`  sha256 ${presented}`);
      ctx.note("Compare it with the fingerprint its operator gave you (console, or the management daemon's log).");
      const answer = (await promptLine("Trust this management server? [y/N] ", true)).trim().toLowerCase();
      if (answer !== "y" && answer !== "yes")
        throw new CliError("trusting the management server", "CANCELLED", "not confirmed", EXIT.other);
    }
    ctx.store.saveManagement(addr.address, presented);
    if (ctx.global.json) ctx.json({ address: addr.address, fingerprint: presented, rotated: presented !== expected });
    else ctx.out(`Trusting the management server ${addr.address}: key sha256 ${presented}\n`);
  },
};
