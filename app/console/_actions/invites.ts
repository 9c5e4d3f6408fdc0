"use server";
// Server actions for invites; the invite's realm decides the permission (404 otherwise).
import { createInvite, revokeInvite } from "../../../lib/console/invites.ts";
import type { ActionResult } from "../../../lib/console/command.ts";
import { runCommand } from "../_lib/run-command.ts";

export async function createInviteAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(createInvite, form);
}

export async function revokeInviteAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(revokeInvite, form);
}
