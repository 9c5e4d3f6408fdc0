// The browser tests' database: named by playwright.config.ts (OG_E2E_DB), created by globalSetup.
import { connectDb, type DbHandle } from "../../../lib/db/client.ts";
import { urlFor } from "../../helpers/db.ts";

export function e2eDbName(): string {
  const name = process.env.OG_E2E_DB;
  if (!name) throw new Error("OG_E2E_DB is not set (playwright.config.ts sets it)");
  return name;
}

let handle: DbHandle | undefined;

/** A connection to the database the web server under test uses. */
export function e2eDb(): DbHandle {
  handle ??= connectDb(urlFor(e2eDbName()), { max: 4, applicationName: "opengroove-e2e" });
  return handle;
}
