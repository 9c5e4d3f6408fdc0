import { ANY_STATE } from "../state.ts";
import { command } from "./types.ts";

/** ping: liveness check; answers OK with "pong". */
export default command({ name: "ping", states: ANY_STATE, handle: async () => ({ status: "OK", data: "pong" }) });
