"use client";
// Create / edit a realm. Caps and quotas may be set below current use: the server answers with
// warnings, shown next to the success message. The hCaptcha secret is write-only.
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useActionState, useEffect, useState } from "react";
import { createRealmAction, updateRealmAction } from "../_actions/realms.ts";
import { CheckboxField, errorsFor, SelectField, SizeField, TextField, valueFor, type FormState } from "./fields.tsx";
import { FormResult } from "./form-result.tsx";
import { SubmitButton } from "./submit-button.tsx";
import type { CaptchaProvider, RealmStatus, RegistrationMode } from "../../../lib/generated/prisma/enums.ts";

export interface RealmFormValues {
  realmId?: string;
  host?: string;
  port?: number;
  slug?: string;
  name: string;
  description: string;
  contactEmail: string;
  contactUserId: string;
  registrationMode: string;
  captchaProvider: string;
  hcaptchaSiteKey: string;
  hasHcaptchaSecret: boolean;
  userCap: number;
  userCount: number;
  defaultQuota: string;
  defaultQuotaUnit: string;
  maxComputersPerUser: number;
  messageRetentionDays: number;
  imessageRatePerMinute: number;
  maxUnsentMessagesPerUser: number;
  workspaceInactivityDays: number;
  maxWorkspaceChange: string;
  maxWorkspaceChangeUnit: string;
  /** Blank = legacy TLS profile off. */
  legacyTlsPort: string;
  status: string;
}

const MODES = [
  ["OPEN", "Open: anyone can sign up"],
  ["INVITE", "Invite: sign up with an invite link"],
  ["CLOSED", "Closed: no new accounts"],
] as const satisfies readonly (readonly [RegistrationMode, string])[];
const CAPTCHAS = [
  ["NONE", "None"],
  ["ALTCHA", "ALTCHA (self-hosted proof of work)"],
  ["HCAPTCHA", "hCaptcha"],
] as const satisfies readonly (readonly [CaptchaProvider, string])[];
const STATUSES = [
  ["ACTIVE", "Active"],
  ["DISABLED", "Disabled (refuses connections)"],
] as const satisfies readonly (readonly [RealmStatus, string])[];

export function RealmForm({
  mode,
  initial,
  canChangeStatus,
}: {
  mode: "create" | "edit";
  initial: RealmFormValues;
  canChangeStatus: boolean;
}) {
  const [state, action] = useActionState(mode === "create" ? createRealmAction : updateRealmAction, null);
  const router = useRouter();
  const created = mode === "create" && state?.ok ? (state.data as { slug?: string } | undefined)?.slug : undefined;
  useEffect(() => {
    if (created) router.push(`/console/realms/${created}`);
  }, [created, router]);
  const s: FormState = state;
  const v = (name: keyof RealmFormValues) => valueFor(s, name, initial[name] as string | number);
  const e = (name: string) => errorsFor(s, name);
  const userCap = Number(v("userCap"));
  // Only hCaptcha has keys; the fields stay in the form (hidden) so switching back keeps them.
  const [provider, setProvider] = useState(v("captchaProvider"));
  const submitted = v("captchaProvider");
  useEffect(() => setProvider(submitted), [state, submitted]);

  return (
    <form action={action} className="space-y-8" noValidate>
      {initial.realmId ? <input type="hidden" name="realmId" value={initial.realmId} /> : null}
      <FormResult state={state}>
        {created ? <Link href={`/console/realms/${created}`}>Open the new realm</Link> : null}
      </FormResult>

      <fieldset className="grid gap-4 sm:grid-cols-2">
        <legend className="section-title mb-3">Identity</legend>
        {mode === "create" ? (
          <>
            <TextField
              name="host"
              label="Host"
              required
              defaultValue={v("host")}
              errors={e("host")}
              hint="Public host name clients connect to, e.g. realm.example.com."
            />
            <TextField
              name="port"
              label="Port"
              type="number"
              min={1}
              max={65535}
              required
              defaultValue={v("port")}
              errors={e("port")}
              hint="The realm's id is host:port."
            />
            <TextField
              name="slug"
              label="Short name"
              required
              defaultValue={v("slug")}
              errors={e("slug")}
              hint="Lower case; used in the signup URL (/signup/short-name)."
            />
          </>
        ) : (
          <div className="sm:col-span-2 text-sm text-slate-700">
            Realm id <span className="font-mono">{initial.realmId}</span> · short name{" "}
            <span className="font-mono">{initial.slug}</span> (fixed after creation)
          </div>
        )}
        <TextField name="name" label="Name" required defaultValue={v("name")} errors={e("name")} />
        <TextField
          name="description"
          label="Description"
          defaultValue={v("description")}
          errors={e("description")}
          className="sm:col-span-2"
        />
        <TextField
          name="contactEmail"
          label="Contact email"
          type="email"
          defaultValue={v("contactEmail")}
          errors={e("contactEmail")}
        />
        <TextField
          name="contactUserId"
          label="Contact user"
          defaultValue={v("contactUserId")}
          errors={e("contactUserId")}
          hint="An OpenGroove user id people can message about this realm (optional)."
        />
        {canChangeStatus ? (
          <SelectField
            name="status"
            label="Status"
            options={STATUSES}
            defaultValue={v("status")}
            errors={e("status")}
          />
        ) : null}
      </fieldset>

      <fieldset className="grid gap-4 sm:grid-cols-2">
        <legend className="section-title mb-3">Registration</legend>
        <SelectField
          name="registrationMode"
          label="Registration mode"
          options={MODES}
          defaultValue={v("registrationMode")}
          errors={e("registrationMode")}
        />
        <SelectField
          name="captchaProvider"
          label="Captcha for open signup"
          options={CAPTCHAS}
          defaultValue={v("captchaProvider")}
          errors={e("captchaProvider")}
          onChange={setProvider}
          hint={
            provider === "ALTCHA"
              ? "ALTCHA runs on this server: nothing to configure."
              : provider === "NONE"
                ? "Open signup is then protected only by the per-address throttle."
                : undefined
          }
        />
        <div
          hidden={provider !== "HCAPTCHA"}
          className="grid gap-4 sm:col-span-2 sm:grid-cols-2"
          data-testid="hcaptcha-keys"
        >
          <TextField
            name="hcaptchaSiteKey"
            label="hCaptcha site key"
            defaultValue={v("hcaptchaSiteKey")}
            errors={e("hcaptchaSiteKey")}
          />
          <div>
            <TextField
              name="hcaptchaSecret"
              label="hCaptcha secret"
              type="password"
              autoComplete="off"
              errors={e("hcaptchaSecret")}
              placeholder={initial.hasHcaptchaSecret ? "Stored — leave blank to keep" : "Not set"}
              hint="Write-only: a stored secret is never shown."
            />
            {initial.hasHcaptchaSecret ? (
              <div className="mt-2">
                <CheckboxField name="clearHcaptchaSecret" label="Remove the stored secret" />
              </div>
            ) : null}
          </div>
        </div>
      </fieldset>

      <fieldset className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <legend className="section-title mb-3">Limits</legend>
        <TextField
          name="userCap"
          label="User cap"
          type="number"
          min={0}
          required
          defaultValue={v("userCap")}
          errors={e("userCap")}
          hint={
            mode === "edit" ? (
              <span className={userCap < initial.userCount ? "font-semibold text-red-800" : undefined}>
                {initial.userCount} account{initial.userCount === 1 ? "" : "s"} exist
                {initial.userCount === 1 ? "s" : ""}
                {userCap < initial.userCount ? " — the cap is below current use; new signups are refused" : ""}.
              </span>
            ) : undefined
          }
        />
        <SizeField
          name="defaultQuota"
          label="Default storage quota per user"
          value={v("defaultQuota")}
          unit={v("defaultQuotaUnit")}
          errors={e("defaultQuota")}
          hint="Users without an override. Lowering it deletes nothing."
        />
        <TextField
          name="maxComputersPerUser"
          label="Computers per user"
          type="number"
          min={1}
          required
          defaultValue={v("maxComputersPerUser")}
          errors={e("maxComputersPerUser")}
        />
        <TextField
          name="messageRetentionDays"
          label="Message retention (days)"
          type="number"
          min={1}
          required
          defaultValue={v("messageRetentionDays")}
          errors={e("messageRetentionDays")}
          hint="Undelivered messages expire after this."
        />
        <TextField
          name="imessageRatePerMinute"
          label="Immediate messages per minute"
          type="number"
          min={0}
          required
          defaultValue={v("imessageRatePerMinute")}
          errors={e("imessageRatePerMinute")}
          hint="Per user; 0 disables immediate messages."
        />
        <TextField
          name="maxUnsentMessagesPerUser"
          label="Unsent messages per user"
          type="number"
          min={1}
          max={100000}
          required
          defaultValue={v("maxUnsentMessagesPerUser")}
          errors={e("maxUnsentMessagesPerUser")}
          hint="Messages a user may hold created but not yet sent; more are refused with QUOTAEXCEEDED."
        />
        <TextField
          name="workspaceInactivityDays"
          label="Workspace inactivity (days)"
          type="number"
          min={1}
          required
          defaultValue={v("workspaceInactivityDays")}
          errors={e("workspaceInactivityDays")}
          hint="Members away longer must resynchronise."
        />
        <SizeField
          name="maxWorkspaceChange"
          label="Largest workspace change"
          value={v("maxWorkspaceChange")}
          unit={v("maxWorkspaceChangeUnit")}
          errors={e("maxWorkspaceChange")}
        />
      </fieldset>

      <fieldset className="grid gap-4 sm:grid-cols-2">
        <legend className="section-title mb-3">Original 2008 clients</legend>
        <TextField
          name="legacyTlsPort"
          label="Legacy TLS port"
          type="number"
          min={1}
          max={65535}
          defaultValue={v("legacyTlsPort")}
          errors={e("legacyTlsPort")}
          hint="Blank = off. Weak: for original 2008 clients only (RSA key exchange, TLS 1.2). Serves an RSA certificate with subject CN=<realm id> on this extra port."
        />
      </fieldset>

      <div className="flex items-center gap-3">
        <SubmitButton>{mode === "create" ? "Create realm" : "Save settings"}</SubmitButton>
        {mode === "create" ? (
          <Link href="/console/realms" className="btn-secondary">
            Cancel
          </Link>
        ) : null}
      </div>
    </form>
  );
}
