-- sendimessage answers OK only once the instance holding the recipient has taken the message
-- (issue #18: no immediate message accepted and then dropped by a dead instance).
ALTER TABLE "immediate_messages" ADD COLUMN "deliveredAt" TIMESTAMP(3);
