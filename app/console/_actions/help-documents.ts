"use server";
// Server actions for a realm's help documents (lib/console/help-documents.ts).
import { deleteHelpDocument, saveHelpDocument } from "../../../lib/console/help-documents.ts";
import type { ActionResult } from "../../../lib/console/command.ts";
import { runCommand } from "../_lib/run-command.ts";

export async function saveHelpDocumentAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(saveHelpDocument, form);
}

export async function deleteHelpDocumentAction(_prev: ActionResult | null, form: FormData) {
  return runCommand(deleteHelpDocument, form);
}
