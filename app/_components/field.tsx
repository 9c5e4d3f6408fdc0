// The one labelled-field frame of every form (console, signup, account): label, the control,
// a hint and field errors, tied together by ids (`<id>-hint`, `<id>-error`) that the control
// names in aria-describedby. Plain components: usable from server pages and client forms.
import type { ReactNode } from "react";

type Errors = string | readonly string[] | undefined;

function list(errors: Errors): readonly string[] {
  if (errors === undefined) return [];
  return typeof errors === "string" ? (errors ? [errors] : []) : errors;
}

/** aria-describedby for a field with an optional hint and errors. */
export function describedBy(id: string, hint: unknown, errors?: Errors): string | undefined {
  const ids = [hint ? `${id}-hint` : "", list(errors).length ? `${id}-error` : ""].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

/**
 * A field's errors: one as a paragraph, several as a list. `announce` makes it an alert, for
 * forms that show errors without a summary alert of their own (signup).
 */
export function FieldErrors({ id, errors, announce }: { id: string; errors?: Errors; announce?: boolean }) {
  const items = list(errors);
  if (!items.length) return null;
  const common = {
    id: `${id}-error`,
    className: "field-error",
    role: announce ? "alert" : undefined,
    "data-testid": `error-${id}`,
  };
  if (items.length === 1) return <p {...common}>{items[0]}</p>;
  return (
    <ul {...common}>
      {items.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  );
}

export function Field({
  id,
  label,
  hint,
  errors,
  announce,
  className,
  children,
}: {
  id: string;
  label: string;
  hint?: ReactNode;
  errors?: Errors;
  announce?: boolean;
  className?: string;
  children: ReactNode;
}) {
  return (
    <div className={className}>
      <label htmlFor={id} className="label">
        {label}
      </label>
      {children}
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
      <FieldErrors id={id} errors={errors} announce={announce} />
    </div>
  );
}
