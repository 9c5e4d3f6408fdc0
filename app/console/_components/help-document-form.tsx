"use client";
// Create or replace one help document of a realm (path + HTML).
import { useActionState } from "react";
import { saveHelpDocumentAction } from "../_actions/help-documents.ts";
import { Field, describedBy } from "../../_components/field.tsx";
import { errorsFor, TextField, valueFor } from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";

export function HelpDocumentForm({ realmId, path, body }: { realmId: string; path?: string; body?: string }) {
  const [state, action] = useActionState(saveHelpDocumentAction, null);
  const bodyErrors = errorsFor(state, "body");
  const hint = "HTML. Link to another document with help:///its/path, to the web with https://…";
  return (
    // key: a different document opened for editing starts from its own text.
    <form key={path ?? "new"} action={action} className="space-y-4" noValidate>
      <input type="hidden" name="realmId" value={realmId} />
      <TextField
        name="path"
        label="Path"
        required
        placeholder="/getting-started"
        defaultValue={path ?? ""}
        state={state}
        hint="Starts with /; names of letters, digits, '.', '_' and '-'. Saving an existing path replaces it."
        idPrefix="help"
      />
      <Field id="help-body" label="Document" hint={hint} errors={bodyErrors}>
        <textarea
          id="help-body"
          name="body"
          rows={12}
          required
          defaultValue={valueFor(state, "body", body ?? "")}
          aria-invalid={bodyErrors?.length ? true : undefined}
          aria-describedby={describedBy("help-body", hint, bodyErrors)}
          className="input font-mono text-sm"
        />
      </Field>
      <SubmitButton pendingText="Saving…">Save document</SubmitButton>
      <FormResult state={state} />
    </form>
  );
}
