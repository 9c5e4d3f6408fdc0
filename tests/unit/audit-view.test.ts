// The audit log as people read it: labels, units, realm names, no bookkeeping fields.
import { test } from "node:test";
import assert from "node:assert/strict";
import { actionLabel, describeChanges, relativeTime } from "../../lib/console/audit-view.ts";

const names = (id: string) => (id === "trivergia.example:63745" ? "Trivergia" : id);

test("changed fields get labels and units; updatedAt and counters are not changes", () => {
  const before = {
    defaultQuotaBytes: String(5 * 1024 ** 3),
    userCap: 10,
    captchaProvider: "NONE",
    updatedAt: "2026-11-28T10:00:00.000Z",
    userCount: 3,
  };
  const after = {
    defaultQuotaBytes: String(100 * 1024 ** 2),
    userCap: 10,
    captchaProvider: "ALTCHA",
    updatedAt: "2026-11-29T10:00:00.000Z",
    userCount: 4,
  };
  assert.deepEqual(
    describeChanges(before, after, names).map((c) => `${c.label}: ${c.before} → ${c.after}`),
    ["Default quota: 5 GiB → 100 MiB", "Captcha: none → ALTCHA"],
  );
});

test("realms by name, booleans as yes/no, secrets only as set", () => {
  const lines = describeChanges(
    { realmIds: [], disabled: false, hcaptchaSecret: null },
    { realmIds: ["trivergia.example:63745"], disabled: true, hcaptchaSecret: "[set]" },
    names,
  ).map((c) => `${c.label}: ${c.before} → ${c.after}`);
  assert.deepEqual(lines, ["Realms: none → Trivergia", "Disabled: no → yes", "hCaptcha secret: — → [set]"]);
});

test("actions and times read as sentences", () => {
  assert.equal(actionLabel("realm.update"), "Realm settings changed");
  assert.equal(actionLabel("something.new"), "something.new");
  const now = new Date("2026-11-29T12:00:00Z");
  assert.equal(relativeTime(new Date("2026-11-29T11:59:50Z"), now), "just now");
  assert.equal(relativeTime(new Date("2026-11-29T11:55:00Z"), now), "5 minutes ago");
  assert.equal(relativeTime(new Date("2026-11-29T09:00:00Z"), now), "3 hours ago");
  assert.equal(relativeTime(new Date("2026-11-27T12:00:00Z"), now), "2 days ago");
  assert.equal(relativeTime(new Date("2026-01-02T12:00:00Z"), now), "2026-01-02");
});
