// Structured logs: JSON lines (pino), human-readable when stdout is a terminal.
// Secrets never go into logs: the redact list covers every field that could carry one.
import pino, { type Logger } from "pino";

const REDACT = [
  "password",
  "*.password",
  "passwordHash",
  "*.passwordHash",
  "secret",
  "*.secret",
  "token",
  "*.token",
  "privateKeyPem",
  "*.privateKeyPem",
];

export function createLogger(name: string, level = process.env.OPENGROOVE_LOG_LEVEL ?? "info"): Logger {
  const pretty = process.stdout.isTTY && process.env.OPENGROOVE_LOG_FORMAT !== "json";
  return pino({
    name,
    level,
    redact: { paths: REDACT, censor: "[redacted]" },
    ...(pretty
      ? {
          transport: {
            target: "pino-pretty",
            options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" },
          },
        }
      : {}),
  });
}

export type { Logger };
