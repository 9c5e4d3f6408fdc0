// ?next= after console sign-in: console paths only, never another site.
import { test } from "node:test";
import assert from "node:assert/strict";
import { safeNextPath, signInHref } from "../../lib/console/next-path.ts";

test("console paths are kept, with their query", () => {
  assert.equal(safeNextPath("/console/realms/opengroove/users?q=al"), "/console/realms/opengroove/users?q=al");
  assert.equal(safeNextPath("/console"), "/console");
  assert.equal(signInHref("/console/audit?realm=x"), "/console/sign-in?next=%2Fconsole%2Faudit%3Frealm%3Dx");
  assert.equal(signInHref("/console"), "/console/sign-in");
});

test("anything else goes to the dashboard", () => {
  for (const bad of [
    undefined,
    "",
    "https://evil.example/console",
    "//evil.example/console",
    "/console//evil.example",
    "/\\evil.example",
    "/console\\..\\..\\evil",
    "/consolex",
    "/console/../account",
    "/console/%2e%2e/account",
    "/console/sign-in?next=/console",
    "/console/\nx",
    "javascript:alert(1)",
    "/account",
  ])
    assert.equal(safeNextPath(bad), "/console", String(bad));
});
