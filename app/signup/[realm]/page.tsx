// /signup/<realm slug>: create an account on a realm. Open realms show their captcha, invite
// realms ask for the invite code (?invite= fills it in), closed realms say so. With ?ticket=
// the page serves the protocol's CONTINUE flow: captcha only, then a code for the client.
import type { Metadata } from "next";
import { db } from "../../../lib/db/client.ts";
import { ACCOUNT_LIMITS } from "../../../lib/domain/usernames.ts";
import { issueFormStamp } from "../../../lib/captcha/form-guard.ts";
import { disabledRealmName, findSignupRealm, signupPurpose, ticketPurpose, ticketState } from "../signup-flow.ts";
import { signupAction, ticketAction } from "./actions.ts";
import { SignupForm } from "../_components/signup-form.tsx";
import { TicketForm } from "../_components/ticket-form.tsx";
import { Code, Notice, PublicPage } from "../_components/ui.tsx";

export const dynamic = "force-dynamic";

type Params = {
  params: Promise<{ realm: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const realm = await findSignupRealm(db().pool, (await params).realm);
  return { title: realm ? `Sign up for ${realm.name}` : "Sign up", robots: { index: false } };
}

const one = (v: string | string[] | undefined) => (typeof v === "string" ? v : undefined);

export default async function SignupPage({ params, searchParams }: Params) {
  const slug = (await params).realm;
  const query = await searchParams;
  const realm = await findSignupRealm(db().pool, slug);

  const disabledName = realm ? null : await disabledRealmName(db().pool, slug);
  if (disabledName)
    return (
      <PublicPage title={`${disabledName} is closed`}>
        <Notice tone="warning" title="This realm is not running" testId="realm-disabled">
          <p>
            Its operator has closed {disabledName} for now: it takes no new accounts and no connections. Try again
            later, or ask the person who gave you this link.
          </p>
        </Notice>
      </PublicPage>
    );
  if (!realm)
    return (
      <PublicPage title="Realm not found">
        <Notice tone="error" testId="no-realm">
          <p>
            There is no realm with the signup address “{slug}” here. Check the link you followed, or ask the person who
            gave it to you for the right one.
          </p>
        </Notice>
      </PublicPage>
    );

  const intro = (
    <>
      {realm.description ? <p>{realm.description}</p> : null}
      <p className="mt-1 text-sm text-slate-600">
        Realm <span className="font-mono">{realm.id}</span>
      </p>
    </>
  );

  const ticket = one(query.ticket);
  if (ticket !== undefined) {
    const state = await ticketState(db().pool, ticket, realm.id);
    const provider = realm.captchaProvider;
    return (
      <PublicPage title={`Continue signing up for ${realm.name}`} subtitle={intro}>
        {state === "missing" || state === "expired" ? (
          <Notice tone="error" title="This signup link cannot be used" testId="ticket-invalid">
            <p>
              It has expired (links last 30 minutes) or was already used. Start the signup again from your OpenGroove
              client to get a new link.
            </p>
          </Notice>
        ) : provider === "NONE" ? (
          <Notice tone="info" testId="ticket-no-captcha">
            <p>{realm.name} needs no web check: go back to your OpenGroove client and finish signing up there.</p>
          </Notice>
        ) : (
          <div className="card">
            <p className="mb-4 text-sm text-slate-700">
              Your OpenGroove client sent you here. Complete the check below to get a code for your client; you choose
              your username and password there.
            </p>
            <TicketForm
              provider={provider}
              hcaptchaSiteKey={realm.hcaptchaSiteKey}
              realmName={realm.name}
              formStamp={issueFormStamp(ticketPurpose(realm.slug))}
              action={ticketAction.bind(null, realm.slug, ticket)}
            />
          </div>
        )}
      </PublicPage>
    );
  }

  if (realm.registrationMode === "CLOSED")
    return (
      <PublicPage title={`${realm.name} is not accepting new accounts`} subtitle={intro}>
        <Notice tone="warning" title="Registration is closed" testId="registration-closed">
          <p>
            Accounts on this realm are created by its operator.
            {realm.contactEmail ? " To ask for one, write to:" : " Ask the person who runs it for an account."}
          </p>
          {realm.contactEmail ? <Code>{realm.contactEmail}</Code> : null}
        </Notice>
      </PublicPage>
    );

  return (
    <PublicPage title={`Create an account on ${realm.name}`} subtitle={intro}>
      {realm.registrationMode === "INVITE" ? (
        <Notice tone="info">
          <p>This realm is invite-only: you need the invite code from your invitation.</p>
        </Notice>
      ) : null}
      <div className="card">
        <SignupForm
          realm={{
            id: realm.id,
            name: realm.name,
            registrationMode: realm.registrationMode,
            captchaProvider: realm.captchaProvider,
            hcaptchaSiteKey: realm.hcaptchaSiteKey,
          }}
          formStamp={issueFormStamp(signupPurpose(realm.slug))}
          invite={one(query.invite)?.slice(0, 512) ?? ""}
          usernameRule={`${ACCOUNT_LIMITS.usernameMin}–${ACCOUNT_LIMITS.usernameMax} letters, digits, _ . or -. Case does not matter: “Alice” and “alice” are the same user.`}
          passwordRule={`At least ${ACCOUNT_LIMITS.passwordMin} characters, not a common password and not containing your username.`}
          action={signupAction.bind(null, realm.slug)}
        />
      </div>
      <p className="text-sm text-slate-600">
        Already have an account? Sign in from the OpenGroove app or CLI with your user id.
      </p>
    </PublicPage>
  );
}
