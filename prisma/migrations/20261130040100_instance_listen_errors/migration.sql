-- Issue #13: a realm daemon reports the realm ports it could not bind (port in use) with its
-- heartbeat, so the console shows them. A JSON array of { port, realms, error }.
ALTER TABLE "daemon_instances" ADD COLUMN "listenErrors" JSONB NOT NULL DEFAULT '[]';
