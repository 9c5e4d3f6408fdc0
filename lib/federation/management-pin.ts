// Pinning the management server's key (issue #12), shared by realm daemons and the CLI/SDK. A
// pin is the SHA-256 of the management key's SubjectPublicKeyInfo (like realm key fingerprints).
// The TLS connection is accepted when the certificate's key is the pinned one, or when the
// management server shows a chain of vouches (each key signed by its predecessor) leading from
// the pinned key to the presented one: a rotation done by the key holder. Anything else is a
// different server, and every registry answer on that connection would be worthless.
import crypto from "node:crypto";
import { publicKeyFingerprint } from "../realm/keys.ts";
import { managementVouchPayload, verify } from "./signing.ts";

export interface ManagementKeyEntry {
  fingerprint: string;
  publicKeyPem: string;
  validFrom: Date;
  validUntil: Date | null;
  vouchedBy: string | null;
  vouch: string | null;
}

/** Normalises a fingerprint given by a person (colons, upper case, spaces). null when malformed. */
export function normalizeFingerprint(s: string): string | null {
  const v = s.replace(/[\s:]/g, "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(v) ? v : null;
}

/** SHA-256 of the SubjectPublicKeyInfo of a certificate (DER or X509Certificate). */
export function certKeyFingerprint(cert: crypto.X509Certificate): string {
  return crypto
    .createHash("sha256")
    .update(cert.publicKey.export({ type: "spki", format: "der" }))
    .digest("hex");
}

/** `managementkeys` lines: key=<fp> TAB from TAB until|- TAB base64 PEM TAB vouchedBy|- TAB vouch|-. */
export function encodeManagementKeys(keys: readonly ManagementKeyEntry[]): string[] {
  return keys.map(
    (k) =>
      `key=${[
        k.fingerprint,
        k.validFrom.toISOString(),
        k.validUntil?.toISOString() ?? "-",
        Buffer.from(k.publicKeyPem).toString("base64"),
        k.vouchedBy ?? "-",
        k.vouch ?? "-",
      ].join("\t")}`,
  );
}

export function decodeManagementKeys(lines: readonly string[]): ManagementKeyEntry[] | null {
  const out: ManagementKeyEntry[] = [];
  for (const l of lines) {
    if (!l.startsWith("key=")) continue;
    const [fingerprint, from, until, pem64, by, vouch] = l.slice(4).split("\t");
    if (vouch === undefined) return null;
    const publicKeyPem = Buffer.from(pem64, "base64").toString("utf8");
    try {
      if (publicKeyFingerprint(publicKeyPem) !== fingerprint) return null;
    } catch {
      return null;
    }
    out.push({
      fingerprint,
      publicKeyPem,
      validFrom: new Date(from),
      validUntil: until === "-" ? null : new Date(until),
      vouchedBy: by === "-" ? null : by,
      vouch: vouch === "-" ? null : vouch,
    });
  }
  return out;
}

export type PinCheck = { ok: true; rotated: boolean } | { ok: false; reason: string };

/**
 * Whether the presented key may be trusted by someone who pinned `pinned`: the same key, or a
 * chain of valid vouches from `pinned` to it among the listed keys.
 */
export function checkPin(pinned: string, presented: string, keys: readonly ManagementKeyEntry[] | null): PinCheck {
  if (pinned === presented) return { ok: true, rotated: false };
  const byFp = new Map((keys ?? []).map((k) => [k.fingerprint, k]));
  let at = byFp.get(presented);
  for (let hops = 0; at && hops < 16; hops++) {
    const prev = at.vouchedBy ? byFp.get(at.vouchedBy) : undefined;
    if (!prev || !at.vouch || !verify(prev.publicKeyPem, managementVouchPayload(at.fingerprint), at.vouch)) break;
    if (prev.fingerprint === pinned) return { ok: true, rotated: true };
    at = prev;
  }
  return {
    ok: false,
    reason: `the management server presented key sha256 ${presented}, but the pinned key is sha256 ${pinned} and no rotation signed by the pinned key leads to it`,
  };
}
