import { ANY, managementCommand } from "../../session.ts";

/** challenge: no arguments. OK "nonce=<base64url>": sign it in the next enroll, authrealm or rotatekey (single use, short-lived). */
export default managementCommand({
  name: "challenge",
  states: ANY,
  async handle(ctx) {
    const nonce = ctx.newChallenge();
    return { status: "OK", data: `nonce=${nonce}` };
  },
});
