// Every console write is a Command: zod parse -> permission check -> query -> uniform result.
// Server actions are thin wrappers around executeCommand, so the integration tests can run the
// exact same path (including the authorization matrix) without a browser.
import type pg from "pg";
import type { z } from "zod";
import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Actor } from "../domain/permissions.ts";
import { createLogger } from "../log.ts";

const log = createLogger("console");

export type FieldErrors = Record<string, string[]>;

export type ActionResult<T = unknown> =
  | { ok: true; status: 200; message: string; data?: T; warnings?: string[] }
  | {
      ok: false;
      status: 400 | 401 | 403 | 404 | 409 | 429 | 500;
      error: string;
      fieldErrors?: FieldErrors;
      values?: Record<string, string>;
    };

export interface CommandContext {
  prisma: PrismaClient;
  actor: Actor;
  /** Client address for the audit log, when known. */
  ip: string | null;
  /** The pg pool for commands that use plain SQL (defaults to the app's, lib/db/client.ts). */
  pool?: pg.Pool;
}

export interface CommandOutput<T> {
  message: string;
  data?: T;
  /** Shown next to the success message, e.g. a cap lowered below current use. */
  warnings?: string[];
}

export interface Command<S extends z.ZodType, T> {
  name: string;
  schema: S;
  /**
   * false answers 404: the target does not exist or belongs to a realm the actor cannot see.
   * Commands whose refusal reveals nothing (administrator-only ones) set deniedStatus 403.
   */
  deniedStatus?: 403;
  /** A read: no "console change" log line. */
  readOnly?: boolean;
  authorize(ctx: CommandContext, input: z.output<S>): Promise<boolean> | boolean;
  run(ctx: CommandContext, input: z.output<S>): Promise<CommandOutput<T>>;
}

export function defineCommand<S extends z.ZodType, T = undefined>(cmd: Command<S, T>): Command<S, T> {
  return cmd;
}

/** A failure with a user-facing message (and optional field errors) raised inside run(). */
export class ConsoleError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 429,
    message: string,
    readonly fieldErrors?: FieldErrors,
  ) {
    super(message);
  }
}

export const NOT_FOUND = "Not found.";
export const FORBIDDEN = "Your role does not allow this.";

/** Field values echoed back after a failed submission (never password or secret fields). */
function echoValues(raw: unknown): Record<string, string> | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (/password|secret|token|code/i.test(k)) continue;
    if (typeof v === "string") out[k] = v;
  }
  return out;
}

/** The summary shown above a form whose fields have errors. */
export const FIX_FIELDS = "Please correct the highlighted fields.";

/** A 400 result with field errors (and the values to show again), for any form's action. */
export function fieldProblems(fieldErrors: FieldErrors, values?: Record<string, string>): ActionResult<never> {
  return { ok: false, status: 400, error: FIX_FIELDS, fieldErrors, ...(values ? { values } : {}) };
}

export function zodFieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : "_form";
    (out[key] ??= []).push(issue.message);
  }
  return out;
}

export async function executeCommand<S extends z.ZodType, T>(
  cmd: Command<S, T>,
  ctx: CommandContext,
  raw: unknown,
): Promise<ActionResult<T>> {
  const parsed = cmd.schema.safeParse(raw);
  if (!parsed.success) return fieldProblems(zodFieldErrors(parsed.error), echoValues(raw));
  const input = parsed.data as z.output<S>;
  try {
    if (!(await cmd.authorize(ctx, input)))
      return cmd.deniedStatus === 403
        ? { ok: false, status: 403, error: FORBIDDEN }
        : { ok: false, status: 404, error: NOT_FOUND };
    const out = await cmd.run(ctx, input);
    if (!cmd.readOnly) log.info({ command: cmd.name, actor: ctx.actor.username }, "console change");
    return { ok: true, status: 200, message: out.message, data: out.data, warnings: out.warnings };
  } catch (e) {
    if (e instanceof ConsoleError)
      return { ok: false, status: e.status, error: e.message, fieldErrors: e.fieldErrors, values: echoValues(raw) };
    if (isUniqueViolation(e)) return { ok: false, status: 409, error: "That already exists.", values: echoValues(raw) };
    log.error({ command: cmd.name, err: e instanceof Error ? e.message : String(e) }, "console command failed");
    return { ok: false, status: 500, error: "Something went wrong; the change was not saved." };
  }
}

export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && "code" in e && (e as { code: unknown }).code === "P2002";
}
