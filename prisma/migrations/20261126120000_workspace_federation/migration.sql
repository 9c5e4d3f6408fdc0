-- Workspaces across realms (issue #7, cross-realm part). Additive only.
-- A workspace row with "homeRealmId" set is this realm's mirror of a workspace that lives on
-- another realm: it holds the local members and the changes forwarded for their computers.
ALTER TABLE "workspaces" ADD COLUMN "homeRealmId" TEXT;

-- On a mirror: the highest seq already queued to the home realm as this member's ack.
ALTER TABLE "workspace_members" ADD COLUMN "remoteAckedSeq" BIGINT;

-- On a mirror: the seq a change being received from the home realm will get when committed.
ALTER TABLE "workspace_changes" ADD COLUMN "stagedSeq" BIGINT;
CREATE UNIQUE INDEX "workspace_changes_workspaceId_stagedSeq_key" ON "workspace_changes"("workspaceId", "stagedSeq");

-- The federation outbox also carries workspace events (kind 'ws-...'): messageId is then null.
ALTER TABLE "federation_outbox" ALTER COLUMN "messageId" DROP NOT NULL;
ALTER TABLE "federation_outbox" ADD COLUMN "kind" TEXT NOT NULL DEFAULT 'message';
ALTER TABLE "federation_outbox" ADD COLUMN "workspaceId" TEXT;
ALTER TABLE "federation_outbox" ADD COLUMN "memberId" TEXT;
ALTER TABLE "federation_outbox" ADD COLUMN "seq" BIGINT;
