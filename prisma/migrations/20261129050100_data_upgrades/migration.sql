-- Data upgrades that need application code (not SQL) and run once, at the first daemon start
-- after a release: e.g. username keys recomputed as confusable skeletons (username-key-v2).
CREATE TABLE "data_upgrades" (
    "name" TEXT NOT NULL,
    "doneAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "detail" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "data_upgrades_pkey" PRIMARY KEY ("name")
);
