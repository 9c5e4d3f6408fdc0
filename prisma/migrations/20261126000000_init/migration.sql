-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "OperatorRole" AS ENUM ('ADMIN', 'REALM_OPERATOR');

-- CreateEnum
CREATE TYPE "RegistrationMode" AS ENUM ('OPEN', 'INVITE', 'CLOSED');

-- CreateEnum
CREATE TYPE "CaptchaProvider" AS ENUM ('NONE', 'HCAPTCHA', 'ALTCHA');

-- CreateEnum
CREATE TYPE "RealmStatus" AS ENUM ('ACTIVE', 'DISABLED');

-- CreateEnum
CREATE TYPE "UserStatus" AS ENUM ('ACTIVE', 'SUSPENDED');

-- CreateEnum
CREATE TYPE "WorkspaceMemberStatus" AS ENUM ('INVITED', 'ACTIVE', 'LEFT', 'REMOVED', 'SUSPENDED');

-- CreateEnum
CREATE TYPE "WorkspaceRole" AS ENUM ('OWNER', 'MANAGER', 'MEMBER');

-- CreateEnum
CREATE TYPE "KnownRealmStatus" AS ENUM ('PENDING', 'APPROVED', 'REVOKED');

-- CreateTable
CREATE TABLE "operators" (
    "id" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "role" "OperatorRole" NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastLoginAt" TIMESTAMP(3),

    CONSTRAINT "operators_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "operator_realms" (
    "operatorId" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,

    CONSTRAINT "operator_realms_pkey" PRIMARY KEY ("operatorId","realmId")
);

-- CreateTable
CREATE TABLE "realms" (
    "id" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "slug" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "contactEmail" TEXT NOT NULL DEFAULT '',
    "contactUserId" TEXT NOT NULL DEFAULT '',
    "registrationMode" "RegistrationMode" NOT NULL,
    "captchaProvider" "CaptchaProvider" NOT NULL DEFAULT 'NONE',
    "hcaptchaSiteKey" TEXT,
    "hcaptchaSecret" TEXT,
    "userCap" INTEGER NOT NULL,
    "userCount" INTEGER NOT NULL DEFAULT 0,
    "defaultQuotaBytes" BIGINT NOT NULL,
    "maxComputersPerUser" INTEGER NOT NULL DEFAULT 8,
    "messageRetentionDays" INTEGER NOT NULL DEFAULT 30,
    "imessageRatePerMinute" INTEGER NOT NULL DEFAULT 60,
    "workspaceInactivityDays" INTEGER NOT NULL DEFAULT 21,
    "maxWorkspaceChangeBytes" BIGINT NOT NULL DEFAULT 268435456,
    "status" "RealmStatus" NOT NULL DEFAULT 'ACTIVE',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "realms_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "realm_keys" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "algorithm" TEXT NOT NULL DEFAULT 'ed25519',
    "publicKeyPem" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "tlsCertPem" TEXT NOT NULL,
    "tlsFingerprint" TEXT NOT NULL,
    "validFrom" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "validUntil" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "realm_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "realm_key_secrets" (
    "keyId" TEXT NOT NULL,
    "privateKeyPem" TEXT NOT NULL,
    "tlsKeyPem" TEXT NOT NULL,

    CONSTRAINT "realm_key_secrets_pkey" PRIMARY KEY ("keyId")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "username" TEXT NOT NULL,
    "usernameKey" TEXT NOT NULL,
    "passwordHash" TEXT NOT NULL,
    "status" "UserStatus" NOT NULL DEFAULT 'ACTIVE',
    "canMessageOtherRealms" BOOLEAN NOT NULL DEFAULT true,
    "canCreateWorkspaces" BOOLEAN NOT NULL DEFAULT true,
    "canCreateInvites" BOOLEAN NOT NULL DEFAULT false,
    "imessageRatePerMinute" INTEGER,
    "quotaBytes" BIGINT,
    "bytesUsed" BIGINT NOT NULL DEFAULT 0,
    "messageBytes" BIGINT NOT NULL DEFAULT 0,
    "workspaceBytes" BIGINT NOT NULL DEFAULT 0,
    "settingsBytes" BIGINT NOT NULL DEFAULT 0,
    "sessionEpoch" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastLoginAt" TIMESTAMP(3),

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "computers" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMP(3),

    CONSTRAINT "computers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "settings" (
    "userId" TEXT NOT NULL,
    "computer" TEXT NOT NULL DEFAULT '',
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "settings_pkey" PRIMARY KEY ("userId","computer","key")
);

-- CreateTable
CREATE TABLE "invites" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "codeHash" TEXT NOT NULL,
    "usesAllowed" INTEGER NOT NULL,
    "pending" INTEGER NOT NULL DEFAULT 0,
    "completed" INTEGER NOT NULL DEFAULT 0,
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "note" TEXT NOT NULL DEFAULT '',
    "createdByOperatorId" TEXT,
    "createdByUserId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "invites_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "registration_tickets" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "tokenHash" TEXT,
    "captchaPassedAt" TIMESTAMP(3),
    "usedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "registration_tickets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "messages" (
    "id" BIGSERIAL NOT NULL,
    "realmId" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "senderId" TEXT NOT NULL,
    "senderUserId" TEXT,
    "senderComputer" TEXT NOT NULL,
    "size" BIGINT NOT NULL DEFAULT 0,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3),

    CONSTRAINT "messages_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message_recipients" (
    "messageId" BIGINT NOT NULL,
    "recipientId" TEXT NOT NULL,
    "userId" TEXT,
    "computer" TEXT NOT NULL,
    "forwardedAt" TIMESTAMP(3),

    CONSTRAINT "message_recipients_pkey" PRIMARY KEY ("messageId","recipientId","computer")
);

-- CreateTable
CREATE TABLE "message_blocks" (
    "messageId" BIGINT NOT NULL,
    "block" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "message_blocks_pkey" PRIMARY KEY ("messageId","block")
);

-- CreateTable
CREATE TABLE "federation_outbox" (
    "id" BIGSERIAL NOT NULL,
    "messageId" BIGINT NOT NULL,
    "targetRealmId" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "deliveredAt" TIMESTAMP(3),
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "federation_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workspaces" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "creatorId" TEXT NOT NULL,
    "inactivityDays" INTEGER,
    "nextSeq" BIGINT NOT NULL DEFAULT 1,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workspaces_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workspace_members" (
    "workspaceId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "role" "WorkspaceRole" NOT NULL DEFAULT 'MEMBER',
    "status" "WorkspaceMemberStatus" NOT NULL DEFAULT 'INVITED',
    "invitedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "joinedAt" TIMESTAMP(3),
    "lastSeenAt" TIMESTAMP(3),

    CONSTRAINT "workspace_members_pkey" PRIMARY KEY ("workspaceId","memberId")
);

-- CreateTable
CREATE TABLE "workspace_changes" (
    "id" BIGSERIAL NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "seq" BIGINT,
    "authorId" TEXT NOT NULL,
    "authorUserId" TEXT,
    "authorComputer" TEXT NOT NULL,
    "size" BIGINT NOT NULL DEFAULT 0,
    "sealedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "workspace_changes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "workspace_change_blocks" (
    "changeId" BIGINT NOT NULL,
    "block" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "workspace_change_blocks_pkey" PRIMARY KEY ("changeId","block")
);

-- CreateTable
CREATE TABLE "workspace_cursors" (
    "workspaceId" TEXT NOT NULL,
    "memberId" TEXT NOT NULL,
    "computer" TEXT NOT NULL,
    "ackedSeq" BIGINT NOT NULL DEFAULT 0,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "workspace_cursors_pkey" PRIMARY KEY ("workspaceId","memberId","computer")
);

-- CreateTable
CREATE TABLE "known_realms" (
    "realmId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "registrationMode" "RegistrationMode" NOT NULL DEFAULT 'CLOSED',
    "captchaRequired" BOOLEAN NOT NULL DEFAULT false,
    "signupUrl" TEXT NOT NULL DEFAULT '',
    "address" TEXT NOT NULL,
    "status" "KnownRealmStatus" NOT NULL DEFAULT 'PENDING',
    "enrolledAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastHeartbeatAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "known_realms_pkey" PRIMARY KEY ("realmId")
);

-- CreateTable
CREATE TABLE "known_realm_keys" (
    "id" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "publicKeyPem" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "validFrom" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "validUntil" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "known_realm_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "enrollment_tokens" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "realmId" TEXT,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "enrollment_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "daemon_instances" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "pid" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "heartbeatAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "daemon_instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "presences" (
    "connectionId" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "realmId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "computer" TEXT NOT NULL,
    "connectedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "presences_pkey" PRIMARY KEY ("connectionId")
);

-- CreateTable
CREATE TABLE "rate_limit_buckets" (
    "key" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "rate_limit_buckets_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" BIGSERIAL NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT,
    "actorLabel" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "targetType" TEXT NOT NULL,
    "targetId" TEXT NOT NULL,
    "realmId" TEXT,
    "before" JSONB,
    "after" JSONB,
    "ip" TEXT,

    CONSTRAINT "audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "operators_username_key" ON "operators"("username");

-- CreateIndex
CREATE UNIQUE INDEX "realms_slug_key" ON "realms"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "realm_keys_fingerprint_key" ON "realm_keys"("fingerprint");

-- CreateIndex
CREATE INDEX "realm_keys_realmId_idx" ON "realm_keys"("realmId");

-- CreateIndex
CREATE INDEX "users_realmId_createdAt_idx" ON "users"("realmId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "users_realmId_usernameKey_key" ON "users"("realmId", "usernameKey");

-- CreateIndex
CREATE UNIQUE INDEX "computers_userId_name_key" ON "computers"("userId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "invites_codeHash_key" ON "invites"("codeHash");

-- CreateIndex
CREATE INDEX "invites_realmId_idx" ON "invites"("realmId");

-- CreateIndex
CREATE UNIQUE INDEX "registration_tickets_tokenHash_key" ON "registration_tickets"("tokenHash");

-- CreateIndex
CREATE INDEX "messages_senderUserId_idx" ON "messages"("senderUserId");

-- CreateIndex
CREATE UNIQUE INDEX "messages_realmId_messageId_key" ON "messages"("realmId", "messageId");

-- CreateIndex
CREATE INDEX "message_recipients_userId_computer_idx" ON "message_recipients"("userId", "computer");

-- CreateIndex
CREATE INDEX "federation_outbox_deliveredAt_nextAttemptAt_idx" ON "federation_outbox"("deliveredAt", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "federation_outbox_messageId_targetRealmId_key" ON "federation_outbox"("messageId", "targetRealmId");

-- CreateIndex
CREATE UNIQUE INDEX "workspace_changes_workspaceId_seq_key" ON "workspace_changes"("workspaceId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "known_realm_keys_realmId_fingerprint_key" ON "known_realm_keys"("realmId", "fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "enrollment_tokens_tokenHash_key" ON "enrollment_tokens"("tokenHash");

-- CreateIndex
CREATE INDEX "presences_realmId_idx" ON "presences"("realmId");

-- CreateIndex
CREATE INDEX "presences_userId_idx" ON "presences"("userId");

-- CreateIndex
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");

-- CreateIndex
CREATE INDEX "audit_log_realmId_at_idx" ON "audit_log"("realmId", "at");

-- AddForeignKey
ALTER TABLE "operator_realms" ADD CONSTRAINT "operator_realms_operatorId_fkey" FOREIGN KEY ("operatorId") REFERENCES "operators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "operator_realms" ADD CONSTRAINT "operator_realms_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "realm_keys" ADD CONSTRAINT "realm_keys_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "realm_key_secrets" ADD CONSTRAINT "realm_key_secrets_keyId_fkey" FOREIGN KEY ("keyId") REFERENCES "realm_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "computers" ADD CONSTRAINT "computers_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "settings" ADD CONSTRAINT "settings_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invites" ADD CONSTRAINT "invites_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "registration_tickets" ADD CONSTRAINT "registration_tickets_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "messages" ADD CONSTRAINT "messages_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_recipients" ADD CONSTRAINT "message_recipients_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "message_blocks" ADD CONSTRAINT "message_blocks_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "messages"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workspaces" ADD CONSTRAINT "workspaces_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "realms"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workspace_members" ADD CONSTRAINT "workspace_members_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workspace_changes" ADD CONSTRAINT "workspace_changes_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "workspaces"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "workspace_change_blocks" ADD CONSTRAINT "workspace_change_blocks_changeId_fkey" FOREIGN KEY ("changeId") REFERENCES "workspace_changes"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "known_realm_keys" ADD CONSTRAINT "known_realm_keys_realmId_fkey" FOREIGN KEY ("realmId") REFERENCES "known_realms"("realmId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "presences" ADD CONSTRAINT "presences_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "daemon_instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

