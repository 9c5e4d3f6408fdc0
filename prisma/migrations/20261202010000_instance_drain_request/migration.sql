-- An operator asked this instance to drain (console, Instances page): the instance reads it with
-- its heartbeat, drains as on SIGTERM and exits 0 (docs/scaling.md).
ALTER TABLE "daemon_instances" ADD COLUMN "drainRequestedAt" TIMESTAMP(3);
ALTER TABLE "daemon_instances" ADD COLUMN "drainRequestedBy" TEXT;
