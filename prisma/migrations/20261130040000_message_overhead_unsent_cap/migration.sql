-- Issue #13: a message's metadata costs quota too. "overheadBytes" is what was charged to the
-- local sender on top of the data when the message was created (lib/domain/quota-rule.ts) and
-- is released with the data. A realm caps the unsent messages one user may hold, and the partial
-- index serves that count and the sweep of unsent leftovers (oldest "createdAt" first).
ALTER TABLE "messages" ADD COLUMN "overheadBytes" BIGINT NOT NULL DEFAULT 0;
ALTER TABLE "realms" ADD COLUMN "maxUnsentMessagesPerUser" INTEGER NOT NULL DEFAULT 100;
CREATE INDEX "messages_unsent_sender_idx" ON "messages"("senderUserId") WHERE "sentAt" IS NULL;
CREATE INDEX "messages_unsent_created_idx" ON "messages"("createdAt") WHERE "sentAt" IS NULL;
-- Invite uses are now taken inside the signup transaction and never reserved as "pending",
-- what is pending now was leaked by a crash before this version.
UPDATE "invites" SET "pending" = 0 WHERE "pending" <> 0;
