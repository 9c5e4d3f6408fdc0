// The management server's answer to `getrealm`, shared by the management daemon (encode) and
// the realm daemon's key cache (decode). Lines:
//   status=APPROVED|PENDING|REVOKED
//   address=host:port
//   key=<fingerprint> TAB <valid-from ISO> TAB <valid-until ISO or -> TAB <base64 public key PEM>
import { publicKeyFingerprint } from "../realm/keys.ts";
import type { KnownRealmStatus } from "../generated/prisma/enums.ts";

export type RegistryStatus = KnownRealmStatus;

export interface RegistryKey {
  fingerprint: string;
  publicKeyPem: string;
  validFrom: Date;
  validUntil: Date | null;
}

export interface RegistryRecord {
  realmId: string;
  status: RegistryStatus;
  address: string;
  keys: RegistryKey[];
}

export function encodeRecord(r: RegistryRecord): string[] {
  return [
    `status=${r.status}`,
    `address=${r.address}`,
    ...r.keys.map(
      (k) =>
        `key=${k.fingerprint}\t${k.validFrom.toISOString()}\t${k.validUntil?.toISOString() ?? "-"}\t${Buffer.from(k.publicKeyPem).toString("base64")}`,
    ),
  ];
}

/** Parses and checks a record: every key's fingerprint must match its PEM. */
export function decodeRecord(realmId: string, lines: readonly string[]): RegistryRecord | null {
  let status: RegistryStatus | undefined;
  let address = "";
  const keys: RegistryKey[] = [];
  for (const l of lines) {
    if (l.startsWith("status=")) {
      const s = l.slice(7);
      if (s === "PENDING" || s === "APPROVED" || s === "REVOKED") status = s;
    } else if (l.startsWith("address=")) address = l.slice(8);
    else if (l.startsWith("key=")) {
      const [fingerprint, from, until, pem64] = l.slice(4).split("\t");
      if (!pem64) return null;
      const publicKeyPem = Buffer.from(pem64, "base64").toString("utf8");
      try {
        if (publicKeyFingerprint(publicKeyPem) !== fingerprint) return null;
      } catch {
        return null;
      }
      const validFrom = new Date(from);
      const validUntil = until === "-" ? null : new Date(until);
      if (Number.isNaN(validFrom.getTime()) || (validUntil && Number.isNaN(validUntil.getTime()))) return null;
      keys.push({ fingerprint, publicKeyPem, validFrom, validUntil });
    }
  }
  return status ? { realmId, status, address, keys } : null;
}

export function keyIsValid(k: { validUntil: Date | null; revokedAt?: Date | null }, now = Date.now()): boolean {
  return !k.revokedAt && (k.validUntil === null || k.validUntil.getTime() > now);
}
