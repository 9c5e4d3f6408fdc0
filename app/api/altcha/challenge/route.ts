// A fresh ALTCHA proof-of-work challenge for the signup pages' widget (signed with the key all
// web processes share; see lib/captcha/server-secret.ts). Never cached.
import { db } from "../../../../lib/db/client.ts";
import { createAltchaChallenge, pruneAltchaReplayRecords } from "../../../../lib/captcha/altcha.ts";
import { createLogger } from "../../../../lib/log.ts";

export const dynamic = "force-dynamic";

const log = createLogger("altcha");

export async function GET(): Promise<Response> {
  try {
    const challenge = await createAltchaChallenge();
    // Now and then, drop replay records of long-expired challenges.
    if (Math.random() < 0.02) void pruneAltchaReplayRecords(db().pool).catch(() => undefined);
    return Response.json(challenge, { headers: { "cache-control": "no-store" } });
  } catch (e) {
    log.error({ err: (e as Error).message }, "could not create an ALTCHA challenge");
    return Response.json(
      { error: "The anti-robot check is not available right now. Reload the page in a minute." },
      { status: 503, headers: { "cache-control": "no-store" } },
    );
  }
}
