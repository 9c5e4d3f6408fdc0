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

const BIN = path.resolve(import.meta.dirname, "../../client/cli/bin.mjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "og-cli-ws-"));
const dirs: Record<string, string> = {};
const ids: Record<string, string> = {};
let h: RealmHarness;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(user: string, args: string[], input = ""): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "--config-dir", dirs[user], ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

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
  assert.deepEqual(JSON.parse(p.stdout), { workspace: ws, seq: 1, size: 1_500_000 });
  assert.match(p.stderr, /pushing notes\.bin: .* \(100%\)/);

  const out = path.join(tmp, "bob-pull");
  const pl = await cli("bob", ["workspace", "pull", ws, "--dir", out]);
  assert.equal(pl.code, 0, pl.stderr);
  assert.match(pl.stdout, new RegExp(`^change 1 from ${ids.alice.replace(/\./g, "\\.")} \\(laptop\\)`));
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
  const ev = JSON.parse(await line) as { event: string; seq: number; path: string };
  assert.deepEqual([ev.event, ev.seq], ["change", 2]);
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
