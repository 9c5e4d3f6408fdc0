// GET /console/live: the dashboard's live figures as server-sent events (text/event-stream).
// `event: figures` carries JSON {realmId: {connections, messagesWaiting, outboxQueued}} for the
// realms this operator may see, at once and then whenever a figure changes (read once a second
// per web process by the shared hub, lib/console/live-figures.ts); a comment every 15 s keeps
// proxies from closing an idle stream; `retry: 1000` tells the browser to reconnect after a
// second when the stream drops.
import { currentActor } from "../../../lib/auth/current-actor.ts";
import { db } from "../../../lib/db/client.ts";
import { visibleRealmIds } from "../../../lib/domain/permissions.ts";
import { LiveHub, readLiveFigures, visiblePart } from "../../../lib/console/live-figures.ts";
import { createLogger } from "../../../lib/log.ts";

export const dynamic = "force-dynamic";

const g = globalThis as unknown as { __ogLiveHub?: LiveHub };
function hub(): LiveHub {
  if (!g.__ogLiveHub) {
    const log = createLogger("console-live", process.env.OPENGROOVE_LOG_LEVEL ?? "info");
    g.__ogLiveHub = new LiveHub(
      () => readLiveFigures(db().pool),
      1_000,
      (err) => log.warn({ err }, "could not read the dashboard's live figures"),
    );
  }
  return g.__ogLiveHub;
}

export async function GET(request: Request): Promise<Response> {
  const actor = await currentActor();
  if (!actor) return new Response("Sign in first.\n", { status: 401, headers: { "content-type": "text/plain" } });
  const realms = visibleRealmIds(actor);
  const enc = new TextEncoder();
  let cleanup = (): void => undefined;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let sent = "";
      const write = (text: string) => {
        try {
          controller.enqueue(enc.encode(text));
        } catch {
          cleanup();
        }
      };
      write("retry: 1000\n\n");
      const unsubscribe = hub().subscribe((s) => {
        const json = JSON.stringify(visiblePart(s, realms));
        if (json === sent) return;
        sent = json;
        write(`event: figures\ndata: ${json}\n\n`);
      });
      const ping = setInterval(() => write(": ping\n\n"), 15_000);
      cleanup = () => {
        clearInterval(ping);
        unsubscribe();
        cleanup = () => undefined;
      };
      request.signal.addEventListener("abort", () => {
        cleanup();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
