// Labelled form controls with hints and zod field errors (aria-invalid + aria-describedby), on
// the shared field frame (app/_components/field.tsx) that signup uses too.
// Plain components: usable from server pages and from client forms alike.
import type { ReactNode } from "react";
import type { ActionResult } from "../../../lib/console/command.ts";
import { Field, describedBy } from "../../_components/field.tsx";

export { FieldErrors } from "../../_components/field.tsx";

export type FormState = ActionResult | null;

export function errorsFor(state: FormState, name: string): string[] | undefined {
  return state && !state.ok ? state.fieldErrors?.[name] : undefined;
}

/** The value to show: what was just submitted (after a failed save), else the stored value. */
export function valueFor(state: FormState, name: string, fallback: string | number | null | undefined): string {
  if (state && !state.ok && state.values && name in state.values) return state.values[name];
  return fallback === null || fallback === undefined ? "" : String(fallback);
}

/**
 * With a form's `state` (its last result) a field shows that state's errors for its name, and the
 * value just submitted instead of `defaultValue` (fields without a defaultValue, e.g. passwords,
 * stay empty).
 */
function fromState<T extends string | number>(
  state: FormState | undefined,
  name: string,
  defaultValue: T | undefined,
  errors: string[] | undefined,
): { defaultValue: T | string | undefined; errors: string[] | undefined } {
  if (state === undefined) return { defaultValue, errors };
  return {
    defaultValue: defaultValue === undefined ? undefined : valueFor(state, name, defaultValue),
    errors: errors ?? errorsFor(state, name),
  };
}

interface TextFieldProps {
  name: string;
  label: string;
  defaultValue?: string | number;
  hint?: ReactNode;
  errors?: string[];
  state?: FormState;
  type?: "text" | "email" | "password" | "number" | "search";
  required?: boolean;
  autoComplete?: string;
  placeholder?: string;
  min?: number;
  max?: number;
  step?: string;
  className?: string;
  idPrefix?: string;
}

export function TextField({
  name,
  label,
  defaultValue,
  hint,
  errors,
  type = "text",
  className,
  idPrefix = "f",
  state,
  ...rest
}: TextFieldProps) {
  const id = `${idPrefix}-${name}`;
  const { defaultValue: shown, errors: errs } = fromState(state, name, defaultValue, errors);
  return (
    <Field id={id} label={label} hint={hint} errors={errs} className={className}>
      <input
        id={id}
        name={name}
        type={type}
        defaultValue={shown}
        aria-invalid={errs?.length ? true : undefined}
        aria-describedby={describedBy(id, hint, errs)}
        className="input"
        {...rest}
      />
    </Field>
  );
}

interface SelectFieldProps {
  name: string;
  label: string;
  options: readonly (readonly [string, string])[];
  defaultValue?: string;
  hint?: ReactNode;
  errors?: string[];
  className?: string;
  disabled?: boolean;
  idPrefix?: string;
  onChange?: (value: string) => void;
  state?: FormState;
}

export function SelectField({
  name,
  label,
  options,
  defaultValue,
  hint,
  errors,
  className,
  disabled,
  idPrefix = "f",
  onChange,
  state,
}: SelectFieldProps) {
  const id = `${idPrefix}-${name}`;
  const { defaultValue: shown, errors: errs } = fromState(state, name, defaultValue, errors);
  return (
    <Field id={id} label={label} hint={hint} errors={errs} className={className}>
      {/* Keyed by its default: React sets a select's default option only when it mounts, and
          the form reset after a server action returns to that option. */}
      <select
        key={shown}
        id={id}
        name={name}
        defaultValue={shown}
        disabled={disabled}
        onChange={onChange ? (ev) => onChange(ev.currentTarget.value) : undefined}
        aria-invalid={errs?.length ? true : undefined}
        aria-describedby={describedBy(id, hint, errs)}
        className="input"
      >
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function CheckboxField({
  name,
  label,
  defaultChecked,
  hint,
  idPrefix = "f",
}: {
  name: string;
  label: string;
  defaultChecked?: boolean;
  hint?: ReactNode;
  idPrefix?: string;
}) {
  const id = `${idPrefix}-${name}`;
  return (
    <div className="flex items-start gap-2">
      <input
        id={id}
        name={name}
        type="checkbox"
        defaultChecked={defaultChecked}
        aria-describedby={hint ? `${id}-hint` : undefined}
        className="mt-0.5 size-4 accent-brand-600"
      />
      <div>
        <label htmlFor={id} className="text-sm font-medium text-slate-800">
          {label}
        </label>
        {hint ? (
          <p id={`${id}-hint`} className="hint mt-0">
            {hint}
          </p>
        ) : null}
      </div>
    </div>
  );
}

/** A required password input (by default the current password, to sign in). */
export function PasswordField({
  state,
  name = "password",
  label = "Password",
  autoComplete = "current-password",
  required = true,
  hint,
  idPrefix,
}: {
  state: FormState;
  name?: string;
  label?: string;
  autoComplete?: "current-password" | "new-password";
  required?: boolean;
  hint?: ReactNode;
  idPrefix?: string;
}) {
  return (
    <TextField
      idPrefix={idPrefix}
      name={name}
      label={label}
      type="password"
      autoComplete={autoComplete}
      required={required}
      hint={hint}
      state={state}
    />
  );
}

/** A size typed as a number with a MiB/GiB unit next to it. */
export function SizeField({
  name,
  label,
  value,
  unit,
  hint,
  errors,
  required = true,
  idPrefix = "f",
}: {
  name: string;
  label: string;
  value: string;
  unit: string;
  hint?: ReactNode;
  errors?: string[];
  required?: boolean;
  idPrefix?: string;
}) {
  const id = `${idPrefix}-${name}`;
  return (
    <Field id={id} label={label} hint={hint} errors={errors}>
      <div className="flex gap-2">
        <input
          id={id}
          name={name}
          type="number"
          min="0"
          step="any"
          inputMode="decimal"
          required={required}
          defaultValue={value}
          aria-invalid={errors?.length ? true : undefined}
          aria-describedby={describedBy(id, hint, errors)}
          className="input"
        />
        <select
          key={unit}
          name={`${name}Unit`}
          defaultValue={unit}
          aria-label={`${label} unit`}
          className="input w-24 shrink-0"
        >
          <option value="MiB">MiB</option>
          <option value="GiB">GiB</option>
        </select>
      </div>
    </Field>
  );
}
