// `opengroove register <realm host:port> <username>`: creates an account (registeraccount).
// Captcha realms answer CONTINUE with a web page; the token shown there completes the signup.
import type { RegisterResult } from "../../sdk/index.ts";
import { parseRealm } from "../address.ts";
import { PASSWORD_STDIN, type Command, type CommandContext } from "../command.ts";
import { step, usageError } from "../errors.ts";
import { promptLine, readPassword } from "../prompt.ts";
import { connectRealm, targetFor } from "../session.ts";

interface Input {
  username: string;
  password: string;
  invite?: string;
  ticket?: string;
  token?: string;
}

async function attempt(ctx: CommandContext, input: Input): Promise<{ result: RegisterResult; realmId: string }> {
  const realm = parseRealm(ctx.args[0]);
  const { client, realmId } = await connectRealm(ctx, targetFor(ctx, realm, ctx.str("realm-name")));
  try {
    const result = await step(`registering "${input.username}" on ${realmId}`, () => client.register(input));
    return { result, realmId };
  } finally {
    client.close();
  }
}

export const register: Command = {
  name: "register",
  summary: "create an account on a realm",
  synopsis:
    "<realm host:port> <username> [--invite CODE] [--realm-name SLUG] [--ticket ID --token TOKEN] [--password-stdin]",
  details: [
    "On realms with a captcha the realm answers with a web page to visit; solve the captcha there",
    "and paste the token it shows. Without a terminal, the ticket id is printed: finish later with",
    "--ticket ID --token TOKEN. A new account has no computers: log in with --create-computer.",
  ].join("\n"),
  options: {
    invite: { type: "string", value: "CODE", description: "invitation code (invite-only realms)" },
    "realm-name": {
      type: "string",
      value: "SLUG",
      description: "the realm's short name, when several realms share the port",
    },
    ticket: {
      type: "string",
      value: "ID",
      description: "finish a captcha signup: the ticket id from the first attempt",
    },
    token: {
      type: "string",
      value: "TOKEN",
      description: "finish a captcha signup: the token shown after the captcha",
    },
    "password-stdin": PASSWORD_STDIN,
  },
  minArgs: 2,
  maxArgs: 2,
  async run(ctx) {
    const username = ctx.args[1];
    const ticket = ctx.str("ticket");
    const token = ctx.str("token");
    if (!!ticket !== !!token) throw usageError("register: --ticket and --token go together");
    const password = await readPassword({
      fromStdin: ctx.flag("password-stdin"),
      prompt: `Password for new account ${username}: `,
      confirm: !ticket,
    });
    const input: Input = { username, password, invite: ctx.str("invite"), ticket, token };
    let { result, realmId } = await attempt(ctx, input);
    if (result.status === "CONTINUE") {
      const resume = `opengroove register ${ctx.args[0]} ${username} --ticket ${result.ticket} --token TOKEN`;
      if (!process.stdin.isTTY || ctx.global.json) {
        if (ctx.global.json)
          ctx.json({ status: "CONTINUE", ticket: result.ticket, url: result.url, message: result.message });
        else
          ctx.out(
            `This realm needs a captcha. Open this page in a browser and solve it:\n  ${result.url}\nThen finish with:\n  ${resume}\n`,
          );
        return;
      }
      ctx.note(
        `This realm needs a captcha. Open this page in a browser and solve it:\n  ${result.url}\n${result.message}`,
      );
      const pasted = (await promptLine("Token shown after the captcha: ", true)).trim();
      if (!pasted) throw usageError("no token given", `finish later with: ${resume}`);
      ({ result, realmId } = await attempt(ctx, { ...input, ticket: result.ticket, token: pasted }));
    }
    if (result.status !== "OK") throw usageError("the realm asked for another step; try again");
    if (ctx.global.json) ctx.json({ status: "OK", userId: result.userId, realmId });
    else
      ctx.out(
        `Registered ${result.userId}\nNext: opengroove login ${result.userId} --computer NAME --create-computer\n`,
      );
  },
};
