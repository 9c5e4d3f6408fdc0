// Revocation of live sessions: a suspended or deleted account, a session epoch bumped (operator
// "sign out everywhere", password change) or a removed computer ends the sessions concerned.
// NOTIFY brings these within a second, but a notification sent while the LISTEN connection was
// down is lost; so the same check also runs over EVERY live session after the listener
// reconnects and at a slow interval (reconcileIntervalMs) as a backstop. One query per 1,000
// users, whatever the number of sessions.
import type pg from "pg";
import type { Connection } from "./connection.ts";

interface UserState {
  id: string;
  status: string;
  sessionEpoch: number;
  computers: string[];
}

/**
 * Checks the sessions of `userIds` (default: every user with a live session) against the
 * database and ends those no longer valid. Returns how many sessions it ended.
 */
export async function reconcileSessions(
  pool: pg.Pool,
  connections: Iterable<Connection>,
  userIds?: readonly string[],
): Promise<number> {
  const live = [...connections].filter((c) => c.session && (!userIds || userIds.includes(c.session.userId)));
  const ids = [...new Set(live.map((c) => c.session!.userId))];
  const users = new Map<string, UserState>();
  for (let i = 0; i < ids.length; i += 1000) {
    const r = await pool.query<UserState>(
      `SELECT id, status, "sessionEpoch", ARRAY(SELECT name FROM computers WHERE "userId" = users.id) AS computers
       FROM users WHERE id = ANY($1::text[])`,
      [ids.slice(i, i + 1000)],
    );
    for (const u of r.rows) users.set(u.id, u);
  }
  let ended = 0;
  for (const c of live) {
    const s = c.session;
    if (!s) continue; // closed meanwhile
    const u = users.get(s.userId);
    const reason = !u
      ? "account deleted"
      : u.status !== "ACTIVE"
        ? "account suspended by the realm operator"
        : u.sessionEpoch !== s.sessionEpoch
          ? "signed out by the realm operator"
          : s.computer && !u.computers.includes(s.computer)
            ? "this computer was removed from the account"
            : null;
    if (!reason) continue;
    c.notify("banned", reason);
    // Requests already received are answered first (e.g. the deleteaccount or setpassword that
    // caused this, whose reply races the NOTIFY); new ones are refused, then the session closes.
    void c.closeWhenIdle(reason === "this computer was removed from the account" ? "computer deleted" : "banned");
    ended++;
  }
  return ended;
}
