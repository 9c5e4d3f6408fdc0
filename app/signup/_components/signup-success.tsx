// What a person sees once the account exists: the user id, the exact CLI commands to start
// with (lib/account/cli-commands.ts), and the web account page.
import Link from "next/link";
import { cliFirstSteps } from "../../../lib/account/cli-commands.ts";
import { Code, Notice } from "./ui.tsx";

export function SignupSuccess({
  userId,
  realmName,
  realmSlug,
}: {
  userId: string;
  realmName: string;
  realmSlug: string;
}) {
  const cli = cliFirstSteps(userId, { realmSlug });
  return (
    <div className="space-y-4" data-testid="signup-success">
      <Notice tone="success" title={`Your account on ${realmName} is ready`}>
        <p>Your user id is what other people use to reach you, and what you sign in with:</p>
        <Code testId="new-user-id">{userId}</Code>
      </Notice>
      <div className="space-y-2 text-sm text-slate-800">
        <p className="font-semibold">On the web</p>
        <p>
          <Link href="/account/sign-in" data-testid="account-link">
            Open your account page
          </Link>{" "}
          to see your storage, your computers and your messages, and to change your password.
        </p>
      </div>
      <div className="space-y-2 text-sm text-slate-800">
        <p className="font-semibold">From a terminal, with the OpenGroove CLI</p>
        <p>Sign in once on this device (it becomes your computer “laptop”; pick any name):</p>
        <Code testId="cli-login">{cli.login}</Code>
        <p>Then read and send messages:</p>
        <Code testId="cli-inbox">{cli.inbox}</Code>
        <Code testId="cli-send">{cli.send}</Code>
        <p>In the OpenGroove app, choose “Sign in” and enter your user id and the password you just chose.</p>
      </div>
      <p className="text-sm">
        <Link href={`/message/link?user=${encodeURIComponent(userId)}`}>
          Make a “message me” link and QR code for your user id
        </Link>
      </p>
    </div>
  );
}
