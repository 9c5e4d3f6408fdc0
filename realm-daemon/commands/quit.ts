import { ANY_STATE } from "../state.ts";
import { command } from "./types.ts";

/** quit: the server answers OK, then closes the connection. */
export default command({
  name: "quit",
  states: ANY_STATE,
  async handle(ctx) {
    setImmediate(() => ctx.close("quit"));
    return { status: "OK", data: "bye" };
  },
});
