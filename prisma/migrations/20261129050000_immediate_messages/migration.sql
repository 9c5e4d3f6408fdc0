-- Immediate messages ride in a row, not in the NOTIFY payload (limited to 8,000 bytes): the
-- sender stores the body and notifies its id, the instance holding the recipient reads the row.
-- Rows live about a minute (a periodic prune), long enough for every instance to read them.
CREATE TABLE "immediate_messages" (
    "id" BIGSERIAL NOT NULL,
    "userId" TEXT NOT NULL,
    "computer" TEXT NOT NULL,
    "fromUserId" TEXT NOT NULL,
    "fromComputer" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "immediate_messages_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "immediate_messages_createdAt_idx" ON "immediate_messages"("createdAt");
