// `opengroove workspace <action>`: shared workspaces. Membership actions are here; moving
// changes (push, pull, watch) is in workspace-sync.ts.
import { PROGRESS, type Command, type CommandContext } from "../command.ts";
import { usageError } from "../errors.ts";
import { table } from "../format.ts";
import { withSession } from "../session.ts";
import { pull, push, watch, wsStep } from "./workspace-sync.ts";

const ACTIONS: Record<string, { args: string[]; run: (ctx: CommandContext, a: string[]) => Promise<number | void> }> = {
  list: { args: [], run: list },
  create: { args: ["NAME"], run: create },
  invite: { args: ["WORKSPACE", "USERID"], run: invite },
  accept: { args: ["WORKSPACE"], run: simple("accept") },
  leave: { args: ["WORKSPACE"], run: simple("leave") },
  resync: { args: ["WORKSPACE"], run: simple("resync") },
  members: { args: ["WORKSPACE"], run: members },
  remove: { args: ["WORKSPACE", "USERID"], run: remove },
  push: { args: ["WORKSPACE", "FILE"], run: (ctx, [ws, file]) => push(ctx, ws, file) },
  pull: { args: ["WORKSPACE"], run: (ctx, [ws]) => pull(ctx, ws) },
  watch: { args: ["WORKSPACE"], run: (ctx, [ws]) => watch(ctx, ws) },
};

async function list(ctx: CommandContext): Promise<void> {
  const rows = await withSession(ctx, (c) => wsStep("listing workspaces", "", () => c.workspaces.list()));
  if (ctx.global.json) return ctx.json(rows);
  if (!rows.length) return ctx.note("No workspaces");
  ctx.out(
    table([
      ["ID", "STATUS", "ROLE", "HEAD", "ACKED", "NAME"],
      ...rows.map((w) => [w.id, w.status, w.role, String(w.head), w.acked === null ? "-" : String(w.acked), w.name]),
    ]),
  );
}

async function create(ctx: CommandContext, [name]: string[]): Promise<void> {
  const id = await withSession(ctx, (c) => wsStep(`creating workspace "${name}"`, "", () => c.workspaces.create(name)));
  if (ctx.global.json) ctx.json({ id, name });
  else ctx.out(`${id}\n`);
}

async function invite(ctx: CommandContext, [ws, userId]: string[]): Promise<void> {
  const role = ctx.flag("manager") ? "manager" : "member";
  const member = await withSession(ctx, (c) =>
    wsStep(`inviting ${userId}`, ws, () => c.workspaces.invite(ws, userId, role)),
  );
  if (ctx.global.json) ctx.json({ workspace: ws, member, role });
  else ctx.out(`Invited ${member} as ${role}\n`);
}

function simple(action: "accept" | "leave" | "resync") {
  return async (ctx: CommandContext, [ws]: string[]): Promise<void> => {
    const r = await withSession(ctx, (c) =>
      wsStep(`${action === "resync" ? "resyncing" : `${action.replace(/e$/, "")}ing`} workspace ${ws}`, ws, async () =>
        action === "leave" ? (await c.workspaces.leave(ws), null) : c.workspaces[action](ws),
      ),
    );
    if (ctx.global.json) ctx.json({ workspace: ws, action, head: r });
    else if (action === "leave") ctx.out(`Left workspace ${ws}\n`);
    else
      ctx.out(
        `${action === "accept" ? "Joined" : "Resynced"} workspace ${ws} at change ${r}${action === "resync" ? "; fetch the workspace's current state from another member" : ""}\n`,
      );
  };
}

async function members(ctx: CommandContext, [ws]: string[]): Promise<void> {
  const rows = await withSession(ctx, (c) => wsStep(`listing members of ${ws}`, ws, () => c.workspaces.members(ws)));
  if (ctx.global.json) return ctx.json(rows);
  ctx.out(
    table([
      ["USER", "ROLE", "STATUS", "LAST SYNC", "INVITATION"],
      ...rows.map((m) => [
        m.userId,
        m.role,
        m.status,
        m.lastSeenAt?.toISOString().replace(/\.\d+Z$/, "Z") ?? "-",
        m.invitation ?? "-",
      ]),
    ]),
  );
}

async function remove(ctx: CommandContext, [ws, userId]: string[]): Promise<void> {
  const r = await withSession(ctx, (c) => wsStep(`removing ${userId}`, ws, () => c.workspaces.remove(ws, userId)));
  if (ctx.global.json) ctx.json({ workspace: ws, removed: userId, freed: r.freed, released: r.released });
  else ctx.out(`Removed ${userId} from ${ws}\n`);
}

export const workspace: Command = {
  name: "workspace",
  summary: "shared workspaces: create, invite, accept, members, push, pull, watch",
  synopsis:
    "<list | create NAME | invite WS USERID [--manager] | accept WS | members WS | remove WS USERID | leave WS | push WS FILE [--plaintext] | pull WS [--dir DIR] | watch WS [--dir DIR] | resync WS>",
  details: [
    'push streams FILE ("-" for stdin) as one change; pull saves each new change as DIR/<seq>.change',
    "(default DIR: the workspace id) and acknowledges it, so the realm can free it once every member",
    "computer has it; watch does the same whenever a change is published. A member away longer than",
    "the realm's limit is suspended and must `resync` (then fetch the current state from a member).",
    "Changes are end-to-end encrypted for every computer of every active member (push --plaintext:",
    "readable by the realm); pull opens and checks them, and says how far the author's key is trusted.",
  ].join("\n"),
  options: {
    manager: { type: "boolean", description: "invite: as a manager (may invite and remove members)" },
    dir: { type: "string", value: "DIR", description: "pull/watch: where to save changes (default: ./<workspace id>)" },
    plaintext: {
      type: "boolean",
      description: "push: publish without end-to-end encryption (the realm can read it)",
    },
    progress: PROGRESS,
  },
  minArgs: 0,
  maxArgs: 3,
  async run(ctx) {
    const [action = "list", ...rest] = ctx.args;
    const spec = ACTIONS[action];
    if (!spec)
      throw usageError(`workspace: unknown action "${action}"`, `use one of: ${Object.keys(ACTIONS).join(", ")}`);
    if (rest.length !== spec.args.length)
      throw usageError(
        `workspace ${action}: expected ${spec.args.join(" ") || "no arguments"}`,
        `usage: opengroove workspace ${action} ${spec.args.join(" ")}`.trim(),
      );
    return spec.run(ctx, rest);
  },
};
