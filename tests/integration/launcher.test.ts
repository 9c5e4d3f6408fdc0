// The launcher as a newcomer runs it: real embedded PostgreSQL, real daemons as child
// processes. Checks start, ready lines, the data-dir lock, clean stop without orphans,
// restart of a crashed component, a second start with data intact, and refused bad config.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { openConnection } from "../../client/sdk/connection.ts";

const root = path.resolve(import.meta.dirname, "../..");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "og-launcher-"));
fs.chmodSync(dataDir, 0o755);
after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const baseEnv = {
  ...process.env,
  OPENGROOVE_DATA_DIR: dataDir,
  OPENGROOVE_COMPONENTS: "postgres,management,realm",
  OPENGROOVE_REALM_EPHEMERAL_PORTS: "true",
  OPENGROOVE_REALM_BIND_HOST: "127.0.0.1",
  OPENGROOVE_REALM_HTTP_PORT: "0",
  OPENGROOVE_MANAGEMENT_BIND_HOST: "127.0.0.1",
  OPENGROOVE_MANAGEMENT_CLIENT_PORT: "0",
  OPENGROOVE_MANAGEMENT_REALM_PORT: "0",
  OPENGROOVE_LOG_FORMAT: "json",
  OPENGROOVE_LOG_LEVEL: "warn",
};

interface Launched {
  proc: ChildProcess;
  out: () => string;
  exited: Promise<number | null>;
}

/** `group`: the launcher leads its own process group, as in a terminal (Ctrl-C signals the group). */
function launch(env: Record<string, string> = {}, opts: { group?: boolean } = {}): Launched {
  const proc = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts/launcher.ts")], {
    cwd: root,
    env: { ...baseEnv, ...env },
    detached: opts.group ?? false,
  });
  let out = "";
  proc.stdout!.on("data", (d) => (out += d));
  proc.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  return { proc, out: () => out, exited };
}

async function waitFor(l: Launched, text: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!l.out().includes(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}"; output:\n${l.out()}`);
    if (l.proc.exitCode !== null) throw new Error(`launcher exited (${l.proc.exitCode}) before "${text}":\n${l.out()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** PIDs of processes whose command line mentions our data directory (postgres) or daemon scripts started by this launcher. */
function processesUsing(dir: string): number[] {
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .filter((l) => l.includes(dir))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

function childPid(l: Launched, script: string): number {
  const out = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" });
  const line = out.split("\n").find((x) => x.includes(script) && x.trim().split(/\s+/)[1] === String(l.proc.pid));
  assert.ok(line, `no ${script} child of the launcher`);
  return Number(line.trim().split(/\s+/)[0]);
}

test("a bad environment value is refused with a message naming the variable", async () => {
  const l = launch({ OPENGROOVE_WEB_PORT: "not-a-port", OPENGROOVE_PUBLIC_HOST: "bad host!" });
  const code = await l.exited;
  assert.equal(code, 78);
  assert.match(l.out(), /OPENGROOVE_WEB_PORT/);
  assert.match(l.out(), /OPENGROOVE_PUBLIC_HOST: must be a host name or address/);
  assert.ok(!fs.existsSync(path.join(dataDir, "launcher.lock")));
});

test("start, refuse a second launcher, restart a crashed daemon, stop without orphans, restart fast with data intact", async () => {
  const first = launch();
  after(() => void first.proc.kill("SIGKILL"));
  await waitFor(first, "opengroove: all components ready");
  const out1 = first.out();
  assert.match(out1, /^postgres: ready at 127\.0\.0\.1:\d+/m);
  // The default install runs both management ports over TLS with the management key.
  assert.match(
    out1,
    /^management-daemon: ready at tls:\/\/127\.0\.0\.1:\d+ \(clients\), tls:\/\/127\.0\.0\.1:\d+ \(realm servers\), sha256:[0-9a-f]{64} \(management key\)/m,
  );
  const mgmtKey = /sha256:([0-9a-f]{64}) \(management key\)/.exec(out1)![1];
  assert.match(out1, /^realm-daemon: ready at tls:\/\/127\.0\.0\.1:\d+ \(opengroove\)/m);
  const password = /created with password (\S+)/.exec(out1)?.[1];
  assert.ok(password, "first start prints the generated administrator password");

  // The realms of this install enrolled with the management server started beside them.
  const mgmtPort = Number(/tls:\/\/127\.0\.0\.1:(\d+) \(clients\)/.exec(out1)?.[1]);
  let listed = "";
  for (let i = 0; i < 50 && !listed.includes("localhost:63741"); i++) {
    const c = await openConnection({ host: "127.0.0.1", port: mgmtPort, transport: "tls" });
    assert.equal(c.peerKeyFingerprint, mgmtKey, "the client port presents the management key");
    listed = (await c.request("listrealms")).text;
    c.close();
    if (!listed.includes("localhost:63741")) await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(listed, /^localhost:63745\tOpenGroove\topen\ttrue\t/m);
  assert.match(listed, /^localhost:63741\tTrivergia\tinvite\tfalse\t/m);

  const second = launch();
  assert.equal(await second.exited, 2);
  assert.match(second.out(), /already running on data directory/);

  // A crashed component is restarted and logged.
  const realmPid = childPid(first, "realm-daemon/main.ts");
  process.kill(realmPid, "SIGKILL");
  await waitFor(first, "realm-daemon crashed; restarting", 10_000);
  await waitFor(first, "realm-daemon restarted", 30_000);

  assert.ok(processesUsing(dataDir).length > 0, "postgres runs on the data directory");
  first.proc.kill("SIGTERM");
  assert.equal(await first.exited, 0);
  assert.deepEqual(processesUsing(dataDir), [], "no process outlives the launcher");
  assert.ok(!fs.existsSync(path.join(dataDir, "launcher.lock")));

  const t0 = Date.now();
  const again = launch({}, { group: true });
  after(() => void again.proc.kill("SIGKILL"));
  await waitFor(again, "opengroove: all components ready", 30_000);
  const seconds = (Date.now() - t0) / 1000;
  assert.ok(seconds < 10, `second start took ${seconds} s`);
  assert.match(again.out(), /seed: realms already present/);
  assert.doesNotMatch(again.out(), /created with password/);
  // Ctrl-C in a terminal: SIGINT to the whole foreground process group.
  const seen = again.out().length;
  process.kill(-again.proc.pid!, "SIGINT");
  assert.equal(await again.exited, 0);
  assert.deepEqual(processesUsing(dataDir), []);
  assert.doesNotMatch(again.out().slice(seen), /crashed|restarting/, "a clean shutdown log");
});

test("a port already in use gives a one-line error naming the port", async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", () => r()));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const l = launch({ OPENGROOVE_MANAGEMENT_CLIENT_PORT: String(port) });
    assert.equal(await l.exited, 78);
    assert.match(l.out(), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    assert.deepEqual(processesUsing(dataDir), []);
  } finally {
    blocker.close();
  }
});
