// The hostile-link property run shared by the management and realm-to-realm hostile tests:
// pipelined bursts of up to five requests with hostile arguments on a link (reopened, in its
// state, when the server closed it); every reply must be a registered status word (or the
// close), never INTERNALERROR, and a link left open must still answer `ping`.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { LinkError, PacketLink } from "../../lib/federation/packet-client.ts";
import { isStatusWord } from "../../lib/protocol/index.ts";

/** A reply to a hostile request: a registered status word (or the close), never INTERNALERROR. */
export function checkReply(name: string, status: string, text: string): void {
  assert.ok(isStatusWord(status) || status === "DISCONNECTED", `${name}: not a status word: ${status}`);
  assert.notEqual(status, "INTERNALERROR", `${name} answered INTERNALERROR: ${text}`);
}

export async function fuzzLink(
  names: readonly string[],
  args: fc.Arbitrary<Uint8Array | string[]>,
  reopen: () => Promise<PacketLink>,
  opts: { seed: number; runs: number },
): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  let l = await reopen();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...names), args), { minLength: 1, maxLength: 5 }),
        async (calls) => {
          if (l.closed) l = await reopen();
          const replies = await Promise.all(
            calls.map(([name, a]) =>
              l.request(name, a).then(
                (r) => ({ name, status: r.status as string, text: r.text }),
                (e: LinkError) => ({ name, status: e.status as string, text: e.message }),
              ),
            ),
          );
          for (const r of replies) {
            seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
            checkReply(r.name, r.status, r.text);
          }
          if (!l.closed) assert.equal((await l.request("ping")).status, "OK");
        },
      ),
      { numRuns: opts.runs, seed: opts.seed, endOnFailure: true, includeErrorInReport: true },
    );
  } finally {
    l.close();
  }
  if (process.env.OG_HOSTILE_VERBOSE) console.log(JSON.stringify([...seen]));
  return seen;
}
