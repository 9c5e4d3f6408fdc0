// Management daemon configuration and limits.
import { z } from "zod";
import { baseEnvSchema } from "../lib/config/env.ts";

export const MANAGEMENT_DEFAULTS = {
  maxPacketBytes: 65_536,
  greetingTimeoutMs: 10_000,
  idleTimeoutMs: 120_000,
  maxConnectionsPerIp: 32,
} as const;

const port = z.coerce.number().int().min(0).max(65535);

export const managementEnvSchema = baseEnvSchema.extend({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL"),
  OPENGROOVE_MANAGEMENT_BIND_HOST: z.string().min(1).default("0.0.0.0"),
  OPENGROOVE_MANAGEMENT_CLIENT_PORT: port.default(63746),
  OPENGROOVE_MANAGEMENT_REALM_PORT: port.default(63747),
});

export type ManagementEnv = z.infer<typeof managementEnvSchema>;
