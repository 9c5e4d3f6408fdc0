-- Several instances behind one realm address (issue #18): what each instance advertises so a
-- draining instance can send its clients to a live peer (`switchserver`), and what the
-- console shows per instance (state, connections).
ALTER TABLE "daemon_instances" ADD COLUMN "addresses" JSONB NOT NULL DEFAULT '{}';
ALTER TABLE "daemon_instances" ADD COLUMN "httpAddress" TEXT;
ALTER TABLE "daemon_instances" ADD COLUMN "draining" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "daemon_instances" ADD COLUMN "connections" INTEGER NOT NULL DEFAULT 0;
