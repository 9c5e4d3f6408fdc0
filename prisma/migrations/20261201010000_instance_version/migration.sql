-- The console's list of daemon instances (issue #18): which software version each runs and how
-- often it heartbeats (so a late heartbeat is shown as stale against the instance's own interval).
ALTER TABLE "daemon_instances" ADD COLUMN "version" TEXT;
ALTER TABLE "daemon_instances" ADD COLUMN "heartbeatMs" INTEGER;
