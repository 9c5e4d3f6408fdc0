// Proof of key possession, for both trust relationships of federation: a realm towards the
// management server (port 63747) and two realms towards each other (port 63745). Every proof is
// an ECDSA P-256 / SHA-256 signature over a purpose-labelled payload that names both parties and
// both nonces (and, between realms, the TLS channel), so a signature can never be replayed in
// another role, towards another party or over another connection.
import crypto from "node:crypto";

export const NONCE_BYTES = 32;

export function newNonce(): string {
  return crypto.randomBytes(NONCE_BYTES).toString("base64url");
}

export function isNonce(s: string): boolean {
  return /^[A-Za-z0-9_-]{32,128}$/.test(s);
}

/**
 * A realm proves to the management server that it holds a key of `realmId`. `binding` is the TLS
 * exported keying material of this connection (empty on the loopback-only plain TCP setting), so a
 * proof relayed by a machine in the middle does not verify on the relay's own connection.
 */
export function managementAuthPayload(realmId: string, nonce: string, binding: Buffer): Buffer {
  return Buffer.from(`OpenGroove-management-auth\n${realmId}\n${nonce}\n${binding.toString("hex")}`);
}

/**
 * A realm proves it holds the private half of the key it enrolls or rotates to ("enroll",
 * "rotate"), and a current key of the realm vouches for the new one ("vouch": rotatekey needs
 * both). Bound to the challenge and the TLS channel like the auth payload.
 */
export function managementKeyPayload(
  purpose: "enroll" | "rotate" | "vouch",
  realmId: string,
  fingerprint: string,
  nonce: string,
  binding: Buffer,
): Buffer {
  return Buffer.from(
    `OpenGroove-management-${purpose}\n${realmId}\n${fingerprint}\n${nonce}\n${binding.toString("hex")}`,
  );
}

/** The management server's previous key vouches for its next one (clients follow the rotation). */
export function managementVouchPayload(newFingerprint: string): Buffer {
  return Buffer.from(`OpenGroove-management-key-vouch\n${newFingerprint}`);
}

/**
 * Realm to realm. `role` is the side that signs; `self`/`other` are realm ids from the signer's
 * point of view; `otherNonce` is the nonce the verifier chose (the freshness guarantee);
 * `binding` is the TLS exported keying material (empty on plain TCP test setups).
 */
export function realmAuthPayload(
  role: "server" | "client",
  self: string,
  other: string,
  otherNonce: string,
  ownNonce: string,
  binding: Buffer,
): Buffer {
  return Buffer.from(
    `OpenGroove-realm-auth\n${role}\n${self}\n${other}\n${otherNonce}\n${ownNonce}\n${binding.toString("hex")}`,
  );
}

export function sign(privateKeyPem: string, payload: Buffer): string {
  return crypto.sign("sha256", payload, privateKeyPem).toString("base64");
}

export function verify(publicKeyPem: string, payload: Buffer, signatureB64: string): boolean {
  try {
    return crypto.verify("sha256", payload, publicKeyPem, Buffer.from(signatureB64, "base64"));
  } catch {
    return false;
  }
}

/** One proof per key the signer currently holds: "<fingerprint> <base64 signature>". */
export interface Proof {
  fingerprint: string;
  signature: string;
}

export function encodeProofs(proofs: readonly Proof[], label = "proof"): string[] {
  return proofs.map((p) => `${label}=${p.fingerprint} ${p.signature}`);
}

export function decodeProofs(lines: readonly string[], label = "proof"): Proof[] {
  const out: Proof[] = [];
  const re = new RegExp(`^${label}=([0-9a-f]{64}) ([A-Za-z0-9+/=]{16,200})$`);
  for (const l of lines) {
    const m = re.exec(l);
    if (m) out.push({ fingerprint: m[1], signature: m[2] });
  }
  return out;
}

export interface VerifyingKey {
  fingerprint: string;
  publicKeyPem: string;
}

/** True when at least one proof verifies under a key from `keys` with the same fingerprint. */
export function anyProofValid(
  keys: readonly VerifyingKey[],
  proofs: readonly Proof[],
  payload: Buffer,
): VerifyingKey | null {
  for (const p of proofs) {
    const k = keys.find((x) => x.fingerprint === p.fingerprint);
    if (k && verify(k.publicKeyPem, payload, p.signature)) return k;
  }
  return null;
}

/** TLS exported keying material for channel binding (RFC 5705 / 8446 exporters). */
export const CHANNEL_BINDING_LABEL = "EXPORTER-OpenGroove-realm-auth";
