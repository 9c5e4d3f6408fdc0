import { PEER_ANY, peerCommand } from "../peer-state.ts";

/** quit: OK, then the connection closes. */
export default peerCommand({ name: "quit", states: PEER_ANY, handle: async () => ({ status: "OK", close: true }) });
