import { ANY_STATE } from "../state.ts";
import { command } from "./types.ts";

/** gettime: the server's clock, milliseconds since the Unix epoch. */
export default command({
  name: "gettime",
  states: ANY_STATE,
  handle: async () => ({ status: "OK", data: String(Date.now()) }),
});
