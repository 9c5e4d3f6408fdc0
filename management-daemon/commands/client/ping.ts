import { ANY, managementCommand } from "../../session.ts";

/** ping: no arguments. OK "pong". */
export default managementCommand({ name: "ping", states: ANY, handle: async () => ({ status: "OK", data: "pong" }) });
