// Configuration from the environment (and an optional .env), validated with zod at start-up.
// A wrong value stops the process with a message naming the variable and the rule.
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v));
const host = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/, "must be a host name or address");

export const baseEnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .url()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .optional(),
  OPENGROOVE_DATA_DIR: z.string().min(1).default("./.opengroove"),
  OPENGROOVE_PUBLIC_HOST: host.default("localhost"),
  OPENGROOVE_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** The passphrase that encrypts backups (a backup holds the realms' private keys). */
const backupKey = z.string().min(12, "must be at least 12 characters (it encrypts backups, which hold private keys)");

export const launcherEnvSchema = baseEnvSchema
  .extend({
    OPENGROOVE_PG_PORT: port.default(0),
    OPENGROOVE_WEB_HOST: host.default("127.0.0.1"),
    OPENGROOVE_WEB_PORT: port.default(3000),
    OPENGROOVE_ADMIN_USERNAME: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only")
      .default("admin"),
    OPENGROOVE_ADMIN_PASSWORD: z.string().min(12, "must be at least 12 characters").max(256).optional(),
    OPENGROOVE_SKIP_BUILD: bool.default(false),
    OPENGROOVE_COMPONENTS: z
      .string()
      .regex(
        /^(postgres|management|realm|web)(,(postgres|management|realm|web))*$/,
        "comma-separated list of postgres, management, realm, web",
      )
      .default("postgres,management,realm,web"),
    /** Scheduled backups (docs/operations.md): off unless an interval is set. */
    OPENGROOVE_BACKUP_INTERVAL_MINUTES: z.coerce.number().positive().max(525_600).optional(),
    OPENGROOVE_BACKUP_DIR: z.string().min(1).optional(),
    OPENGROOVE_BACKUP_KEEP: z.coerce.number().int().min(1).max(10_000).default(7),
    OPENGROOVE_BACKUP_KEY: backupKey.optional(),
  })
  .superRefine((env, ctx) => {
    if (env.OPENGROOVE_BACKUP_INTERVAL_MINUTES !== undefined && !env.OPENGROOVE_BACKUP_KEY)
      ctx.addIssue({
        code: "custom",
        path: ["OPENGROOVE_BACKUP_KEY"],
        message: "required when OPENGROOVE_BACKUP_INTERVAL_MINUTES is set (backups are encrypted with it)",
      });
  });

export type LauncherEnv = z.infer<typeof launcherEnvSchema>;

/** `npm run backup` / `npm run restore`. */
export const backupEnvSchema = baseEnvSchema.extend({ OPENGROOVE_BACKUP_KEY: backupKey });

export class ConfigError extends Error {}

/** Parses env with a schema; on failure throws ConfigError listing each variable and rule. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const r = schema.safeParse(env);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const name = i.path.join(".") || "(environment)";
    const shown =
      typeof env[name] === "string" && !/PASSWORD|SECRET|TOKEN|KEY|DATABASE_URL/.test(name)
        ? ` (got ${JSON.stringify(env[name])})`
        : "";
    return `  ${name}: ${i.message}${shown}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}
