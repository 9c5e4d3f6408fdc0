-- Workspaces across realms: a member of a mirror realm publishes through the home realm.
-- Mirror: a sealed change waiting for the home realm to order it (forwardedAt set, seq NULL).
-- Home: the change id chosen by the author's realm ("<realm>/<id>"), so a retried forward is stored once.
ALTER TABLE "workspace_changes" ADD COLUMN "forwardedAt" TIMESTAMP(3);
ALTER TABLE "workspace_changes" ADD COLUMN "originId" TEXT;
CREATE UNIQUE INDEX "workspace_changes_workspaceId_originId_key" ON "workspace_changes"("workspaceId", "originId");
