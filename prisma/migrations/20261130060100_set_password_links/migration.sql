-- One-time set-password links for accounts an operator creates (or re-invites): the link's
-- secret is shown once and stored as sha256, a link is used at most once (a conditional UPDATE
-- on "usedAt" IS NULL) and only before "expiresAt".
CREATE TABLE "set_password_links" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdByOperatorId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "set_password_links_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "set_password_links_tokenHash_key" ON "set_password_links"("tokenHash");
CREATE INDEX "set_password_links_userId_idx" ON "set_password_links"("userId");
ALTER TABLE "set_password_links" ADD CONSTRAINT "set_password_links_userId_fkey"
    FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
