import { PEER_ANY, peerCommand } from "../peer-state.ts";

/** ping: OK "pong". */
export default peerCommand({ name: "ping", states: PEER_ANY, handle: async () => ({ status: "OK", data: "pong" }) });
