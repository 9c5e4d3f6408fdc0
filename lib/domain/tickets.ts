// The registeraccount CONTINUE flow for captcha realms: a protocol client opens a ticket and
// gets the web signup URL; the person solves the captcha there and is shown a completion
// token; the client sends the token back with registeraccount and the account is created.
import type pg from "pg";
import { DomainError } from "./errors.ts";
import { hashCode, newCode, registerAccount, type RegisterInput, type RegisteredUser } from "./registration.ts";

export const TICKET_TTL_MS = 30 * 60_000;

export async function openTicket(pool: pg.Pool, realmId: string): Promise<string> {
  const r = await pool.query<{ id: string }>(
    `INSERT INTO registration_tickets (id, "realmId", "expiresAt") VALUES (gen_random_uuid(), $1, now() + $2 * interval '1 millisecond') RETURNING id`,
    [realmId, TICKET_TTL_MS],
  );
  return r.rows[0].id;
}

/** Web side: the captcha was verified for this ticket; returns the completion token (shown once). */
export async function passTicketCaptcha(pool: pg.Pool, ticketId: string, realmId: string): Promise<string> {
  const token = newCode(12);
  const r = await pool.query(
    `UPDATE registration_tickets SET "captchaPassedAt" = now(), "tokenHash" = $3
      WHERE id = $1 AND "realmId" = $2 AND "usedAt" IS NULL AND "expiresAt" > now()`,
    [ticketId, realmId, hashCode(token)],
  );
  if (r.rowCount === 0)
    throw new DomainError(
      "BADARGUMENTS",
      "This signup link has expired or was already used; start again from your client.",
    );
  return token;
}

/** Protocol side: consume the ticket and register; the ticket is given back if registration fails. */
export async function registerWithTicket(
  pool: pg.Pool,
  ticketId: string,
  token: string,
  input: Omit<RegisterInput, "captchaPassed">,
): Promise<RegisteredUser> {
  const r = await pool.query(
    `UPDATE registration_tickets SET "usedAt" = now()
      WHERE id = $1 AND "realmId" = $2 AND "tokenHash" = $3 AND "captchaPassedAt" IS NOT NULL AND "usedAt" IS NULL AND "expiresAt" > now()`,
    [ticketId, input.realmId, hashCode(token)],
  );
  if (r.rowCount === 0)
    throw new DomainError("UNAUTHORIZED", "The signup token is wrong, expired or already used.", "token");
  try {
    return await registerAccount(pool, { ...input, captchaPassed: true });
  } catch (e) {
    await pool
      .query(`UPDATE registration_tickets SET "usedAt" = NULL WHERE id = $1`, [ticketId])
      .catch(() => undefined);
    throw e;
  }
}
