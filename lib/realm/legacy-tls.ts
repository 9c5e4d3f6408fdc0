// The legacy TLS profile (#15): what the original 2008 client's trust manager accepts — an RSA
// certificate whose subject is exactly `CN=<realm id>`, over TLS 1.2 with RSA key exchange. The
// key is made once per realm (by the first daemon instance that needs it) and kept in
// realm_legacy_tls_keys, so the certificate an original user accepted stays the same across
// restarts. It is separate from the realm's own ECDSA key (lib/realm/keys.ts), which is never
// weakened for it. See docs/configuration.md ("Legacy TLS profile").
import crypto from "node:crypto";
import * as x509 from "@peculiar/x509";
import type pg from "pg";
import { certFingerprint } from "./keys.ts";

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export interface LegacyTlsKey {
  realmId: string;
  certPem: string;
  privateKeyPem: string;
  /** sha256 of the certificate DER, lower-case hex. */
  tlsFingerprint: string;
}

/**
 * TLS 1.2 suites with RSA key exchange (no (EC)DHE), which is what the original client's trust
 * manager allowed. Names as OpenSSL/Node spell them.
 */
export const LEGACY_CIPHERS = [
  "AES128-SHA",
  "AES256-SHA",
  "AES128-SHA256",
  "AES256-SHA256",
  "AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
].join(":");

/** The TLS options of a legacy port: TLS 1.2 only, RSA key exchange only. */
export function legacyTlsOptions(k: LegacyTlsKey) {
  return {
    key: k.privateKeyPem,
    cert: k.certPem,
    minVersion: "TLSv1.2" as const,
    maxVersion: "TLSv1.2" as const,
    ciphers: LEGACY_CIPHERS,
    honorCipherOrder: true,
  };
}

export async function generateLegacyTlsKey(realmId: string, validDays = 3650): Promise<LegacyTlsKey> {
  const alg = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  } as const;
  const keys = (await crypto.webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: crypto.randomBytes(8).toString("hex"),
    // Exactly one RDN: the original compared the whole subject string with "CN=" + realm.
    name: [{ CN: [realmId] }],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + validDays * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [new x509.BasicConstraintsExtension(false, undefined, true)],
  });
  const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const privateKeyPem = crypto
    .createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" })
    .export({ type: "pkcs8", format: "pem" })
    .toString();
  const certPem = cert.toString("pem");
  return { realmId, certPem, privateKeyPem, tlsFingerprint: certFingerprint(certPem) };
}

/** The realm's legacy key, created on first use; concurrent instances keep the first one stored. */
export async function ensureLegacyTlsKey(pool: pg.Pool, realmId: string): Promise<LegacyTlsKey> {
  const load = async () =>
    (
      await pool.query<LegacyTlsKey>(
        `SELECT "realmId", "certPem", "privateKeyPem", "tlsFingerprint" FROM realm_legacy_tls_keys WHERE "realmId" = $1`,
        [realmId],
      )
    ).rows[0];
  const found = await load();
  if (found) return found;
  const k = await generateLegacyTlsKey(realmId);
  await pool.query(
    `INSERT INTO realm_legacy_tls_keys ("realmId", "certPem", "privateKeyPem", "tlsFingerprint") VALUES ($1, $2, $3, $4)
     ON CONFLICT ("realmId") DO NOTHING`,
    [realmId, k.certPem, k.privateKeyPem, k.tlsFingerprint],
  );
  const stored = await load();
  if (!stored) throw new Error(`could not store the legacy TLS key of realm ${realmId}`);
  return stored;
}
