// The user's computers, each with a "remove" button (confirmed first).
import { ActionButton } from "../../console/_components/action-button.tsx";
import { Badge, EmptyState } from "../../console/_components/ui.tsx";
import { removeComputerAction } from "../_actions.ts";

export interface ComputerRow {
  name: string;
  online: boolean;
  added: string;
  lastSeen: string;
}

export function ComputerList({ computers }: { computers: ComputerRow[] }) {
  if (!computers.length)
    return (
      <EmptyState title="No computers yet">
        <p>Sign in from the OpenGroove app, or open your messages here, to add one.</p>
      </EmptyState>
    );
  return (
    <ul className="divide-y divide-slate-100" data-testid="computer-list">
      {computers.map((c) => (
        <li
          key={c.name}
          className="flex flex-wrap items-center justify-between gap-3 py-3"
          data-testid={`computer-${c.name}`}
        >
          <div>
            <p className="font-medium">
              <span className="font-mono">{c.name}</span>{" "}
              {c.online ? <Badge tone="green">online</Badge> : <Badge>offline</Badge>}
            </p>
            <p className="text-xs text-slate-600">
              Added {c.added} · last signed in {c.lastSeen}
            </p>
          </div>
          <ActionButton
            action={removeComputerAction}
            fields={{ name: c.name }}
            label={`Remove ${c.name}`}
            variant="danger"
            confirm={`Remove the computer “${c.name}”? It will be signed out, and messages waiting only for it will be deleted.`}
          />
        </li>
      ))}
    </ul>
  );
}
