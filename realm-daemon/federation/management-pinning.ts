// Is the management server on this link the one this realm trusts? (issue #12) The TLS
// certificate's key must be the pinned management key, or one the pinned key vouched for (a
// rotation in the management console: the pin follows it). Otherwise every registry answer on
// the link would come from whoever sits on the path, so the link is refused.
import type { Logger } from "pino";
import type pg from "pg";
import { LinkError, type PacketLink } from "../../lib/federation/packet-client.ts";
import { checkPin, decodeManagementKeys } from "../../lib/federation/management-pin.ts";
import { isSameInstallManagementKey, loadManagementPin, saveManagementPin } from "../../lib/federation/pin-store.ts";
import type { FederationConfig } from "./config.ts";

export async function verifyManagementKey(
  link: PacketLink,
  pool: pg.Pool,
  config: FederationConfig,
  log: Logger,
): Promise<void> {
  if (!config.managementTls) return; // loopback plain TCP, set explicitly by the operator
  const address = config.managementAddress;
  const presented = link.peerKeyFingerprint;
  if (!presented) throw new LinkError("BADAUTH", `${address} presented no TLS certificate`);
  const configured = config.managementFingerprint;
  const pin = await loadManagementPin(pool, address);
  // The operator's configured fingerprint is authoritative when it names the presented key.
  if (configured && configured === presented) {
    if (pin?.fingerprint !== presented) await saveManagementPin(pool, address, presented, "configured");
    return;
  }
  let pinned = pin?.fingerprint ?? configured;
  if (!pinned) {
    const same = await isSameInstallManagementKey(pool, presented);
    await saveManagementPin(pool, address, presented, same ? "same-install" : "first-use");
    if (same) log.info({ address, fingerprint: presented }, "pinned this install's management key");
    else
      log.warn(
        { address, fingerprint: presented },
        "pinned the management server's key on first use: confirm this fingerprint with its operator (or set OPENGROOVE_MANAGEMENT_FINGERPRINT)",
      );
    return;
  }
  if (pinned === presented) return;
  const r = await link.request("managementkeys");
  const check = checkPin(pinned, presented, r.status === "OK" ? decodeManagementKeys(r.lines) : null);
  if (!check.ok) {
    throw new LinkError(
      "BADAUTH",
      `refusing the management server at ${address}: ${check.reason} (if its operator replaced the key without the old one, set OPENGROOVE_MANAGEMENT_FINGERPRINT to the new fingerprint)`,
    );
  }
  pinned = presented;
  await saveManagementPin(pool, address, presented, "rotation");
  log.info({ address, fingerprint: presented }, "the management server rotated its key (vouched by the pinned key)");
}
