import { ANY_STATE } from "../state.ts";
import { command } from "./types.ts";

/** nop: does nothing; keeps an idle connection open. */
export default command({ name: "nop", states: ANY_STATE, handle: async () => ({ status: "OK" }) });
