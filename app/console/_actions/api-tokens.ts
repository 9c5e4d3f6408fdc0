"use server";
// Server actions for API tokens: each operator's own (administrators may revoke any).
import { createApiToken, revokeApiToken } from "../../../lib/console/api-tokens.ts";
import type { ActionResult } from "../../../lib/console/command.ts";
import { runCommand } from "../_lib/run-command.ts";

export async function createApiTokenAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(createApiToken, form);
}

export async function revokeApiTokenAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(revokeApiToken, form);
}
