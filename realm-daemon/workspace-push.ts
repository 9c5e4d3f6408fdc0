// Routes og_workspace_change notifications (sent by whichever daemon instance sealed a change
// or changed a membership) to the member computers connected to THIS instance, as
// `workspacechange` pushes. Data lines: kind, workspace id, then per kind: `change` → seq,
// author user id, author computer; `invited` / `removed` / `suspended` → the workspace's name;
// `published` → the seq the home realm gave a change its member published on this (mirror)
// realm; `refused` → why the home realm refused it (both to the author's computers).
import type { RealmDaemon } from "./daemon.ts";

type WorkspaceEvent =
  | { kind: "change"; workspaceId: string; seq: string; authorId: string; authorComputer: string }
  | {
      kind: "invited" | "removed" | "suspended" | "published" | "refused";
      workspaceId: string;
      userId: string;
      detail: string;
    };

export async function routeWorkspaceNotification(daemon: RealmDaemon, payload: string): Promise<void> {
  const ev = JSON.parse(payload) as WorkspaceEvent;
  const online = [...daemon.connections].filter((c) => c.session?.computer);
  if (!online.length) return;
  if (ev.kind !== "change") {
    for (const c of online)
      if (c.session!.userId === ev.userId) c.notify("workspacechange", [ev.kind, ev.workspaceId, ev.detail]);
    return;
  }
  // Which of the connected users are active members: one query per change per instance.
  const userIds = [...new Set(online.map((c) => c.session!.userId))];
  const r = await daemon.db.pool.query<{ userId: string }>(
    `SELECT "userId" FROM workspace_members WHERE "workspaceId" = $1 AND status = 'ACTIVE' AND "userId" = ANY($2::text[])`,
    [ev.workspaceId, userIds],
  );
  const members = new Set(r.rows.map((x) => x.userId));
  for (const c of online) {
    const s = c.session!;
    if (!members.has(s.userId)) continue;
    if (s.fullId === ev.authorId && s.computer === ev.authorComputer) continue; // the author's own computer has it
    c.notify("workspacechange", ["change", ev.workspaceId, ev.seq, ev.authorId, ev.authorComputer]);
  }
}
