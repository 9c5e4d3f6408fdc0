-- Console sessions of an operator end when their password changes: the session carries the epoch
-- it was signed in with, and every console request compares it with this column.
ALTER TABLE "operators" ADD COLUMN "sessionEpoch" INTEGER NOT NULL DEFAULT 0;
