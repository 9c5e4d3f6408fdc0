import { listComputers } from "../../lib/domain/computers.ts";
import { LOGGED_IN } from "../state.ts";
import { command } from "./types.ts";

/** listcomputers: one computer name per line. */
export default command({
  name: "listcomputers",
  states: LOGGED_IN,
  async handle(ctx) {
    return { status: "OK", data: await listComputers(ctx.db, ctx.session!.userId) };
  },
});
