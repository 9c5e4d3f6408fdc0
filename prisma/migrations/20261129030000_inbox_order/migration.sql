-- Inbox pages (listinboundmessages with a limit) walk a computer's entries in message order and
-- stop at the limit, whatever the backlog. The old (userId, computer) index had to sort them all.
DROP INDEX "message_recipients_userId_computer_idx";
CREATE INDEX "message_recipients_userId_computer_messageId_idx" ON "message_recipients"("userId", "computer", "messageId");
