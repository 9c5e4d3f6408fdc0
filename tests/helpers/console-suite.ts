// The usual setup of a console test file: a fresh test database with the console fixture
// (tests/e2e/helpers/console-fixtures.ts: realms, operators, users) made before the first test,
// and the database dropped after the last.
import { after, before } from "node:test";
import { createConsoleFixture, type ConsoleFixture } from "../e2e/helpers/console-fixtures.ts";
import { createTestDb, type TestDb } from "./db.ts";

/** Registers the before/after hooks; `ready` hands the database and the fixture to the file's variables. */
export function consoleSuite(ready: (db: TestDb, f: ConsoleFixture) => void): void {
  let db: TestDb | undefined;
  before(async () => {
    db = await createTestDb();
    ready(db, await createConsoleFixture(db.prisma));
  });
  after(async () => db?.drop());
}
