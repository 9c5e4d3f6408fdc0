// Creates the browser tests' database from the migrated test template and seeds it with the
// console fixture (known admin and realm-operator passwords).
import pg from "pg";
import { connectDb } from "../../../lib/db/client.ts";
import { adminUrl, ensureTemplate, TEMPLATE_DB, urlFor } from "../../helpers/db.ts";
import { createConsoleFixture } from "./console-fixtures.ts";
import { e2eDbName } from "./e2e-db.ts";

export default async function globalSetup(): Promise<void> {
  await ensureTemplate();
  const c = new pg.Client(adminUrl());
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${e2eDbName()} TEMPLATE ${TEMPLATE_DB}`);
  } finally {
    await c.end();
  }
  const db = connectDb(urlFor(e2eDbName()), { max: 2 });
  try {
    await createConsoleFixture(db.prisma);
  } finally {
    await db.close();
  }
}
