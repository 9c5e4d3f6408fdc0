// `npm run db:seed`: the same idempotent seed the launcher runs on start.
import "dotenv/config";
import { connectDb } from "../lib/db/client.ts";
import { seed } from "../lib/domain/seed.ts";
import { launcherEnvSchema, parseEnv, ConfigError } from "../lib/config/env.ts";

try {
  const env = parseEnv(launcherEnvSchema);
  if (!env.DATABASE_URL) throw new ConfigError("DATABASE_URL: required for db:seed");
  const handle = connectDb(env.DATABASE_URL);
  const r = await seed(handle.prisma, {
    publicHost: env.OPENGROOVE_PUBLIC_HOST,
    adminUsername: env.OPENGROOVE_ADMIN_USERNAME,
    adminPassword: env.OPENGROOVE_ADMIN_PASSWORD,
    hcaptchaSiteKey: process.env.OPENGROOVE_HCAPTCHA_SITEKEY,
    hcaptchaSecret: process.env.OPENGROOVE_HCAPTCHA_SECRET,
  });
  console.log(
    `seed: realms created: ${r.createdRealms.join(", ") || "none"}; administrator ${r.adminCreated ? "created" : "exists"}`,
  );
  if (r.generatedAdminPassword) console.log(`seed: administrator password (shown once): ${r.generatedAdminPassword}`);
  await handle.close();
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
}
