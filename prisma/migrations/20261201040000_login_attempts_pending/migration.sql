-- Login limits (#11): a bucket keeps its failures (count) apart from the attempts still being
-- checked (pending), so many right passwords arriving at once from one address (a NAT, a proxy,
-- every client reconnecting after a restart) wait for a slot instead of being locked out, and a
-- refused attempt is never counted as a failure. Other limits leave pending at 0.
ALTER TABLE "rate_limit_buckets" ADD COLUMN "pending" INTEGER NOT NULL DEFAULT 0;
