// Talking to a management server from a client (issue #12): over TLS, with its key pinned.
// The presented key must be the pinned one or one the pinned key vouched for (the operator
// rotated it in the console: the caller is told so it can update its pin). Registry answers are
// only believed over such a connection. `realmCertificates` gives the TLS certificate
// fingerprints the registry publishes for a realm, which is what a client checks a realm's
// certificate against (instead of trusting a changed certificate on first use).
import { checkPin, decodeManagementKeys, normalizeFingerprint } from "../../lib/federation/management-pin.ts";
import { openConnection, OpenGrooveError, type RawConnection } from "./connection.ts";

export interface ManagementConnectOptions {
  host: string;
  port: number;
  /** The pinned management key fingerprint; without it the caller must confirm `presentedKey`. */
  pinned?: string;
  timeoutMs?: number;
}

export interface RealmKeyListing {
  fingerprint: string;
  validFrom: Date;
  validUntil: Date | null;
  /** SHA-256 of the realm's TLS certificate made from this key (null when not published). */
  tlsFingerprint: string | null;
}

export class ManagementClient {
  private constructor(
    readonly raw: RawConnection,
    /** The key fingerprint this connection presented. */
    readonly presentedKey: string,
    /** True when the presented key replaced the pinned one through a vouched rotation. */
    readonly rotated: boolean,
  ) {}

  /**
   * Connects over TLS and checks the management key against `pinned` (when given). Throws
   * OpenGrooveError BADAUTH when the server is not the pinned one.
   */
  static async connect(opts: ManagementConnectOptions): Promise<ManagementClient> {
    const where = `${opts.host}:${opts.port}`;
    const raw = await openConnection({
      host: opts.host,
      port: opts.port,
      transport: "tls",
      timeoutMs: opts.timeoutMs ?? 15_000,
    });
    const presented = raw.peerKeyFingerprint;
    if (!presented) {
      raw.close();
      throw new OpenGrooveError("BADAUTH", `the management server at ${where} presented no certificate`);
    }
    const pinned = opts.pinned ? normalizeFingerprint(opts.pinned) : null;
    if (!pinned || pinned === presented) return new ManagementClient(raw, presented, false);
    try {
      const r = await raw.request("managementkeys");
      const check = checkPin(pinned, presented, r.status === "OK" ? decodeManagementKeys(r.lines) : null);
      if (!check.ok) throw new OpenGrooveError("BADAUTH", `the management server at ${where}: ${check.reason}`);
      return new ManagementClient(raw, presented, true);
    } catch (e) {
      raw.close();
      throw e;
    }
  }

  /** Currently valid keys of an approved realm; empty when the registry does not list it. */
  async realmKeys(realmId: string): Promise<RealmKeyListing[]> {
    const r = await this.raw.request("getrealmkeys", [realmId]);
    if (r.status === "NOSUCHREALM") return [];
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "getrealmkeys");
    return r.lines.map((l) => {
      const [fingerprint, from, until, tls] = l.split("\t");
      return {
        fingerprint,
        validFrom: new Date(from),
        validUntil: until === "-" ? null : new Date(until),
        tlsFingerprint: tls && tls !== "-" ? tls : null,
      };
    });
  }

  /** Whether the registry vouches for a realm's TLS certificate fingerprint. */
  async vouchesFor(realmId: string, tlsFingerprint: string): Promise<boolean> {
    return (await this.realmKeys(realmId)).some((k) => k.tlsFingerprint === tlsFingerprint.toLowerCase());
  }

  close(): void {
    this.raw.close();
  }
}
