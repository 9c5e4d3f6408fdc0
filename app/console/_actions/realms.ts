"use server";
// Server actions for realm settings. Each is zod parse -> permission check -> query (in the
// Command) -> ActionResult; a realm the operator cannot see answers 404.
import { createRealm, updateRealm } from "../../../lib/console/realms.ts";
import type { ActionResult } from "../../../lib/console/command.ts";
import { runCommand } from "../_lib/run-command.ts";

export async function createRealmAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(createRealm, form);
}

export async function updateRealmAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(updateRealm, form);
}
