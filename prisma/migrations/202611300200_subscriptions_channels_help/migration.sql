-- Issue #15, the original commands that were missing: subscriptions (createsubscription,
-- subscriptionevent), visibility (setvisibility), per-sender immediate-message quotas set by
-- the recipient (setimessagequota), channels (createchannel ..., authenticate type channel) and
-- a realms help documents (listhelpdocuments, gethelpdocument).

-- Who may see a users online status (and find the user in searchusers): everyone, the users
-- contacts (members of a workspace the user is an active member of), or nobody.
CREATE TYPE "UserVisibility" AS ENUM ('EVERYONE', 'CONTACTS', 'NOBODY');
ALTER TABLE "users" ADD COLUMN "visibility" "UserVisibility" NOT NULL DEFAULT 'EVERYONE';
-- The recipients own default rate for senders without a per-sender quota (null: the ceiling).
ALTER TABLE "users" ADD COLUMN "imessageDefaultRate" INTEGER;

ALTER TABLE "realms" ADD COLUMN "maxSubscriptionsPerUser" INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE "realms" ADD COLUMN "maxChannelsPerUser" INTEGER NOT NULL DEFAULT 16;

CREATE TABLE "subscriptions" (
    "id" BIGSERIAL NOT NULL,
    "userId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "targetUserId" TEXT NOT NULL,
    "onComputer" TEXT NOT NULL DEFAULT '',
    "onSetting" TEXT NOT NULL DEFAULT '',
    "deleteWithTarget" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "subscriptions_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "subscriptions_identity_key" ON "subscriptions"("userId", "type", "targetUserId", "onComputer", "onSetting", "deleteWithTarget");
CREATE INDEX "subscriptions_targetUserId_idx" ON "subscriptions"("targetUserId");
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_targetUserId_fkey" FOREIGN KEY ("targetUserId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "imessage_quotas" (
    "userId" TEXT NOT NULL,
    "senderId" TEXT NOT NULL,
    "ratePerMinute" INTEGER NOT NULL,
    CONSTRAINT "imessage_quotas_pkey" PRIMARY KEY ("userId", "senderId")
);
ALTER TABLE "imessage_quotas" ADD CONSTRAINT "imessage_quotas_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "imessage_quotas" ADD CONSTRAINT "imessage_quotas_senderId_fkey" FOREIGN KEY ("senderId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "channels" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "ownerId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "channels_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "channels_ownerId_idx" ON "channels"("ownerId");
ALTER TABLE "channels" ADD CONSTRAINT "channels_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "channels" ADD CONSTRAINT "channels_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TYPE "ChannelMemberStatus" AS ENUM ('INVITED', 'ACTIVE');
CREATE TABLE "channel_members" (
    "channelId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "status" "ChannelMemberStatus" NOT NULL,
    "invitedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "channel_members_pkey" PRIMARY KEY ("channelId", "userId")
);
CREATE INDEX "channel_members_userId_idx" ON "channel_members"("userId");
ALTER TABLE "channel_members" ADD CONSTRAINT "channel_members_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "channels"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "channel_members" ADD CONSTRAINT "channel_members_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- A channel packet in transit (like immediate_messages): NOTIFY carries its id, the instances
-- holding the channels connections read it: pruned after about a minute.
CREATE TABLE "channel_packets" (
    "id" BIGSERIAL NOT NULL,
    "channelId" TEXT NOT NULL,
    "fromUserId" TEXT NOT NULL,
    "fromComputer" TEXT NOT NULL,
    "toUserId" TEXT,
    "body" BYTEA NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "channel_packets_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "channel_packets_createdAt_idx" ON "channel_packets"("createdAt");

CREATE TABLE "help_documents" (
    "realmId" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "help_documents_pkey" PRIMARY KEY ("realmId", "path")
);
ALTER TABLE "help_documents" ADD CONSTRAINT "help_documents_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;
