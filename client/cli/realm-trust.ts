// Is the certificate a realm presents really that realm's? (issue #12) The CLI asks the
// management server it trusts (`opengroove trust-management`, key pinned) which certificate
// fingerprints the registry publishes for the realm: a listed one is accepted and pinned without
// a question (a key rotation vouched for by the registry), an unlisted one is refused. Without a
// trusted management server the first certificate is pinned and any change is refused.
import { ManagementClient, OpenGrooveError } from "../sdk/index.ts";
import type { CommandContext } from "./command.ts";
import { parseManagementAddress } from "./address.ts";
import { CliError, EXIT } from "./errors.ts";

type Verdict = "listed" | "other" | "unlisted" | "unreachable";

async function askRegistry(ctx: CommandContext, realmId: string, fp: string): Promise<Verdict> {
  const m = ctx.store.management()!;
  const addr = parseManagementAddress(m.address);
  let mc: ManagementClient;
  try {
    mc = await ManagementClient.connect({ host: addr.host, port: addr.port, pinned: m.fingerprint });
  } catch (e) {
    if (e instanceof OpenGrooveError && e.status === "BADAUTH")
      throw new CliError(
        `verifying realm ${realmId} with the management server at ${m.address}`,
        "FINGERPRINT",
        e.reason,
        EXIT.auth,
        `this may be an attack; if the management server's operator confirms a new key, run \`opengroove trust-management ${m.address} --fingerprint <new fingerprint>\``,
      );
    if (e instanceof OpenGrooveError) return "unreachable";
    throw e;
  }
  try {
    if (mc.rotated) ctx.store.saveManagement(m.address, mc.presentedKey); // vouched by the pinned key
    const keys = await mc.realmKeys(realmId);
    if (!keys.length) return "unlisted";
    return keys.some((k) => k.tlsFingerprint === fp) ? "listed" : "other";
  } catch (e) {
    if (e instanceof OpenGrooveError) return "unreachable";
    throw e;
  } finally {
    mc.close();
  }
}

/** Accepts (and pins) the realm's certificate fingerprint `fp`, or throws a FINGERPRINT CliError. */
export async function checkRealmCertificate(ctx: CommandContext, realmId: string, fp: string): Promise<void> {
  const pin = ctx.store.pin(realmId);
  if (pin?.fingerprint === fp) return;
  const what = `connecting to realm ${realmId}`;
  const m = ctx.store.management();
  if (!m) {
    if (pin)
      throw new CliError(
        what,
        "FINGERPRINT",
        `the realm's TLS certificate changed since ${pin.firstSeen.slice(0, 10)}: pinned sha256 ${pin.fingerprint}, the server presented ${fp}`,
        EXIT.auth,
        "without a trusted management server the CLI cannot tell a key rotation from an attack: run `opengroove trust-management <host:port> --fingerprint <its key fingerprint>` (ask your realm's operator), then try again",
      );
    ctx.store.savePin(realmId, fp);
    ctx.note(`Pinned the TLS certificate of realm ${realmId} on first use: sha256 ${fp}`);
    return;
  }
  const verdict = await askRegistry(ctx, realmId, fp);
  if (verdict === "listed") {
    ctx.store.savePin(realmId, fp);
    if (!pin) ctx.note(`Realm ${realmId}: certificate sha256 ${fp} verified with the management server ${m.address}`);
    return;
  }
  if (verdict === "other" || (verdict === "unlisted" && pin))
    throw new CliError(
      what,
      "FINGERPRINT",
      `the realm presented certificate sha256 ${fp}, which the management server ${m.address} does not publish for ${realmId}${pin ? ` (pinned: ${pin.fingerprint})` : ""}`,
      EXIT.auth,
      "this may be an attack between you and the realm: nothing was sent. If the realm's operator changed its key, it becomes valid once the realm publishes it to the management server",
    );
  if (verdict === "unreachable" && pin)
    throw new CliError(
      what,
      "FINGERPRINT",
      `the realm's TLS certificate changed (pinned sha256 ${pin.fingerprint}, presented ${fp}) and the management server ${m.address} cannot be reached to verify it`,
      EXIT.auth,
      "try again when the management server is reachable",
    );
  ctx.store.savePin(realmId, fp);
  ctx.note(
    `Pinned the TLS certificate of realm ${realmId} on first use: sha256 ${fp} (${verdict === "unlisted" ? "the management server does not list this realm" : "the management server was unreachable"})`,
  );
}
