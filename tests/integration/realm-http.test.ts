// The realm daemon's HTTP port: the client protocol over WebSocket, /healthz and /metrics.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import WebSocket from "ws";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { RealmClient } from "../../client/sdk/index.ts";

let h: RealmHarness;
before(async () => {
  h = await startRealmHarness();
});
after(async () => h.stop());

test("the same protocol over WebSocket: register, log in, send, receive live, read", async () => {
  const port = h.daemon.httpPort!;
  const ws = await RealmClient.connect({ host: HOST, port, transport: "ws", realm: "plain" });
  const reg = await ws.register({ username: "webby", password: "a long password 9" });
  assert.equal(reg.status, "OK");
  assert.equal((await ws.request("authenticate", ["webby", "", "a long password 9"])).status, "OK");
  await ws.createComputer("browser");
  ws.close();
  const web = await RealmClient.connect({ host: HOST, port, transport: "ws", realm: "plain" });
  await web.authenticate("webby", "browser", "a long password 9");
  const tcp = await h.user(h.plainRealm, "tcpuser");
  const got = new Promise<string>((r) => web.on("messageavailable", (x) => r(x.text)));
  const id = await tcp.client.send(tcp.userId, [`${h.plainRealm}::webby`], Buffer.from("over websocket"));
  assert.equal(await got, id);
  assert.equal((await web.read(id)).toString(), "over websocket");
  web.close();
});

test("WebSocket: unknown realm is a 404, text frames are refused with BADPACKET", async () => {
  const port = h.daemon.httpPort!;
  await assert.rejects(RealmClient.connect({ host: HOST, port, transport: "ws", realm: "nope" }));
  const ws = new WebSocket(`ws://${HOST}:${port}/ws/plain`);
  await new Promise((r) => ws.on("open", r));
  const closed = new Promise<Buffer>((r) => ws.on("message", (d: Buffer) => r(d)));
  ws.send("r1 ping");
  assert.match((await closed).toString(), /^\* error\nBADPACKET/);
  ws.terminate();
});

test("/healthz and /metrics", async () => {
  const base = `http://${HOST}:${h.daemon.httpPort}`;
  const health = await fetch(`${base}/healthz`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { status: string }).status, "ok");
  const c = await h.connect(h.plainRealm);
  await c.ping();
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.match(text, /^opengroove_packets_total\{command="ping",status="OK",instance="[0-9a-f-]+"\} \d+$/m);
  // Every sample carries the daemon's instance label (docs/scaling.md).
  assert.match(text, /^opengroove_connections\{realm="plain",instance="[0-9a-f-]+"\} \d+$/m);
  assert.match(text, /^opengroove_bytes_stored\{realm="plain",instance="[0-9a-f-]+"\} \d+$/m);
  assert.match(text, /^opengroove_queue_depth\{realm="plain",instance="[0-9a-f-]+"\} \d+$/m);
  assert.match(text, /^opengroove_command_seconds_bucket\{le="0.001",instance="[0-9a-f-]+",command="ping"\} \d+$/m);
  // prom-client's default process metrics: memory, event-loop lag, GC.
  assert.match(text, /^process_resident_memory_bytes\{instance="[0-9a-f-]+"\} \d+/m);
  assert.match(text, /^nodejs_eventloop_lag_seconds\{instance="[0-9a-f-]+"\} [\d.e-]+$/m);
  assert.match(text, /^# TYPE nodejs_gc_duration_seconds histogram$/m);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
});
