import { createWorkspace } from "../../lib/domain/workspaces.ts";
import { LOGGED_IN } from "../state.ts";
import { caller, fields } from "./args.ts";
import { command } from "./types.ts";

/**
 * workspacecreate: name. Needs the account's canCreateWorkspaces permission (UNAUTHORIZED
 * otherwise). The creator is the OWNER and its computers start at seq 0. OK data: `workspace=<id>`.
 */
export default command({
  name: "workspacecreate",
  states: LOGGED_IN,
  async handle(ctx, args) {
    const [name] = fields(args, ["name"]);
    const id = await createWorkspace(ctx.db, caller(ctx), name);
    return { status: "OK", data: `workspace=${id}` };
  },
});
