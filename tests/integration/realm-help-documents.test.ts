// Help documents: written through the console commands (zod, permission, audit) and read by
// clients over real TLS with listhelpdocuments, gethelpdocument, gethelpdocumenthash; and the
// original's `help` command.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { executeCommand, type CommandContext } from "../../lib/console/command.ts";
import { deleteHelpDocument, saveHelpDocument } from "../../lib/console/help-documents.ts";
import type { Actor } from "../../lib/domain/permissions.ts";

let h: RealmHarness;
let admin: Actor;
before(async () => {
  h = await startRealmHarness();
  const op = await h.db.prisma.operator.findUniqueOrThrow({ where: { username: "admin" } });
  admin = { kind: "operator", id: op.id, username: op.username, role: "ADMIN", realmIds: new Set() };
});
after(async () => h.stop());

const ctx = (actor: Actor = admin): CommandContext => ({ prisma: h.db.prisma, actor, ip: "203.0.113.7" });

test("operators write help documents in the console; clients list and read them", async () => {
  const u = await h.user(h.plainRealm, "helpreader");
  assert.deepEqual(await u.client.help.list(), []);
  const body = '<h1>Welcome</h1><p>See <a href="help:///faq/sending">sending</a> — «ünïcode».</p>';
  const saved = await executeCommand(saveHelpDocument, ctx(), {
    realmId: h.plainRealm,
    path: "/getting-started",
    body,
  });
  assert.equal(saved.ok, true, JSON.stringify(saved));
  await executeCommand(saveHelpDocument, ctx(), { realmId: h.plainRealm, path: "/faq/sending", body: "<p>v1</p>" });
  // Saving an existing path replaces it.
  const replaced = await executeCommand(saveHelpDocument, ctx(), {
    realmId: h.plainRealm,
    path: "/faq/sending",
    body: "<p>v2</p>",
  });
  assert.equal(replaced.ok && replaced.message, "Help document /faq/sending saved.");
  assert.deepEqual(await u.client.help.list(), ["/faq/sending", "/getting-started"]);
  assert.equal(await u.client.help.get("/getting-started"), body);
  assert.equal(await u.client.help.get("/faq/sending"), "<p>v2</p>");
  assert.equal(
    await u.client.help.hash("/getting-started"),
    crypto.createHash("sha256").update(body, "utf8").digest("hex"),
  );
  assert.equal(await u.client.help.get("/nothing-here"), null);
  // Another realm has its own documents.
  const other = await h.user(h.openRealm, "helpother");
  assert.deepEqual(await other.client.help.list(), []);
  // Audit rows.
  const audit = await h.db.prisma.auditLog.findMany({
    where: { realmId: h.plainRealm, action: { startsWith: "help." } },
    orderBy: { id: "asc" },
  });
  assert.deepEqual(
    audit.map((a) => [a.action, a.targetId]),
    [
      ["help.create", "/getting-started"],
      ["help.create", "/faq/sending"],
      ["help.update", "/faq/sending"],
    ],
  );
  // Delete.
  const del = await executeCommand(deleteHelpDocument, ctx(), { realmId: h.plainRealm, path: "/faq/sending" });
  assert.equal(del.ok, true);
  assert.deepEqual(await u.client.help.list(), ["/getting-started"]);
  const again = await executeCommand(deleteHelpDocument, ctx(), { realmId: h.plainRealm, path: "/faq/sending" });
  assert.equal(!again.ok && again.status, 404);
});

test("bad paths and bodies are refused: field errors in the console, BADARGUMENTS on the wire", async () => {
  for (const path of ["no-slash", "/a/../b", "/a b", "/", "/x//y", `/${"a".repeat(300)}`]) {
    const r = await executeCommand(saveHelpDocument, ctx(), { realmId: h.plainRealm, path, body: "<p>x</p>" });
    assert.equal(r.ok, false, path);
    if (!r.ok) assert.ok(r.fieldErrors?.path?.length, `${path}: ${JSON.stringify(r)}`);
  }
  const empty = await executeCommand(saveHelpDocument, ctx(), { realmId: h.plainRealm, path: "/ok", body: "" });
  assert.ok(!empty.ok && empty.fieldErrors?.body?.length);
  const huge = await executeCommand(saveHelpDocument, ctx(), {
    realmId: h.plainRealm,
    path: "/ok",
    body: "x".repeat(256 * 1024 + 1),
  });
  assert.ok(!huge.ok && huge.fieldErrors?.body?.length);
  const u = await h.user(h.plainRealm, "helpbad");
  for (const args of [["no-slash"], ["/a/../b"], [], ["/a", "/b"]]) {
    const r = await u.client.request("gethelpdocument", args);
    assert.equal(r.status, "BADARGUMENTS", JSON.stringify(args));
  }
  // Anonymous connections may not read help documents (the original: logged in), but may ask `help`.
  const anon = await h.connect(h.plainRealm);
  assert.equal((await anon.request("listhelpdocuments")).status, "NOTALLOWED");
  const help = await anon.call("help");
  assert.ok(help.lines.includes("createsubscription") && help.lines.includes("gethelpdocument"));
});

test("a realm operator edits only the help of their own realms (404 otherwise)", async () => {
  const op = await h.db.prisma.operator.create({
    data: { username: "helpop", passwordHash: "x", role: "REALM_OPERATOR" },
  });
  const actor: Actor = {
    kind: "operator",
    id: op.id,
    username: op.username,
    role: "REALM_OPERATOR",
    realmIds: new Set([h.openRealm]),
  };
  const denied = await executeCommand(saveHelpDocument, ctx(actor), {
    realmId: h.plainRealm,
    path: "/x",
    body: "<p>x</p>",
  });
  assert.equal(!denied.ok && denied.status, 404);
  const allowed = await executeCommand(saveHelpDocument, ctx(actor), {
    realmId: h.openRealm,
    path: "/x",
    body: "<p>x</p>",
  });
  assert.equal(allowed.ok, true);
});
