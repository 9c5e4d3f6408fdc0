// Case 4a: fuzzed frames through the codec, in process: 1,000,000 (100,000 in --short) byte
// streams from chaos/fuzz-frames.ts, pushed in random chunks through the frame parser, every
// frame through the request, reply and server-packet decoders and the field splitters, the raw
// bytes through the greeting parser. Invariants: nothing throws (parsers return results), the
// parser never holds more than one maximum packet, and the heap after the run is within 32 MiB of
// the heap before it. fast-check shrinks a failure to a minimal counterexample, printed.
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import {
  FrameParser,
  GreetingParser,
  decodeReply,
  decodeRequest,
  decodeServerPacket,
  splitFields,
  splitWithTrailingData,
  checkTextFields,
  PROTOCOL_LIMITS,
} from "../lib/protocol/index.ts";
import { chunkedFrame } from "./fuzz-frames.ts";
import { r2, type Ctx, type Figure } from "./harness.ts";

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

export function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

let frames = 0;
let decoded = 0;

/** One stream through every parser; throws (a property failure) when a rule is broken. */
function check({ bytes, chunks }: { bytes: Uint8Array; chunks: Uint8Array[] }): void {
  const parser = new FrameParser();
  let out = 0;
  for (const c of chunks) {
    const r = parser.push(c);
    for (const f of r.frames) {
      frames++;
      out += f.length + 4;
      const req = decodeRequest(f);
      if (req.ok) {
        decoded++;
        const fields = splitFields(req.value.args);
        if (fields.ok) checkTextFields(fields.value);
        splitWithTrailingData(req.value.args, 3, 1);
      }
      decodeReply(f);
      decodeServerPacket(f);
    }
    if (parser.bufferedBytes > PROTOCOL_LIMITS.defaultMaxPacketBytes + 4)
      throw new Error(`parser holds ${parser.bufferedBytes} bytes`);
  }
  if (out > bytes.length) throw new Error(`parser produced ${out} bytes from ${bytes.length}`);
  new GreetingParser().feed(bytes);
}

export async function run(ctx: Ctx): Promise<Figure> {
  const numRuns = ctx.opts.short ? 100_000 : 1_000_000;
  const before = heapAfterGc();
  const t0 = performance.now();
  const seed = Date.now() | 0;
  const result = fc.check(fc.property(chunkedFrame, check), { numRuns, seed, endOnFailure: false });
  const secs = (performance.now() - t0) / 1000;
  const growth = (heapAfterGc() - before) / 2 ** 20;
  const throws = result.failed ? 1 : 0;
  const ok = !result.failed && result.numRuns === numRuns && growth < 32;
  const counterexample = result.failed
    ? `${String(result.errorInstance)} on ${JSON.stringify(Array.from(result.counterexample?.[0]?.bytes ?? []))} (seed ${seed}, path ${result.counterexamplePath})`
    : null;
  return {
    case: "fuzz-codec",
    ok,
    invariant: "0 throws from the frame parser, decoders and splitters; parser holds ≤ 1 packet; heap growth < 32 MiB",
    summary:
      `${result.numRuns} fuzzed streams (${frames} frames, ${decoded} decoded as requests) through the codec in ${r2(secs)} s: ` +
      `${throws ? "a THROW" : "0 throws"}, heap growth ${r2(growth)} MiB` +
      (counterexample ? `; shrunk counterexample: ${counterexample}` : ""),
    figures: {
      streams: result.numRuns,
      frames,
      decodedRequests: decoded,
      throws,
      heapGrowthMiB: r2(growth),
      perSecond: Math.round(result.numRuns / secs),
      seed,
      counterexample,
    },
  };
}
