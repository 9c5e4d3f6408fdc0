// Sends one workspace event from the federation outbox (kind "ws-...") over an authenticated
// realm link: control events are one request; a change is wschangebegin, wschangedata in whole
// blocks, wschangecommit (a change published on this mirror: wspublishbegin/data/commit). Every step is idempotent on the receiving side (by workspace and seq),
// so a retry after any failure is safe.
import { joinFieldsWithTrailingData } from "../../lib/protocol/index.ts";
import { DomainError } from "../../lib/domain/errors.ts";
import type { OutboxRow } from "../../lib/federation/outbox-store.ts";
import { completeWorkspaceEvent, loadWorkspaceEvent, readChangeBytes } from "../../lib/federation/workspace-outbox.ts";
import type { OutboundLink } from "./outbound.ts";
import type { Federation } from "./federation.ts";

export async function deliverWorkspaceEvent(
  fed: Federation,
  linkFor: (localRealmId: string) => Promise<OutboundLink>,
  row: OutboxRow,
): Promise<void> {
  const pool = fed.daemon.db.pool;
  const ev = await loadWorkspaceEvent(pool, row);
  if (!ev) {
    await completeWorkspaceEvent(pool, row, [], "nothing left to send");
    return;
  }
  const link = await linkFor(ev.localRealmId);
  let reply = await link.call(ev.command, ev.args);
  const ch = ev.change;
  if (ch && reply.lines[0] !== "state=complete") {
    const chunk = BigInt(fed.config.limits.chunkBytes);
    for (let off = 0n; off < ch.size; off += chunk) {
      const len = Number(ch.size - off < chunk ? ch.size - off : chunk);
      const data = await readChangeBytes(pool, ch.dbId, off, len);
      if (!data)
        throw new DomainError(
          "FAIL",
          `change ${ch.seq} of workspace ${row.workspaceId} was freed while being forwarded`,
        );
      await link.call(
        ch.data,
        joinFieldsWithTrailingData([ev.wireId, ch.seq.toString(), off.toString(), String(len)], data),
      );
    }
    reply = await link.call(ch.commit, [ev.wireId, ch.seq.toString()]);
  }
  await completeWorkspaceEvent(pool, row, reply.lines);
  fed.log.debug(
    { kind: row.kind, workspaceId: row.workspaceId, seq: row.seq?.toString(), target: row.targetRealmId },
    "workspace event forwarded",
  );
}
