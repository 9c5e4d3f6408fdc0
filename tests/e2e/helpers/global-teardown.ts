import pg from "pg";
import { adminUrl } from "../../helpers/db.ts";
import { e2eDbName } from "./e2e-db.ts";

export default async function globalTeardown(): Promise<void> {
  const c = new pg.Client(adminUrl());
  await c.connect();
  try {
    await c.query(`DROP DATABASE IF EXISTS ${e2eDbName()} WITH (FORCE)`);
  } finally {
    await c.end();
  }
}
