-- Issue #17: workspaces across realms that share one database, and an outbox ordered in the database.

-- A mirror has its own id on its realm, and "remoteId" is the workspace's id on its home realm (the id
-- on the wire). Any number of realms on one database can then each hold their own mirror.
ALTER TABLE "workspaces" ADD COLUMN "remoteId" TEXT;
UPDATE "workspaces" SET "remoteId" = id WHERE "homeRealmId" IS NOT NULL;
CREATE UNIQUE INDEX "workspaces_realmId_homeRealmId_remoteId_key" ON "workspaces"("realmId", "homeRealmId", "remoteId");

-- Outbox rows know the realm that sends them and their stream (in-order lane to one target realm):
-- the workspace for workspace events, '' for messages. Filled by a trigger, so every writer gets it.
ALTER TABLE "federation_outbox" ADD COLUMN "sourceRealmId" TEXT NOT NULL DEFAULT '';
ALTER TABLE "federation_outbox" ADD COLUMN "stream" TEXT NOT NULL DEFAULT '';
UPDATE "federation_outbox" o SET "sourceRealmId" = m."realmId" FROM "messages" m WHERE m.id = o."messageId";
UPDATE "federation_outbox" o SET "sourceRealmId" = w."realmId", "stream" = w.id FROM "workspaces" w WHERE w.id = o."workspaceId";
CREATE INDEX "federation_outbox_pending_idx" ON "federation_outbox"("sourceRealmId", "targetRealmId", "id")
  WHERE "deliveredAt" IS NULL AND "failedAt" IS NULL;

-- One row per (sending realm, target realm): the connection's backoff, and the lease that makes
-- one daemon instance at a time deliver to that target (in the database, across instances).
CREATE TABLE "federation_targets" (
  "sourceRealmId" TEXT NOT NULL,
  "targetRealmId" TEXT NOT NULL,
  "nextAttemptAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
  "failures" INTEGER NOT NULL DEFAULT 0,
  "lastError" TEXT,
  "lastFailureAt" TIMESTAMP(3),
  "leaseOwner" TEXT,
  "leaseUntil" TIMESTAMP(3),
  CONSTRAINT "federation_targets_pkey" PRIMARY KEY ("sourceRealmId", "targetRealmId")
);

-- The CLI's migration runner splits scripts at every semicolon, so the function body is an E''
-- string with each statement terminator written as \073 (the octal escape of a semicolon).
CREATE FUNCTION federation_outbox_fill() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  IF NEW."sourceRealmId" = \'\' THEN
    IF NEW."messageId" IS NOT NULL THEN
      SELECT "realmId" INTO NEW."sourceRealmId" FROM "messages" WHERE id = NEW."messageId"\073
    ELSIF NEW."workspaceId" IS NOT NULL THEN
      SELECT "realmId" INTO NEW."sourceRealmId" FROM "workspaces" WHERE id = NEW."workspaceId"\073
    END IF\073
    NEW."sourceRealmId" := COALESCE(NEW."sourceRealmId", \'\')\073
  END IF\073
  IF NEW."stream" = \'\' AND NEW."workspaceId" IS NOT NULL THEN
    NEW."stream" := NEW."workspaceId"\073
  END IF\073
  INSERT INTO "federation_targets" ("sourceRealmId", "targetRealmId") VALUES (NEW."sourceRealmId", NEW."targetRealmId")
    ON CONFLICT DO NOTHING\073
  RETURN NEW\073
END';
CREATE TRIGGER "federation_outbox_fill" BEFORE INSERT ON "federation_outbox"
  FOR EACH ROW EXECUTE FUNCTION federation_outbox_fill();

INSERT INTO "federation_targets" ("sourceRealmId", "targetRealmId")
  SELECT DISTINCT "sourceRealmId", "targetRealmId" FROM "federation_outbox" WHERE "deliveredAt" IS NULL AND "failedAt" IS NULL
  ON CONFLICT DO NOTHING;

-- workspacemembers shows where each remote member's invitation stands (its latest ws-invite row).
CREATE INDEX "federation_outbox_invite_idx" ON "federation_outbox"("workspaceId", "memberId", "id") WHERE kind = 'ws-invite';
