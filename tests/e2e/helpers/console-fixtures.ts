// Console test data shared by the integration tests and the Playwright global setup: the two
// seeded realms (opengroove = "A" for realm operators, trivergia = "B"), a realm operator of A,
// users, an invite, a registered realm with a key, and a live daemon with a presence.
import type { PrismaClient } from "../../../lib/generated/prisma/client.ts";
import { hashPassword } from "../../../lib/auth/password.ts";
import { seed } from "../../../lib/domain/seed.ts";
import type { Actor } from "../../../lib/domain/permissions.ts";
import { foldUsername } from "../../../lib/domain/usernames.ts";

export const ADMIN = { username: "admin", password: "admin-password-for-tests" };
export const OPERATOR_A = { username: "operator-a", password: "operator-a-password-1" };
export const PUBLIC_HOST = "console.test";

export interface ConsoleFixture {
  realmA: { id: string; slug: string };
  realmB: { id: string; slug: string };
  adminId: string;
  operatorAId: string;
  userA: { id: string; username: string };
  userB: { id: string; username: string };
  inviteA: string;
  inviteB: string;
  knownRealmId: string;
  knownKeyId: string;
  tokenId: string;
}

export async function createConsoleFixture(prisma: PrismaClient): Promise<ConsoleFixture> {
  await seed(prisma, { publicHost: PUBLIC_HOST, adminUsername: ADMIN.username, adminPassword: ADMIN.password });
  const realmA = await prisma.realm.findUniqueOrThrow({
    where: { slug: "opengroove" },
    select: { id: true, slug: true },
  });
  const realmB = await prisma.realm.findUniqueOrThrow({
    where: { slug: "trivergia" },
    select: { id: true, slug: true },
  });
  const admin = await prisma.operator.findUniqueOrThrow({ where: { username: ADMIN.username } });
  const opA = await prisma.operator.create({
    data: {
      username: OPERATOR_A.username,
      passwordHash: await hashPassword(OPERATOR_A.password),
      role: "REALM_OPERATOR",
      realms: { create: [{ realmId: realmA.id }] },
    },
  });
  const mkUser = (realmId: string, username: string, bytes: bigint) =>
    prisma.user.create({
      data: {
        realmId,
        username,
        usernameKey: foldUsername(username),
        passwordHash: "x",
        bytesUsed: bytes,
        messageBytes: bytes / 2n,
        workspaceBytes: bytes / 4n,
        settingsBytes: bytes - bytes / 2n - bytes / 4n,
      },
    });
  const userA = await mkUser(realmA.id, "Alice", 3n * 1024n * 1024n);
  const userB = await mkUser(realmB.id, "Bob", 7n * 1024n * 1024n);
  await prisma.computer.createMany({
    data: [
      { userId: userA.id, name: "laptop" },
      { userId: userA.id, name: "desktop" },
    ],
  });
  await prisma.realm.update({ where: { id: realmA.id }, data: { userCount: 1 } });
  await prisma.realm.update({ where: { id: realmB.id }, data: { userCount: 1 } });
  const inviteA = await prisma.invite.create({ data: { realmId: realmA.id, codeHash: "fixture-a", usesAllowed: 3 } });
  const inviteB = await prisma.invite.create({
    data: { realmId: realmB.id, codeHash: "fixture-b", usesAllowed: 3, pending: 1, completed: 1 },
  });
  const known = await prisma.knownRealm.create({
    data: { realmId: "peer.example:63745", name: "Peer realm", address: "peer.example:63746" },
  });
  const key = await prisma.knownRealmKey.create({
    data: {
      realmId: known.realmId,
      publicKeyPem: "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----",
      fingerprint: "ab".repeat(32),
    },
  });
  const token = await prisma.enrollmentToken.create({
    data: { tokenHash: "fixture-token", expiresAt: new Date(Date.now() + 3_600_000), createdBy: "admin" },
  });
  await fixtureDaemonReportsIn(prisma, realmA.id, userA.id);
  return {
    realmA,
    realmB,
    adminId: admin.id,
    operatorAId: opA.id,
    userA: { id: userA.id, username: userA.username },
    userB: { id: userB.id, username: userB.username },
    inviteA: inviteA.id,
    inviteB: inviteB.id,
    knownRealmId: known.realmId,
    knownKeyId: key.id,
    tokenId: token.id,
  };
}

export function adminActor(f: ConsoleFixture): Actor {
  return { kind: "operator", id: f.adminId, username: ADMIN.username, role: "ADMIN", realmIds: new Set() };
}

export function operatorAActor(f: ConsoleFixture): Actor {
  return {
    kind: "operator",
    id: f.operatorAId,
    username: OPERATOR_A.username,
    role: "REALM_OPERATOR",
    realmIds: new Set([f.realmA.id]),
  };
}

/** Valid realm-settings form values (as strings, the way a browser posts them). */
export function realmSettingsForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    name: "Test realm",
    description: "For tests",
    contactEmail: "",
    contactUserId: "",
    registrationMode: "INVITE",
    captchaProvider: "NONE",
    hcaptchaSiteKey: "",
    hcaptchaSecret: "",
    userCap: "10",
    defaultQuota: "1",
    defaultQuotaUnit: "GB",
    maxComputersPerUser: "8",
    messageRetentionDays: "30",
    imessageRatePerMinute: "60",
    maxUnsentMessagesPerUser: "100",
    workspaceInactivityDays: "21",
    maxWorkspaceChange: "256",
    maxWorkspaceChangeUnit: "MB",
    ...overrides,
  };
}

/**
 * The fixture's "realm daemon" heartbeats now, with userA's laptop connected. Also after a real
 * realm daemon of another spec reaped the fixture's row as a dead instance (it is stale by design).
 */
export async function fixtureDaemonReportsIn(prisma: PrismaClient, realmId?: string, userId?: string): Promise<void> {
  realmId ??= (await prisma.realm.findUniqueOrThrow({ where: { slug: "opengroove" } })).id;
  userId ??= (await prisma.user.findFirstOrThrow({ where: { realmId, username: "Alice" } })).id;
  const now = new Date();
  await prisma.daemonInstance.upsert({
    where: { id: "realm-daemon-1" },
    create: { id: "realm-daemon-1", kind: "realm", host: "localhost", pid: 1, heartbeatAt: now },
    update: { heartbeatAt: now },
  });
  await prisma.presence.upsert({
    where: { connectionId: "c1" },
    create: { connectionId: "c1", instanceId: "realm-daemon-1", realmId, userId, computer: "laptop" },
    update: {},
  });
}
