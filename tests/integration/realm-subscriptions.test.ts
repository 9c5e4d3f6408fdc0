// Subscriptions (createsubscription, listsubscriptions, deletesubscription, the subscriptionevent
// push) and visibility (setvisibility, getvisibility; getuserstatus and searchusers honour it),
// over real TLS sockets: events on status and setting changes, deletewithtarget, the quota under
// concurrency, revocation when the target hides, and delivery across two daemon instances.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { collect } from "../helpers/events.ts";
import { OpenGrooveError, RealmClient } from "../../client/sdk/index.ts";
import { RealmDaemon } from "../../realm-daemon/daemon.ts";
import { createLogger } from "../../lib/log.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

const status = (e: unknown) => (e as OpenGrooveError).status;

test("status and setting subscriptions: events, list, delete, and the original's five fields", async () => {
  const a = await h.user(h.plainRealm, "subalice");
  const b = await h.user(h.plainRealm, "subbob");
  const subs = a.client.subscriptions;
  await subs.create({ type: "userstatus", onUser: b.userId });
  await subs.create({ type: "computerstatus", onUser: "subbob", onComputer: "laptop" });
  await subs.create({ type: "usersetting", onUser: b.userId, onSetting: "public-motto" });
  await subs.create({ type: "computersetting", onUser: b.userId, onSetting: "public-avatar" });
  // The raw listing: five space-separated fields per line, blank fields leaving two spaces.
  const raw = await a.client.call("listsubscriptions");
  assert.deepEqual(raw.lines, [
    `userstatus ${b.userId}   false`,
    `computerstatus ${b.userId} laptop  false`,
    `usersetting ${b.userId}  public-motto false`,
    `computersetting ${b.userId}  public-avatar false`,
  ]);
  assert.equal((await subs.list()).length, 4);

  const ev = collect(a.client, "subscriptionevent");
  // bob's second computer comes online: userstatus only (not his laptop's computerstatus).
  await b.client.createComputer("phone");
  const phone = await h.connect(h.plainRealm);
  await phone.authenticate("subbob", "phone", b.password);
  assert.deepEqual(await ev.waitFor(1), [["userstatus", b.userId, "", "", "false"]]);
  // A public user setting, then a private one (no event), then a computer setting.
  await b.client.setUserSetting("public-motto", "carpe diem");
  await b.client.setUserSetting("secret", "no one hears this");
  await phone.setComputerSetting("public-avatar", "cat.png");
  await ev.waitFor(3);
  assert.deepEqual(ev.events.slice(1), [
    ["usersetting", b.userId, "", "public-motto", "false"],
    ["computersetting", b.userId, "", "public-avatar", "false"],
  ]);
  // The laptop goes offline: userstatus and computerstatus.
  b.client.close();
  await ev.waitFor(5);
  assert.deepEqual(ev.events.slice(3).sort(), [
    ["computerstatus", b.userId, "laptop", "", "false"],
    ["userstatus", b.userId, "", "", "false"],
  ]);
  assert.equal((await a.client.userStatus(b.userId)).online, true, "the phone is still online");

  // deletesubscription takes the same five fields; a second delete is NOSUCHSUBSCRIPTION.
  await subs.delete({ type: "usersetting", onUser: b.userId, onSetting: "public-motto" });
  await assert.rejects(
    subs.delete({ type: "usersetting", onUser: b.userId, onSetting: "public-motto" }),
    (e) => status(e) === "NOSUCHSUBSCRIPTION",
  );
  await phone.setUserSetting("public-motto", "changed again");
  assert.equal((await ev.settle()).length, 5, "no event after the subscription was deleted");
  assert.equal((await subs.list()).length, 3);
});

test("createsubscription refuses bad arguments, duplicates, unknown targets and others' private settings", async () => {
  const a = await h.user(h.plainRealm, "subbad");
  const b = await h.user(h.plainRealm, "subbadto");
  const bad = async (fields: string[], want: string) => {
    const r = await a.client.request("createsubscription", fields);
    assert.equal(r.status, want, `${JSON.stringify(fields)} → ${r.status} ${r.text}`);
    return r.text;
  };
  assert.match(await bad(["userstatus", b.userId, "", ""], "BADARGUMENTS"), /5 field/);
  assert.match(await bad(["presence", b.userId, "", "", "false"], "BADARGUMENTS"), /type must be one of/);
  assert.match(await bad(["userstatus", b.userId, "", "", "maybe"], "BADARGUMENTS"), /true or false/);
  assert.match(await bad(["userstatus", b.userId, "laptop", "", "false"], "BADARGUMENTS"), /oncomputer/);
  assert.match(await bad(["computerstatus", b.userId, "", "", "false"], "BADARGUMENTS"), /needs oncomputer/);
  assert.match(await bad(["usersetting", b.userId, "", "", "false"], "BADARGUMENTS"), /needs onsetting/);
  assert.match(await bad(["userstatus", b.userId, "", "x", "false"], "BADARGUMENTS"), /onsetting/);
  assert.match(await bad(["userstatus", b.userId, "", "\u0001", "false"], "BADARGUMENTS"), /onsetting/);
  await bad(["userstatus", "nosuchuser", "", "", "false"], "NOSUCHUSER");
  await bad(["userstatus", "other.realm:1::x", "", "", "false"], "NOSUCHUSER");
  await bad(["computerstatus", b.userId, "desktop", "", "false"], "NOSUCHCOMPUTER");
  await bad(["usersetting", b.userId, "", "private-note", "false"], "UNAUTHORIZED");
  // Own private settings may be subscribed to; a duplicate is ALREADYEXISTS.
  await a.client.subscriptions.create({ type: "usersetting", onUser: "", onSetting: "private-note" });
  await bad(["usersetting", a.userId, "", "private-note", "false"], "ALREADYEXISTS");
  // deletewithtarget is part of the identity, as in the original.
  await a.client.subscriptions.create({
    type: "usersetting",
    onUser: "",
    onSetting: "private-note",
    deleteWithTarget: true,
  });
  // Account-only sessions may not subscribe (the original required a computer).
  const acct = await h.connect(h.plainRealm);
  await acct.authenticate("subbad", "", a.password);
  assert.equal((await acct.request("listsubscriptions")).status, "NOTALLOWED");
  assert.equal((await a.client.request("listsubscriptions", ["extra"])).status, "OK");
});

test("deletewithtarget: a deleted setting or computer ends its subscriptions, telling the subscriber once", async () => {
  const a = await h.user(h.plainRealm, "dwtalice");
  const b = await h.user(h.plainRealm, "dwtbob");
  await b.client.setUserSetting("public-status", "here");
  await b.client.createComputer("tablet");
  const subs = a.client.subscriptions;
  await subs.create({ type: "usersetting", onUser: b.userId, onSetting: "public-status", deleteWithTarget: true });
  await subs.create({ type: "usersetting", onUser: b.userId, onSetting: "public-status", deleteWithTarget: false });
  await subs.create({ type: "computerstatus", onUser: b.userId, onComputer: "tablet", deleteWithTarget: true });
  const ev = collect(a.client, "subscriptionevent");
  await b.client.call("deleteusersetting", ["public-status"]);
  await ev.waitFor(2);
  assert.deepEqual(ev.events.map((e) => e[4]).sort(), ["false", "true"]);
  assert.deepEqual(
    (await subs.list()).map((s) => [s.type, s.deleteWithTarget]),
    [
      ["usersetting", false],
      ["computerstatus", true],
    ],
    "the deletewithtarget subscriptions on the setting ended; the other stays",
  );
  await subs.create({ type: "computerstatus", onUser: b.userId, onComputer: "tablet", deleteWithTarget: false });
  await b.client.deleteComputer("tablet");
  await ev.waitFor(3);
  assert.deepEqual(ev.events[2], ["computerstatus", b.userId, "tablet", "", "true"]);
  assert.deepEqual(
    (await subs.list()).map((s) => [s.type, s.onComputer, s.deleteWithTarget]),
    [
      ["usersetting", "", false],
      ["computerstatus", "tablet", false],
    ],
  );
});

test("the subscriptions quota holds under concurrent creates from several computers", async () => {
  const LIMIT = 5;
  const u = await h.user(h.plainRealm, "subquota");
  const target = await h.user(h.plainRealm, "subquotatarget");
  await h.db.pool.query(`UPDATE realms SET "maxSubscriptionsPerUser" = $2 WHERE id = $1`, [h.plainRealm, LIMIT]);
  try {
    const clients = [u.client];
    for (const name of ["pc2", "pc3"]) {
      await u.client.createComputer(name);
      const c = await h.connect(h.plainRealm);
      await c.authenticate("subquota", name, u.password);
      clients.push(c);
    }
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        clients[i % 3].request("createsubscription", ["usersetting", target.userId, "", `public-k${i}`, "false"]),
      ),
    );
    const ok = results.filter((r) => r.status === "OK").length;
    const over = results.filter((r) => r.status === "QUOTAEXCEEDED");
    assert.equal(ok, LIMIT, "exactly the limit was created");
    assert.equal(over.length, 24 - LIMIT);
    assert.match(over[0].text, /at most 5 subscriptions/);
    assert.equal((await u.client.subscriptions.list()).length, LIMIT);
    const q = Object.fromEntries((await u.client.call("getquotas")).lines.map((l) => l.split("=")));
    assert.equal(q.subscriptions, String(LIMIT));
    assert.equal(q.subscriptionsused, String(LIMIT));
    const left = Object.fromEntries((await u.client.call("getquotasremainer")).lines.map((l) => l.split("=")));
    assert.equal(left.subscriptions, "0");
    // Deleting one frees a place.
    const one = (await u.client.subscriptions.list())[0];
    await u.client.subscriptions.delete(one);
    await u.client.subscriptions.create({ type: "userstatus", onUser: target.userId });
  } finally {
    await h.db.pool.query(`UPDATE realms SET "maxSubscriptionsPerUser" = 1000 WHERE id = $1`, [h.plainRealm]);
  }
});

test("visibility: contacts and nobody hide status and search; losing the right revokes subscriptions", async () => {
  const bob = await h.user(h.plainRealm, "visbob");
  const carol = await h.user(h.plainRealm, "viscarol"); // shares a workspace with bob
  const dave = await h.user(h.plainRealm, "visdave"); // does not
  const ws = await bob.client.workspaces.create("team");
  await bob.client.workspaces.invite(ws, carol.userId);
  await carol.client.workspaces.accept(ws);

  assert.equal(await bob.client.subscriptions.visibility(), "everyone");
  assert.equal((await bob.client.call("getvisibility")).text, "true", "the original's answer");
  await carol.client.subscriptions.create({ type: "userstatus", onUser: bob.userId });
  await dave.client.subscriptions.create({ type: "userstatus", onUser: bob.userId });
  await dave.client.subscriptions.create({ type: "usersetting", onUser: bob.userId, onSetting: "public-x" });
  const carolEv = collect(carol.client, "subscriptionevent");
  const daveEv = collect(dave.client, "subscriptionevent");

  // contacts: dave loses his status subscription (told once), carol keeps hers.
  assert.equal(await bob.client.subscriptions.setVisibility("contacts"), 1);
  assert.deepEqual(await daveEv.waitFor(1), [["userstatus", bob.userId, "", "", "false"]]);
  assert.deepEqual(
    (await dave.client.subscriptions.list()).map((s) => s.type),
    ["usersetting"],
    "public settings stay readable, so that subscription stays",
  );
  await assert.rejects(dave.client.userStatus(bob.userId), (e) => status(e) === "UNAUTHORIZED");
  assert.deepEqual(await dave.client.searchUsers("visbob"), []);
  await assert.rejects(
    dave.client.subscriptions.create({ type: "userstatus", onUser: bob.userId }),
    (e) => status(e) === "UNAUTHORIZED",
  );
  assert.equal((await carol.client.userStatus(bob.userId)).online, true);
  assert.deepEqual(await carol.client.searchUsers("visbob"), [bob.userId]);
  assert.equal((await bob.client.call("getvisibility", ["level"])).text, "contacts");
  assert.equal((await bob.client.call("getvisibility")).text, "false");

  // bob's status changes reach carol but not dave.
  await bob.client.createComputer("desk");
  const desk = await h.connect(h.plainRealm);
  await desk.authenticate("visbob", "desk", bob.password);
  await carolEv.waitFor(1);
  assert.equal((await daveEv.settle()).length, 1, "dave hears nothing more");

  // nobody (the original's false): carol is revoked too; bob still sees himself.
  const r = await bob.client.call("setvisibility", ["false"]);
  assert.equal(r.text, "revoked=1");
  await carolEv.waitFor(2);
  assert.deepEqual(carolEv.events[1], ["userstatus", bob.userId, "", "", "false"]);
  assert.deepEqual(await carol.client.subscriptions.list(), []);
  await assert.rejects(carol.client.userStatus(bob.userId), (e) => status(e) === "UNAUTHORIZED");
  assert.deepEqual(await carol.client.searchUsers("visbob"), []);
  assert.deepEqual(await bob.client.searchUsers("visbob"), [bob.userId]);
  assert.equal((await bob.client.userStatus(bob.userId)).online, true);
  desk.close();
  assert.equal((await carolEv.settle()).length, 2, "no events after revocation");

  // Bad values are refused; everyone again restores access (but not the revoked subscriptions).
  const badVis = await bob.client.request("setvisibility", ["friends"]);
  assert.equal(badVis.status, "BADARGUMENTS");
  assert.equal((await bob.client.request("getvisibility", ["detail"])).status, "BADARGUMENTS");
  await bob.client.subscriptions.setVisibility("everyone");
  assert.equal((await dave.client.userStatus(bob.userId)).online, true);
});

test("subscription events cross daemon instances on one database (LISTEN/NOTIFY)", async () => {
  const second = new RealmDaemon(
    { ...h.daemon.config },
    createLogger("realm-test-2", process.env.OPENGROOVE_LOG_LEVEL ?? "warn"),
  );
  await second.start();
  try {
    const realm = second.realmById(h.plainRealm)!;
    const connect2 = () =>
      RealmClient.connect({
        host: HOST,
        port: second.listeners.actualPort(realm.port)!,
        realm: realm.slug,
        timeoutMs: 20_000,
      });
    const a = await h.user(h.plainRealm, "xalice"); // on instance 1
    const b = await h.user(h.plainRealm, "xbob");
    b.client.close();
    await a.client.subscriptions.create({ type: "computerstatus", onUser: b.userId, onComputer: "laptop" });
    await a.client.subscriptions.create({ type: "usersetting", onUser: b.userId, onSetting: "public-mood" });
    const ev = collect(a.client, "subscriptionevent");
    await ev.settle(300);
    ev.events.length = 0; // bob's own logout above may still arrive
    const b2 = await connect2(); // bob on instance 2
    try {
      await b2.authenticate("xbob", "laptop", b.password);
      await ev.waitFor(1);
      await b2.setUserSetting("public-mood", "fine");
      await ev.waitFor(2);
      assert.deepEqual(ev.events, [
        ["computerstatus", b.userId, "laptop", "", "false"],
        ["usersetting", b.userId, "", "public-mood", "false"],
      ]);
      b2.close();
      await ev.waitFor(3);
      assert.deepEqual(ev.events[2], ["computerstatus", b.userId, "laptop", "", "false"]);
      // And the other way: a subscriber on instance 2 hears of a change made on instance 1.
      const watcher = await h.user(h.plainRealm, "xwatch");
      watcher.client.close();
      const w2 = await connect2();
      await w2.authenticate("xwatch", "laptop", watcher.password);
      await w2.subscriptions.create({ type: "usersetting", onUser: a.userId, onSetting: "public-x" });
      const wev = collect(w2, "subscriptionevent");
      await a.client.setUserSetting("public-x", "1");
      assert.deepEqual(await wev.waitFor(1), [["usersetting", a.userId, "", "public-x", "false"]]);
      w2.close();
    } finally {
      b2.close();
    }
  } finally {
    await second.stop();
  }
});

test("deletecomputersetting: this computer's or another's, bytes released, clear errors", async () => {
  const u = await h.user(h.plainRealm, "delcs");
  await u.client.setComputerSetting("theme", "dark");
  await u.client.createComputer("other");
  const o = await h.connect(h.plainRealm);
  await o.authenticate("delcs", "other", u.password);
  await o.setComputerSetting("public-k", "v");
  const settings = async () =>
    Number(Object.fromEntries((await u.client.call("getquotas")).lines.map((l) => l.split("="))).settings);
  assert.ok((await settings()) > 0);
  await u.client.deleteComputerSetting("theme");
  await u.client.deleteComputerSetting("public-k", "other");
  assert.equal(await settings(), 0, "the bytes were released");
  assert.equal((await u.client.request("listusersettings", ["", "laptop"])).lines.filter(Boolean).length, 0);
  const r = await u.client.request("deletecomputersetting", ["theme"]);
  assert.equal(r.status, "NORESULTS");
  assert.equal((await u.client.request("deletecomputersetting", ["nosuch", "k"])).status, "NOSUCHCOMPUTER");
  assert.equal((await u.client.request("deletecomputersetting", [])).status, "BADARGUMENTS");
  assert.equal((await u.client.request("deletecomputersetting", ["a", "b", "c"])).status, "BADARGUMENTS");
  const acct = await h.connect(h.plainRealm);
  await acct.authenticate("delcs", "", u.password);
  assert.equal((await acct.request("deletecomputersetting", ["k"])).status, "BADARGUMENTS");
  await o.setComputerSetting("k", "v");
  assert.equal((await acct.request("deletecomputersetting", ["other", "k"])).status, "OK");
});
