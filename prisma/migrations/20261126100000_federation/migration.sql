-- Federation (issue 4): realm-side cache of the management registry, received-message
-- tombstones, permanent-failure marker on the outbox, TLS fingerprints in the registry.

-- AlterTable
ALTER TABLE "federation_outbox" ADD COLUMN     "failedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "known_realm_keys" ADD COLUMN     "tlsFingerprint" TEXT;

-- CreateTable
CREATE TABLE "federation_peers" (
    "realmId" TEXT NOT NULL,
    "address" TEXT NOT NULL DEFAULT '',
    "status" "KnownRealmStatus" NOT NULL,
    "fetchedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "bytesHeld" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "federation_peers_pkey" PRIMARY KEY ("realmId")
);

-- CreateTable
CREATE TABLE "federation_peer_keys" (
    "realmId" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "publicKeyPem" TEXT NOT NULL,
    "validFrom" TIMESTAMP(3) NOT NULL,
    "validUntil" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "federation_peer_keys_pkey" PRIMARY KEY ("realmId","fingerprint")
);

-- CreateTable
CREATE TABLE "federation_received" (
    "realmId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "fromRealmId" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "federation_received_pkey" PRIMARY KEY ("realmId","messageId")
);

-- CreateIndex
CREATE INDEX "federation_received_receivedAt_idx" ON "federation_received"("receivedAt");

-- AddForeignKey
ALTER TABLE "federation_peer_keys" ADD CONSTRAINT "federation_peer_keys_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "federation_peers"("realmId") ON DELETE CASCADE ON UPDATE CASCADE;
