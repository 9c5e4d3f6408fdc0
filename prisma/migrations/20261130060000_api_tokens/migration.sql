-- Operator API tokens (/api/v1): a random secret shown once, stored as a keyed SHA-256 (HMAC)
-- of the secret. Scope: a role no higher than the owner's and, for realm-operator scope, a set
-- of realms intersected with the owner's realms on every request. The owner's role and session
-- epoch at creation are kept so a demotion or a password change cuts the token.
CREATE TABLE "operator_api_tokens" (
    "id" TEXT NOT NULL,
    "operatorId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "role" "OperatorRole" NOT NULL,
    "realmIds" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[],
    "ownerRole" "OperatorRole" NOT NULL,
    "ownerEpoch" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    CONSTRAINT "operator_api_tokens_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "operator_api_tokens_tokenHash_key" ON "operator_api_tokens"("tokenHash");
CREATE INDEX "operator_api_tokens_operatorId_idx" ON "operator_api_tokens"("operatorId");
ALTER TABLE "operator_api_tokens" ADD CONSTRAINT "operator_api_tokens_operatorId_fkey"
    FOREIGN KEY ("operatorId") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE CASCADE;
