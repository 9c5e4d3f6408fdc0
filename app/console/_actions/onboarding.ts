"use server";
// Server actions for onboarding people on a realm: create a user with a one-time set-password
// link, a new link for an existing user, and the reset of an address's signup throttle.
import type { ActionResult } from "../../../lib/console/command.ts";
import { resetRealmSignupThrottle } from "../../../lib/console/signup-throttles.ts";
import { createUser, issuePasswordLink } from "../../../lib/console/user-create.ts";
import { runCommand } from "../_lib/run-command.ts";

export async function createUserAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(createUser, form);
}

export async function issuePasswordLinkAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(issuePasswordLink, form);
}

export async function resetSignupThrottleAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(resetRealmSignupThrottle, form);
}
