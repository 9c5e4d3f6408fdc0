// The browser mailbox encrypts and decrypts in the page (issue #16, docs/clients.md §6), against
// a real realm daemon on the e2e database reached through the OG_E2E_REALM_WS_PORT forward (as
// in account.spec.ts): the page makes and keeps its own computer keys (wrapped by a
// non-extractable key in IndexedDB) and publishes the public half; a message from the page is
// sealed to the SDK user's computer, who opens it; the SDK user's sealed reply is opened in the
// page; the database holds no plaintext of either; a contact's new key and a message signed by
// an unknown key are shown as warnings; a recipient computer without a key is refused until the
// user ticks "send without end-to-end encryption".
import crypto from "node:crypto";
import { expect, test, type BrowserContext, type Page } from "@playwright/test";
import { registerAccount } from "../../lib/domain/registration.ts";
import type { RealmDaemon } from "../../realm-daemon/daemon.ts";
import type { RealmClient } from "../../client/sdk/index.ts";
import type { SecureMessaging } from "../../client/sdk/secure-messages.ts";
import { fingerprint, generateComputerKeys, type ComputerKeys } from "../../client/sdk/crypto/keys-core.ts";
import { publishedKeys } from "../../client/sdk/crypto/key-directory.ts";
import { sealMessage } from "../../client/sdk/crypto/sealed-message.ts";
import { decodeEnvelope, encodeEnvelope } from "../../lib/envelope.ts";
import { e2eDb } from "./helpers/e2e-db.ts";
import { shot } from "./helpers/console-page.ts";
import { accountSignIn, unlockMailbox } from "./helpers/account-page.ts";
import {
  connectTo,
  forwardRealmWebSocket,
  secureMessaging as secure,
  startE2eRealmDaemon,
} from "./helpers/realm-daemon.ts";

test.describe.configure({ mode: "serial" });

const REALM = { id: "seal.test:64561", host: "seal.test", port: 64561, slug: "seal", name: "Sealed Realm" };
const ME = { username: "inpage", password: "page keeps the keys 7", id: `${REALM.id}::inpage` };
const PAL = { username: "sdkpal", password: "sdk side passphrase 9", id: `${REALM.id}::sdkpal` };
const BARE = { username: "nokeys", password: "no keys published here", id: `${REALM.id}::nokeys` };

let daemon: RealmDaemon;
let forward: { close(): Promise<void> } | undefined;
let pal: RealmClient;
let palSm: SecureMessaging;
let palKeys: ComputerKeys;
/** One browser profile for the first two tests: its IndexedDB keeps the page's keys between them. */
let profile: BrowserContext;
let shared: Page;

const connect = () => connectTo(daemon, REALM);

/** Every stored byte of messages and settings, as one buffer to search for plaintext. */
async function everythingStored(): Promise<Buffer> {
  const db = e2eDb().pool;
  const blocks = await db.query<{ data: Buffer }>(`SELECT data FROM message_blocks`);
  const settings = await db.query<{ v: string }>(`SELECT value AS v FROM settings`);
  return Buffer.concat([...blocks.rows.map((r) => r.data), Buffer.from(settings.rows.map((r) => r.v).join("\n"))]);
}

test.beforeAll(async ({ baseURL, browser }) => {
  profile = await browser.newContext({ baseURL });
  shared = await profile.newPage();
  const db = e2eDb();
  await db.prisma.realm.create({
    data: { ...REALM, registrationMode: "OPEN", captchaProvider: "NONE", userCap: 100, defaultQuotaBytes: 1n << 24n },
  });
  for (const u of [ME, PAL, BARE])
    await registerAccount(db.pool, {
      realmId: REALM.id,
      username: u.username,
      password: u.password,
      captchaPassed: true,
    });
  const palUser = await db.prisma.user.findFirstOrThrow({ where: { realmId: REALM.id, username: PAL.username } });
  const bareUser = await db.prisma.user.findFirstOrThrow({ where: { realmId: REALM.id, username: BARE.username } });
  await db.prisma.computer.createMany({
    data: [
      { userId: palUser.id, name: "desk" },
      { userId: bareUser.id, name: "old-pc" },
    ],
  });
  daemon = await startE2eRealmDaemon("realm-e2e-seal", baseURL!);
  forward = await forwardRealmWebSocket(daemon);
  pal = await connect();
  await pal.authenticate(PAL.username, "desk", PAL.password);
  palKeys = generateComputerKeys();
  palSm = secure(pal, PAL.id, "desk", palKeys);
  await palSm.publishKeys();
});

test.afterAll(async () => {
  await profile?.close();
  pal?.close();
  await forward?.close();
  await daemon?.stop();
});

async function openMailbox(page: Page, signIn = true): Promise<void> {
  if (signIn) await accountSignIn(page, { realm: REALM.slug, ...ME });
  await unlockMailbox(page, ME.password);
  await expect(page.getByTestId("browser-computer")).toBeVisible();
}

async function compose(page: Page, to: string, subject: string, text: string): Promise<void> {
  await page.getByLabel("To", { exact: true }).fill(to);
  await page.getByLabel("Subject", { exact: true }).fill(subject);
  await page.getByLabel("Message", { exact: true }).fill(text);
  await page.getByRole("button", { name: "Send", exact: true }).click();
}

async function newIn(client: RealmClient, before: Set<string>): Promise<string> {
  await expect.poll(async () => (await client.inbox()).filter((id) => !before.has(id)).length).toBe(1);
  return (await client.inbox()).find((id) => !before.has(id))!;
}

test("the page makes its keys, sends sealed to the SDK user, opens the sealed reply; no plaintext stored", async () => {
  const page = shared;
  await openMailbox(page);
  await expect(page.getByTestId("browser-computer")).toContainText("your computer “web”");

  // The page published its public keys; the fingerprint shown is theirs.
  const web = await publishedKeys(pal, ME.id, "web");
  expect(web.keys).toBeDefined();
  const fp = fingerprint(web.keys!.x25519, web.keys!.ed25519);
  await expect(page.getByTestId("browser-computer")).toContainText(fp);

  // The private keys are in IndexedDB only wrapped, under a key no script can export.
  const stored = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open("opengroove-keys");
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const get = (store: string, key?: string) =>
      new Promise<unknown>((resolve, reject) => {
        const os = db.transaction(store).objectStore(store);
        const r = key === undefined ? os.getAll() : os.get(key);
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const wrap = (await get("wrap", "aes")) as CryptoKey;
    const records = (await get("computers")) as Array<{ computer: string; sealed: Uint8Array }>;
    const exported = await crypto.subtle.exportKey("raw", wrap).then(
      () => "exported",
      (e: Error) => e.name,
    );
    return {
      extractable: wrap.extractable,
      exported,
      computers: records.map((r) => r.computer),
      sealedText: new TextDecoder().decode(records[0].sealed),
    };
  });
  expect(stored.extractable).toBe(false);
  expect(stored.exported).toBe("InvalidAccessError");
  expect(stored.computers).toEqual(["web"]);
  expect(stored.sealedText).not.toContain("x25519");

  // Page -> SDK: sealed in the page to pal's computer; the SDK opens it.
  const secret = `typed in Chromium ${crypto.randomBytes(6).toString("hex")}`;
  const before = new Set(await pal.inbox());
  await compose(page, PAL.id, "Sealed in the page", secret);
  await expect(page.getByTestId("send-result")).toHaveText(`Sent to ${PAL.id}, end-to-end encrypted.`);
  const sentId = await newIn(pal, before);
  expect((await pal.read(sentId)).subarray(0, 4).toString()).toBe("OGE1");
  const opened = await palSm.read(sentId);
  expect([opened.encrypted, opened.trust, opened.senderComputer, opened.fingerprint]).toEqual([true, "new", "web", fp]);
  const env = decodeEnvelope(opened.body);
  expect([env.header.subject, env.body.toString("utf8")]).toEqual(["Sealed in the page", secret]);

  // SDK -> page: sealed to the page's computer; the inbox shows the decrypted subject, the page opens it.
  const reply = `answered by the SDK ${crypto.randomBytes(6).toString("hex")}`;
  await palSm.send(
    [ME.id],
    encodeEnvelope({ subject: "Sealed reply", contentType: "text/plain; charset=utf-8" }, Buffer.from(reply)),
  );
  const row = page.getByTestId("inbox-row").filter({ hasText: "Sealed reply" });
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: /^Open message/ }).click();
  await expect(page.getByTestId("message-text")).toHaveText(reply);
  // The page remembered pal's key when it sealed the first message to it: a known key now.
  await expect(page.getByTestId("message-protection")).toHaveText("End-to-end encrypted, from a known key.");
  await shot(page, "account-mailbox-e2ee");

  // Neither text is anywhere in what the realm stored.
  const all = await everythingStored();
  expect(all.indexOf(secret)).toBe(-1);
  expect(all.indexOf(reply)).toBe(-1);
  expect(all.indexOf("Sealed reply")).toBe(-1);
  expect(all.indexOf("Sealed in the page")).toBe(-1);

  // Reopened after a reload: the same computer and keys (kept in this browser), pal's key still known.
  await page.reload();
  await page.getByLabel("Password", { exact: true }).fill(ME.password);
  await page.getByRole("button", { name: "Open messages" }).click();
  await expect(page.getByTestId("browser-computer")).toContainText(fp);
  await page
    .getByTestId("inbox-row")
    .filter({ hasText: "Sealed reply" })
    .getByRole("button", { name: /^Open message/ })
    .click();
  await expect(page.getByTestId("message-protection")).toHaveText("End-to-end encrypted, from a known key.");
});

test("a contact's new key and a message signed by an unknown key are warnings; plaintext needs a tick", async () => {
  // The same browser profile: the page remembers pal's first key and is still the computer "web".
  const page = shared;
  await openMailbox(page, false);
  await expect(page.getByTestId("browser-computer")).toContainText("your computer “web”");
  // pal's computer gets new keys without the old ones signing them (a reinstall, or a realm lying).
  const replaced = generateComputerKeys();
  const palNew = secure(pal, PAL.id, "desk", replaced);
  await palNew.publishKeys();
  const before = new Set(await pal.inbox());
  await compose(page, PAL.id, "After the new key", "still sealed");
  await expect(page.getByTestId("send-result")).toContainText(
    `Warning: computer "desk" of ${PAL.id} has a new key (NOT signed by its previous key: verify it with the owner); new fingerprint ${fingerprint(replaced.x25519.publicKey, replaced.ed25519.publicKey)}.`,
  );
  const id = await newIn(pal, before);
  expect(decodeEnvelope((await palNew.read(id)).body).body.toString()).toBe("still sealed");
  palSm = palNew;

  // A message signed by keys that are neither remembered nor published for "desk".
  const rogue = generateComputerKeys();
  const web = await publishedKeys(pal, ME.id, "web");
  const mid = pal.newMessageId(PAL.id);
  const sealer = sealMessage({
    id: mid,
    from: PAL.id,
    computer: "desk",
    keys: rogue,
    recipients: [{ userId: ME.id, computer: "web", keys: web.keys! }],
  });
  const parts: Uint8Array[] = [];
  for await (const f of sealer.frames([
    encodeEnvelope({ subject: "Odd signer", contentType: "text/plain; charset=utf-8" }, Buffer.from("who signed me?")),
  ]))
    parts.push(f);
  await pal.post(mid, [`${ME.id} web`], Buffer.concat(parts));
  const odd = page.getByTestId("inbox-row").filter({ hasText: "Odd signer" });
  await expect(odd).toBeVisible();
  await odd.getByRole("button", { name: /^Open message/ }).click();
  await expect(page.getByTestId("message-protection")).toContainText(
    `signed by an UNKNOWN key ${fingerprint(rogue.x25519.publicKey, rogue.ed25519.publicKey)}`,
  );
  await expect(page.getByTestId("message-protection")).toHaveAttribute("role", "alert");
  await shot(page, "account-mailbox-unknown-key");

  // A plaintext message from the SDK is said to be readable by the realm.
  await pal.send(
    PAL.id,
    [ME.id],
    encodeEnvelope({ subject: "Plain one", contentType: "text/plain; charset=utf-8" }, Buffer.from("in clear")),
  );
  const plain = page.getByTestId("inbox-row").filter({ hasText: "Plain one" });
  await expect(plain).toBeVisible();
  await plain.getByRole("button", { name: /^Open message/ }).click();
  await expect(page.getByTestId("message-protection")).toHaveText("Not encrypted: the realm could read this message.");

  // A recipient whose computer publishes no key: refused, nothing stored, until the tick.
  const count = async () =>
    Number(
      (await e2eDb().pool.query(`SELECT count(*) AS n FROM messages WHERE "messageId" LIKE $1`, [`${ME.id}-%`])).rows[0]
        .n,
    );
  const sentBefore = await count();
  await compose(page, BARE.id, "To the keyless", "readable by the realm");
  await expect(page.getByTestId("send-result")).toContainText(
    `Not sent: it cannot be encrypted for ${BARE.id}. Computer "old-pc" of ${BARE.id} publishes no encryption key`,
  );
  expect(await count()).toBe(sentBefore);
  await page.getByLabel("Send it without end-to-end encryption (the realm can read it)").check();
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(page.getByTestId("send-result")).toHaveText(`Sent to ${BARE.id}, NOT encrypted.`);
  expect(await count()).toBe(sentBefore + 1);
});

test("a second browser does not take over the first one's keys: it becomes its own computer", async ({ page }) => {
  // A new browser context has empty storage: "web" already publishes the first browser's keys.
  await openMailbox(page);
  await expect(page.getByTestId("browser-computer")).toContainText(/your computer “web-[0-9a-f]{6}”/);
  const computers = await pal.listComputers(ME.id);
  expect(computers.sort()).toEqual(expect.arrayContaining(["web"]));
  const second = computers.find((c) => c.startsWith("web-"))!;
  const a = await publishedKeys(pal, ME.id, "web");
  const b = await publishedKeys(pal, ME.id, second);
  expect(a.keys && b.keys).toBeTruthy();
  expect(fingerprint(a.keys!.x25519, a.keys!.ed25519)).not.toBe(fingerprint(b.keys!.x25519, b.keys!.ed25519));
  // pal's message is sealed to both browsers' computers; this one opens it.
  await palSm.send(
    [ME.id],
    encodeEnvelope({ subject: "For both browsers", contentType: "text/plain; charset=utf-8" }, Buffer.from("both")),
  );
  const row = page.getByTestId("inbox-row").filter({ hasText: "For both browsers" });
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: /^Open message/ }).click();
  await expect(page.getByTestId("message-text")).toHaveText("both");
});
