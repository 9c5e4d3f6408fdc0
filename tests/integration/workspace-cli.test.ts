// `opengroove workspace ...` as a real child process against a real realm daemon: create,
// invite, accept, members, push a file with progress, pull it into a directory, watch.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { CLI_BIN as BIN, runCli } from "../helpers/cli.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-ws-"));
const dirs: Record<string, string> = {};
const ids: Record<string, string> = {};
let h: RealmHarness;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const cli = (user: string, args: string[], input = ""): Promise<Run> =>
  runCli(["--config-dir", dirs[user], ...args], { input });

before(async () => {
  h = await startRealmHarness();
  const port = String(h.port(h.plainRealm));
  for (const name of ["alice", "bob"]) {
    const u = await h.user(h.plainRealm, name);
    u.client.close();
    ids[name] = u.userId;
    dirs[name] = fs.mkdtempSync(path.join(tmp, `${name}-`));
    const r = await cli(
      name,
      ["login", u.userId, "--computer", "laptop", "--host", HOST, "--port", port, "--password-stdin"],
      `${u.password}\n`,
    );
    assert.equal(r.code, 0, r.stderr);
  }
});

after(async () => {
  await h.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("create, invite, accept, push a file with progress, pull it, watch for the next one", async () => {
  const c = await cli("alice", ["workspace", "create", "Field notes"]);
  assert.equal(c.code, 0, c.stderr);
  const ws = c.stdout.trim();
  assert.match(ws, /^[0-9a-f-]{36}$/);
  assert.equal((await cli("alice", ["workspace", "invite", ws, ids.bob])).code, 0);
  const acc = await cli("bob", ["workspace", "accept", ws]);
  assert.equal(acc.code, 0, acc.stderr);
  const m = await cli("bob", ["workspace", "members", ws, "--json"]);
  assert.deepEqual(
    (JSON.parse(m.stdout) as Array<{ userId: string; status: string }>).map((x) => [x.userId, x.status]),
    [
      [ids.alice, "active"],
      [ids.bob, "active"],
    ],
  );

  const file = path.join(tmp, "notes.bin");
  const body = crypto.randomBytes(1_500_000);
  fs.writeFileSync(file, body);
  const p = await cli("alice", ["workspace", "push", ws, file, "--progress", "lines", "--json"]);
  assert.equal(p.code, 0, p.stderr);
  const pushed = JSON.parse(p.stdout) as { storedBytes: number };
  // End-to-end encrypted by default: stored a little larger than the file (header, chunk tags, signature).
  assert.ok(pushed.storedBytes > 1_500_000 && pushed.storedBytes < 1_510_000, String(pushed.storedBytes));
  assert.deepEqual(pushed, {
    workspace: ws,
    seq: 1,
    size: 1_500_000,
    storedBytes: pushed.storedBytes,
    encrypted: true,
  });
  const stored = await h.db.pool.query<{ data: Buffer }>(
    `SELECT b.data FROM workspace_change_blocks b JOIN workspace_changes c ON c.id = b."changeId" WHERE c."workspaceId" = $1 AND c.seq = 1 ORDER BY b.block`,
    [ws],
  );
  const storedAll = Buffer.concat(stored.rows.map((r) => r.data));
  assert.equal(storedAll.subarray(0, 4).toString(), "OGE1");
  assert.equal(storedAll.indexOf(body.subarray(1000, 1064)), -1, "no plaintext stored");
  assert.match(p.stderr, /pushing notes\.bin: .* \(100%\)/);

  const out = path.join(tmp, "bob-pull");
  const pl = await cli("bob", ["workspace", "pull", ws, "--dir", out]);
  assert.equal(pl.code, 0, pl.stderr);
  assert.match(pl.stdout, new RegExp(`^change 1 from ${ids.alice.replace(/\./g, "\\.")} \\(laptop\\)`));
  assert.match(
    pl.stdout,
    /\(end-to-end encrypted, first message from this computer \(key [0-9a-f ]+ remembered\)\)\n$/,
  );
  assert.ok(fs.readFileSync(path.join(out, "1.change")).equals(body));
  const again = await cli("bob", ["workspace", "pull", ws, "--dir", out]);
  assert.equal(again.stdout, "");
  assert.match(again.stderr, /Up to date/);
  const list = await cli("alice", ["workspace", "list", "--json"]);
  assert.equal((JSON.parse(list.stdout) as Array<{ head: number }>)[0].head, 1);

  // watch: bob stays connected and saves the next change as soon as it is published.
  const child = spawn(
    process.execPath,
    [BIN, "--config-dir", dirs.bob, "workspace", "watch", ws, "--dir", out, "--json"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const line = new Promise<string>((resolve) => {
    let buf = "";
    child.stdout.on("data", (d: Buffer) => {
      buf += d;
      if (buf.includes("\n")) resolve(buf.split("\n")[0]);
    });
  });
  const deadline = Date.now() + 10_000;
  while (!stderr.includes("Watching") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const p2 = await cli("alice", ["workspace", "push", ws, "-"], "second change");
  assert.equal(p2.code, 0, p2.stderr);
  const ev = JSON.parse(await line) as { event: string; seq: number; path: string; encrypted: boolean; trust: string };
  assert.deepEqual([ev.event, ev.seq, ev.encrypted, ev.trust], ["change", 2, true, "known"]);
  assert.equal(fs.readFileSync(ev.path, "utf8"), "second change");
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.kill("SIGINT");
  assert.equal(await exited, 0);

  // Errors are one line with a status word; a non-member gets NOSUCHWORKSPACE (exit 4).
  const bad = await cli("bob", ["workspace", "remove", ws, ids.alice]);
  assert.equal(bad.code, 3, bad.stderr);
  assert.match(bad.stderr, /^opengroove: removing .*: UNAUTHORIZED/);
  const none = await cli("bob", ["workspace", "pull", "00000000-0000-0000-0000-000000000000"]);
  assert.equal(none.code, 4, none.stderr);
});

test("push --plaintext is stored readable and pulled with a warning", async () => {
  const ws = (await cli("alice", ["workspace", "create", "Open notes"])).stdout.trim();
  assert.equal((await cli("alice", ["workspace", "invite", ws, ids.bob])).code, 0);
  assert.equal((await cli("bob", ["workspace", "accept", ws])).code, 0);
  const p = await cli("alice", ["workspace", "push", ws, "-", "--plaintext"], "readable by the realm");
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stdout, /^Published change 1 to .* \(21 B, NOT encrypted\)\n$/);
  const stored = await h.db.pool.query<{ data: Buffer }>(
    `SELECT b.data FROM workspace_change_blocks b JOIN workspace_changes c ON c.id = b."changeId" WHERE c."workspaceId" = $1`,
    [ws],
  );
  assert.equal(Buffer.concat(stored.rows.map((r) => r.data)).toString(), "readable by the realm");
  const out = path.join(tmp, "bob-open");
  const pl = await cli("bob", ["workspace", "pull", ws, "--dir", out]);
  assert.equal(pl.code, 0, pl.stderr);
  assert.match(pl.stdout, /\(NOT encrypted: the realm could read it\)\n$/);
  assert.equal(fs.readFileSync(path.join(out, "1.change"), "utf8"), "readable by the realm");
});
