-- Legacy TLS profile (#15): an optional extra port per realm where the original 2008 client can
-- connect (TLS 1.2, RSA key exchange, certificate subject exactly CN=<realm id>). Off (NULL) by default.
ALTER TABLE "realms" ADD COLUMN "legacyTlsPort" INTEGER;

-- The RSA certificate served on that port: generated once per realm by the realm daemon and kept
-- across restarts. The private key is read only by the realm daemon (like realm_key_secrets).
CREATE TABLE "realm_legacy_tls_keys" (
    "realmId" TEXT NOT NULL,
    "certPem" TEXT NOT NULL,
    "privateKeyPem" TEXT NOT NULL,
    "tlsFingerprint" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "realm_legacy_tls_keys_pkey" PRIMARY KEY ("realmId")
);

ALTER TABLE "realm_legacy_tls_keys" ADD CONSTRAINT "realm_legacy_tls_keys_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
