// Every page of the web app, for the browser tests that visit them all (ux-mobile.spec.ts: no
// sideways scrolling at 390×844, wide tables as cards or scrolling in their box, and a
// screenshot of each page at 1280×800 and 390×844). `pattern` is the page's route as its folder
// spells it (route groups dropped); the spec fails when a page.tsx under app/ has no entry
// here, so a page added later is checked too: add its row (and, for a dynamic segment, how to
// fill it in from the e2e fixture).
import type { PrismaClient } from "../../../lib/generated/prisma/client.ts";

export type Audience = "public" | "operator" | "account";

export interface PageRoute {
  /** Screenshot base name: test-results/screenshots/pages/<name>-<desktop|phone>.png */
  name: string;
  pattern: string;
  audience: Audience;
  /** The URL to visit (dynamic segments filled from the e2e database). */
  url(db: PrismaClient): Promise<string> | string;
}

/** The realm the account pages are visited as (created by ux-mobile.spec.ts). */
export const MOBILE_REALM = {
  id: "mobile.test:64557",
  host: "mobile.test",
  port: 64557,
  slug: "mobile",
  name: "Mobile Realm",
};
export const MOBILE_USER = { username: "pocket", password: "small-screen-passphrase" };

const aliceId = async (db: PrismaClient) => (await db.user.findFirstOrThrow({ where: { username: "Alice" } })).id;

export const PAGE_ROUTES: PageRoute[] = [
  { name: "landing", pattern: "/", audience: "public", url: () => "/" },
  { name: "signup", pattern: "/signup/[realm]", audience: "public", url: () => `/signup/${MOBILE_REALM.slug}` },
  {
    name: "message-link",
    pattern: "/message/link",
    audience: "public",
    url: () => `/message/link?user=${encodeURIComponent(`${MOBILE_REALM.id}::${MOBILE_USER.username}`)}`,
  },
  { name: "console-sign-in", pattern: "/console/sign-in", audience: "public", url: () => "/console/sign-in" },
  { name: "account-sign-in", pattern: "/account/sign-in", audience: "public", url: () => "/account/sign-in" },
  // Without a valid token the page says the link expired or was used (its real use: api-console.spec.ts).
  {
    name: "account-set-password",
    pattern: "/account/set-password",
    audience: "public",
    url: () => "/account/set-password?token=not-a-real-link",
  },

  { name: "console-dashboard", pattern: "/console", audience: "operator", url: () => "/console" },
  { name: "console-realms", pattern: "/console/realms", audience: "operator", url: () => "/console/realms" },
  { name: "console-realm-new", pattern: "/console/realms/new", audience: "operator", url: () => "/console/realms/new" },
  {
    name: "console-realm-settings",
    pattern: "/console/realms/[slug]",
    audience: "operator",
    url: () => "/console/realms/opengroove",
  },
  {
    name: "console-users",
    pattern: "/console/realms/[slug]/users",
    audience: "operator",
    url: () => "/console/realms/opengroove/users",
  },
  {
    name: "console-user",
    pattern: "/console/realms/[slug]/users/[userId]",
    audience: "operator",
    url: async (db) => `/console/realms/opengroove/users/${await aliceId(db)}`,
  },
  {
    name: "console-invites",
    pattern: "/console/realms/[slug]/invites",
    audience: "operator",
    url: () => "/console/realms/opengroove/invites",
  },
  { name: "console-operators", pattern: "/console/operators", audience: "operator", url: () => "/console/operators" },
  {
    name: "console-operator",
    pattern: "/console/operators/[operatorId]",
    audience: "operator",
    url: async (db) =>
      `/console/operators/${(await db.operator.findUniqueOrThrow({ where: { username: "operator-a" } })).id}`,
  },
  {
    name: "console-federation",
    pattern: "/console/federation",
    audience: "operator",
    url: () => "/console/federation",
  },
  { name: "console-audit", pattern: "/console/audit", audience: "operator", url: () => "/console/audit" },
  { name: "console-instances", pattern: "/console/instances", audience: "operator", url: () => "/console/instances" },
  {
    name: "console-realm-help",
    pattern: "/console/realms/[slug]/help",
    audience: "operator",
    url: () => "/console/realms/opengroove/help",
  },
  {
    name: "console-realm-signups",
    pattern: "/console/realms/[slug]/signups",
    audience: "operator",
    url: () => "/console/realms/opengroove/signups",
  },
  {
    name: "console-api-tokens",
    pattern: "/console/api-tokens",
    audience: "operator",
    url: () => "/console/api-tokens",
  },

  { name: "account", pattern: "/account", audience: "account", url: () => "/account" },
  { name: "account-messages", pattern: "/account/messages", audience: "account", url: () => "/account/messages" },
  {
    name: "message-compose",
    pattern: "/message",
    audience: "account",
    url: () => `/message?to=${encodeURIComponent(`${MOBILE_REALM.id}::${MOBILE_USER.username}`)}`,
  },
];

/** The route of each app/**\/page.tsx file, as PAGE_ROUTES spells it: "(app)" groups dropped. */
export function routeOfPageFile(relative: string): string {
  const parts = relative.split(/[\\/]/).slice(0, -1); // drop "page.tsx"
  const segs = parts.filter((p) => !/^\(.*\)$/.test(p));
  return `/${segs.join("/")}`;
}
