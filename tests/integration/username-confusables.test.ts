// Look-alike usernames (Unicode TR39 confusable skeletons): registering over a real socket, a
// name that differs only by a character from another script is taken; existing keys are
// recomputed once by the upgrade, the older of two look-alikes keeping its key.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startRealmHarness, type RealmHarness } from "../helpers/realm.ts";
import { OpenGrooveError } from "../../client/sdk/index.ts";
import { caseFoldUsername, foldUsername } from "../../lib/domain/usernames.ts";
import { upgradeUsernameKeys } from "../../lib/domain/username-keys.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

const PASSWORD = "a long enough password";

test("a Cyrillic look-alike of a registered name is ALREADYEXISTS; other names still register", async () => {
  const c = await h.connect(h.plainRealm);
  const first = await c.register({ username: "alice", password: PASSWORD });
  assert.equal(first.status, "OK");
  // "аlice" with U+0430 CYRILLIC SMALL LETTER A; "ѕсоре"-style all-Cyrillic spellings; full width.
  for (const lookAlike of ["\u0430lice", "\u0430l\u0456\u0441\u0435", "ＡＬＩＣＥ"]) {
    await assert.rejects(
      c.register({ username: lookAlike, password: PASSWORD }),
      (e: OpenGrooveError) => e.status === "ALREADYEXISTS",
      lookAlike,
    );
  }
  assert.equal((await c.register({ username: "alicia", password: PASSWORD })).status, "OK");
  // The display form is kept as typed; the key is the skeleton.
  const r = await h.db.pool.query<{ usernameKey: string }>(
    `SELECT "usernameKey" FROM users WHERE "realmId" = $1 AND username = 'alice'`,
    [h.plainRealm],
  );
  assert.equal(r.rows[0].usernameKey, foldUsername("\u0430lice"));
});

test("the key upgrade recomputes legacy keys once; the older of two look-alikes keeps its key", async () => {
  const insert = async (username: string, createdAt: string) => {
    const r = await h.db.pool.query<{ id: string }>(
      `INSERT INTO users (id, "realmId", username, "usernameKey", "passwordHash", "createdAt")
       VALUES (gen_random_uuid(), $1, $2, $3, 'x', $4) RETURNING id`,
      [h.plainRealm, username, caseFoldUsername(username), createdAt],
    );
    return r.rows[0].id;
  };
  // Legacy keys (before skeletons): case-folded only, so these three coexisted.
  await insert("carol", "2020-01-01");
  const lateCarol = await insert("c\u0430rol", "2021-01-01");
  const dave = await insert("\u0501ave", "2020-06-01"); // U+0501 CYRILLIC SMALL LETTER KOMI DE
  await h.db.pool.query(`DELETE FROM data_upgrades`);
  const res = await upgradeUsernameKeys(h.db.pool);
  assert.equal(res.ran, true);
  assert.deepEqual(res.conflicts, [lateCarol]);
  assert.ok(res.updated >= 1);
  const key = await h.db.pool.query<{ usernameKey: string }>(`SELECT "usernameKey" FROM users WHERE id = $1`, [dave]);
  assert.equal(key.rows[0].usernameKey, "dave");
  assert.equal((await upgradeUsernameKeys(h.db.pool)).ran, false);
  // Now "dave" (Latin) is taken by the legacy Cyrillic account.
  const c = await h.connect(h.plainRealm);
  await assert.rejects(
    c.register({ username: "dave", password: PASSWORD }),
    (e: OpenGrooveError) => e.status === "ALREADYEXISTS",
  );
});
