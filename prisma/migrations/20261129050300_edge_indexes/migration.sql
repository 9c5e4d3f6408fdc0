-- workspacebegin counts a user's open changes by "authorUserId", the retention sweep of every
-- instance reads messages in "expiresAt" order every minute, and the pruning job deletes
-- rate-limit buckets by "windowStart": each gets its index.
CREATE INDEX "workspace_changes_authorUserId_idx" ON "workspace_changes"("authorUserId");
CREATE INDEX "messages_expiresAt_idx" ON "messages"("expiresAt");
CREATE INDEX "rate_limit_buckets_windowStart_idx" ON "rate_limit_buckets"("windowStart");
