// Case 1: kill -9 of the realm daemon during send bursts. Several senders post messages (one
// packet `postmessage`, and multi-chunk create/write/send) while readers download and delete;
// at a random moment the daemon process gets SIGKILL and is started again. Invariant: every
// message a sender got OK for is delivered after the restarts, whole (same SHA-256). Figures:
// acknowledged, lost, duplicates (delivered twice because the reader's delete was cut off: at
// least once, as the protocol promises), messages in flight at a kill that were stored anyway.
import crypto from "node:crypto";
import { drainInto, login, lostOf, retry, sha256, sleep, type Ctx, type Figure } from "./harness.ts";

export async function run(ctx: Ctx): Promise<Figure> {
  const kills = ctx.opts.short ? 3 : 20;
  const senders = await ctx.users("ks", 4);
  const readers = await ctx.users("kr", 2);
  const acked = new Map<string, string>();
  const inFlight = new Map<string, string>();
  const seen = new Map<string, { hash: string; times: number }>();
  let failedSends = 0;
  let daemon = await ctx.daemon();

  for (let round = 0; round < kills; round++) {
    let stop = false;
    const port = daemon.port;
    const sc = await Promise.all(senders.map((s) => retry(20_000, () => login(port, s))));
    const rc = await Promise.all(readers.map((r) => retry(20_000, () => login(port, r))));
    const before = acked.size;
    const burst = senders.map(async (s, i) => {
      const c = sc[i];
      for (let k = 0; !stop; k++) {
        // Mostly small one-packet messages; every fifth one is 150–250 KiB in several chunks.
        const big = k % 5 === 4;
        const body = crypto.randomBytes(big ? 150_000 + crypto.randomInt(100_000) : 1 + crypto.randomInt(8_000));
        const id = c.newMessageId(s.userId);
        const hash = sha256(body);
        inFlight.set(id, hash);
        try {
          const to = [readers[(i + k) % readers.length].userId];
          if (big) {
            await c.createMessage(id, to);
            for (let off = 0; off < body.length; off += 65_536)
              await c.writeMessageData(id, off, body.subarray(off, off + 65_536));
            await c.sendMessage(id);
          } else await c.post(id, to, body);
          acked.set(id, hash);
          inFlight.delete(id);
        } catch {
          failedSends++;
          return; // the daemon died under this request: not acknowledged
        }
      }
    });
    // Readers download and delete while the senders send, so kills also cut deletes short.
    const reading = rc.map(async (c) => {
      while (!stop) {
        try {
          await c.receiveAll((id, body) => {
            const s = seen.get(id);
            if (s) s.times++;
            else seen.set(id, { hash: sha256(body), times: 1 });
          });
        } catch {
          return;
        }
        await sleep(50);
      }
    });
    // Once the burst is going, let it run 0.2–1.5 s more, then SIGKILL: no drain, no cleanup,
    // whatever was in flight.
    while (acked.size < before + 8) await sleep(10);
    await sleep(200 + crypto.randomInt(1300));
    daemon.proc.kill("SIGKILL");
    stop = true;
    await Promise.all([...burst, ...reading]);
    for (const c of [...sc, ...rc]) c.close();
    daemon = await ctx.daemon();
  }
  await drainInto(daemon.port, readers, seen);
  const lost = lostOf(acked, seen);
  const duplicates = [...seen.values()].filter((s) => s.times > 1).length;
  const storedUnacked = [...inFlight.keys()].filter((id) => seen.has(id)).length;
  const foreign = [...seen.keys()].filter((id) => !acked.has(id) && !inFlight.has(id)).length;
  const ok = acked.size > 0 && lost.length === 0 && foreign === 0;
  return {
    case: "kill",
    ok,
    invariant: "every acknowledged message is delivered whole after the kills (lost = 0), nothing else appears",
    summary:
      `${kills} × kill -9 during bursts of 4 senders: ${acked.size} acknowledged, lost ${lost.length}` +
      `, duplicates ${duplicates} (redelivered after a cut-off delete), in flight at a kill ${inFlight.size}` +
      ` (${storedUnacked} of them stored anyway), unexpected ${foreign}`,
    figures: {
      kills,
      acknowledged: acked.size,
      lost: lost.length,
      duplicates,
      inFlightAtKill: inFlight.size,
      inFlightStored: storedUnacked,
      failedSends,
      unexpected: foreign,
      firstLost: lost.slice(0, 3),
    },
  };
}
