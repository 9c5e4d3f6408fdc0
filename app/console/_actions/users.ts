"use server";
// Server actions on one realm user; the user's realm decides the permission (404 otherwise).
import { resetUserPassword, setUserStatus, updateUserLimits } from "../../../lib/console/users.ts";
import type { ActionResult } from "../../../lib/console/command.ts";
import { deleteUserAccount } from "../../../lib/console/user-data.ts";
import { runCommand } from "../_lib/run-command.ts";

export async function setUserStatusAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(setUserStatus, form);
}

export async function resetUserPasswordAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(resetUserPassword, form);
}

export async function updateUserLimitsAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(updateUserLimits, form);
}

export async function deleteUserAccountAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(deleteUserAccount, form);
}
