// The console's data table: a scrolling frame, one header row of column headings (scope="col"),
// and the rows given as children. An actions column gets a heading only screen readers read.
import type { ComponentProps, ReactNode } from "react";
import { ActionButton } from "./action-button.tsx";

export function DataTable({
  columns,
  actions = false,
  className,
  frameClassName = "card overflow-x-auto p-0 sm:p-0",
  children,
}: {
  /** Column headings, in order; null leaves a column out (e.g. one only administrators see). */
  columns: (string | null)[];
  /** A last column of row actions. */
  actions?: boolean;
  /** Classes besides data-table, e.g. the minimum width (written out in full, for Tailwind). */
  className: string;
  frameClassName?: string;
  children: ReactNode;
}) {
  return (
    <div className={frameClassName}>
      <table className={`data-table ${className}`}>
        <thead>
          <tr>
            {columns.map((c) =>
              c === null ? null : (
                <th key={c} scope="col">
                  {c}
                </th>
              ),
            )}
            {actions ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A row's actions cell: its Revoke button while `active`, empty once revoked, used up or expired. */
export function RevokeCell({
  active,
  action,
  fields,
  confirm,
}: { active: boolean } & Pick<ComponentProps<typeof ActionButton>, "action" | "fields" | "confirm">) {
  return (
    <td>
      {active ? (
        <ActionButton action={action} fields={fields} label="Revoke" variant="danger" confirm={confirm} />
      ) : null}
    </td>
  );
}
