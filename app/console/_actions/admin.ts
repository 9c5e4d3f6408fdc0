"use server";
// Administrator-only server actions: operators and the federation registry.
import { createOperator, setOperatorPassword, updateOperator } from "../../../lib/console/operators.ts";
import {
  createEnrollmentToken,
  revokeEnrollmentToken,
  revokeKnownRealmKey,
  rotateRealmKey,
  setKnownRealmStatus,
} from "../../../lib/console/federation.ts";
import { decideKeyClaim, rotateManagementKey } from "../../../lib/console/federation-trust.ts";
import { drainInstance } from "../../../lib/console/instances.ts";
import type { ActionResult } from "../../../lib/console/command.ts";
import { runCommand } from "../_lib/run-command.ts";

export async function createOperatorAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(createOperator, form);
}

export async function updateOperatorAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(updateOperator, form);
}

export async function setOperatorPasswordAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(setOperatorPassword, form);
}

export async function setKnownRealmStatusAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(setKnownRealmStatus, form);
}

export async function revokeKnownRealmKeyAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(revokeKnownRealmKey, form);
}

export async function createEnrollmentTokenAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(createEnrollmentToken, form);
}

export async function revokeEnrollmentTokenAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(revokeEnrollmentToken, form);
}

export async function rotateRealmKeyAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(rotateRealmKey, form);
}

export async function rotateManagementKeyAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(rotateManagementKey, form);
}

export async function decideKeyClaimAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(decideKeyClaim, form);
}

export async function drainInstanceAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(drainInstance, form);
}
