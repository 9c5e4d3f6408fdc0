import { ANY_STATE } from "../state.ts";
import { command } from "./types.ts";
import { COMMAND_NAMES } from "./names.ts";

/** help (the original's): who this is, and every command this server knows, one per line. */
export default command({
  name: "help",
  states: ANY_STATE,
  async handle(ctx) {
    return {
      status: "OK",
      data: [
        `You're speaking to an OpenGroove realm server (realm ${ctx.realm.id}).`,
        `Help documents: listhelpdocuments, gethelpdocument. Web: ${ctx.webUrl}`,
        "",
        "Commands this server knows:",
        ...COMMAND_NAMES(),
      ],
    };
  },
});
