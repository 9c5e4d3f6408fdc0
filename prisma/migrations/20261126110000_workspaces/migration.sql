-- AlterTable
ALTER TABLE "workspace_members" ADD COLUMN     "suspendedAt" TIMESTAMP(3),
ADD COLUMN     "userId" TEXT;

-- CreateIndex
CREATE INDEX "workspace_members_userId_idx" ON "workspace_members"("userId");
