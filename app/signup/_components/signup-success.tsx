// What a person sees once the account exists: the user id and how to sign in.
import Link from "next/link";
import { Code, Notice } from "./ui.tsx";

/** How the CLI signs in; kept in one place so it follows the CLI's wording. */
export function cliLoginCommand(userId: string): string {
  return `opengroove login ${userId}`;
}

export function SignupSuccess({ userId, realmName }: { userId: string; realmName: string }) {
  return (
    <div className="space-y-4" data-testid="signup-success">
      <Notice tone="success" title={`Your account on ${realmName} is ready`}>
        <p>Your user id is what other people use to reach you, and what you sign in with:</p>
        <Code testId="new-user-id">{userId}</Code>
      </Notice>
      <div className="space-y-2 text-sm text-slate-800">
        <p className="font-semibold">Sign in</p>
        <p>
          In the OpenGroove app, choose “Sign in” and enter your user id and the password you just chose. From a
          terminal, with the OpenGroove CLI:
        </p>
        <Code testId="cli-login">{cliLoginCommand(userId)}</Code>
        <p>The CLI asks for your password and a name for this computer.</p>
      </div>
      <p className="text-sm">
        <Link href={`/message/link?user=${encodeURIComponent(userId)}`}>
          Make a “message me” link and QR code for your user id
        </Link>
      </p>
    </div>
  );
}
