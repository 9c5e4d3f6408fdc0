-- Federation trust (issue #12): the management server own key (TLS on both management ports,
-- signed answers, rotation with an overlap), pins kept by realms of that key, key claims waiting for an
-- operator, and crash-safe realm key rotation (a key stored before it is published).

-- The management server key pairs: public half + certificate here, private half apart.
-- "vouchedBy"/"vouch": the key that was current when this one was made, and its signature over
-- the fingerprint of this key, so a client that pinned the older key can follow the rotation.
CREATE TABLE "management_keys" (
    "id" TEXT NOT NULL,
    "publicKeyPem" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "tlsCertPem" TEXT NOT NULL,
    "tlsFingerprint" TEXT NOT NULL,
    "vouchedBy" TEXT,
    "vouch" TEXT,
    "validFrom" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "validUntil" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    CONSTRAINT "management_keys_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "management_keys_fingerprint_key" ON "management_keys"("fingerprint");

CREATE TABLE "management_key_secrets" (
    "keyId" TEXT NOT NULL,
    "privateKeyPem" TEXT NOT NULL,
    CONSTRAINT "management_key_secrets_pkey" PRIMARY KEY ("keyId")
);
ALTER TABLE "management_key_secrets" ADD CONSTRAINT "management_key_secrets_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "management_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Realm side: the management server key this realm daemon trusts, per management address.
CREATE TABLE "management_pins" (
    "address" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "pinnedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "management_pins_pkey" PRIMARY KEY ("address")
);

-- Management side: an enrolled realm presented a key the registry does not know. Nothing changes
-- until an administrator accepts (lost-key recovery) or rejects it in the console.
CREATE TABLE "realm_key_claims" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "publicKeyPem" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "tlsFingerprint" TEXT,
    "address" TEXT NOT NULL,
    "remoteIp" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "decision" TEXT,
    "decidedBy" TEXT,
    CONSTRAINT "realm_key_claims_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "realm_key_claims_realmId_fingerprint_key" ON "realm_key_claims"("realmId", "fingerprint");

-- Realm side: a rotated key is stored first (pending) and published to the management server
-- after, and a restart publishes what is still pending.
ALTER TABLE "realm_keys" ADD COLUMN "publishPending" BOOLEAN NOT NULL DEFAULT false;
