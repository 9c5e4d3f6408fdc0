// `tsx management-daemon/create-enrollment-token.ts [--realm host:port] [--hours 24] [--by name]`:
// creates a one-time enrollment token (stored as sha256) and prints it once. Same rows as the
// console's "enrollment tokens" page creates.
import "dotenv/config";
import { parseArgs } from "node:util";
import { z } from "zod";
import { connectDb } from "../lib/db/client.ts";
import { hashCode, newCode } from "../lib/domain/registration.ts";
import { REALM_ID } from "./registry.ts";

const { values } = parseArgs({
  options: {
    realm: { type: "string", default: "" },
    hours: { type: "string", default: "24" },
    by: { type: "string", default: "cli" },
  },
});
const input = z
  .object({
    realm: z.string().refine((v) => v === "" || REALM_ID.test(v), "--realm: use host:port"),
    hours: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 30),
    by: z.string().min(1).max(64),
  })
  .safeParse(values);
if (!input.success) {
  console.error(input.error.issues.map((i) => i.message).join("\n"));
  process.exit(64);
}
const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set (the management server's database)");
  process.exit(78);
}
const db = connectDb(url, { max: 1, applicationName: "opengroove-enrollment-token" });
try {
  const token = newCode(24);
  await db.pool.query(
    `INSERT INTO enrollment_tokens (id, "tokenHash", "realmId", "expiresAt", "createdBy") VALUES (gen_random_uuid(), $1, $2, now() + $3 * interval '1 hour', $4)`,
    [hashCode(token), input.data.realm || null, input.data.hours, input.data.by],
  );
  console.log(token);
} finally {
  await db.close();
}
