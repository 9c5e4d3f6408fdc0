import { listManagementKeys } from "../../../lib/federation/management-key.ts";
import { encodeManagementKeys } from "../../../lib/federation/management-pin.ts";
import { ANY, managementCommand } from "../../session.ts";

/**
 * managementkeys: no arguments. The management server's valid keys, newest first, one
 * `key=<fp> TAB from TAB until|- TAB base64 PEM TAB vouchedBy|- TAB vouch|-` line each: a client
 * that pinned an older key follows the vouches to the one this TLS connection presents.
 */
export default managementCommand({
  name: "managementkeys",
  states: ANY,
  async handle(ctx) {
    return { status: "OK", data: encodeManagementKeys(await listManagementKeys(ctx.db)) };
  },
});
