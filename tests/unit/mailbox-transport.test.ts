// The browser mailbox never sends a password over plain ws:// except to a loopback host (#13).
import { test } from "node:test";
import assert from "node:assert/strict";
import { insecureTransportRefusal, openMailbox } from "../../lib/account/mailbox-client.ts";

test("plain ws:// is refused for any non-loopback host; wss:// and loopback ws:// are allowed", () => {
  for (const url of ["ws://realms.example.org:63780/ws/plain", "ws://192.0.2.2:63780/ws/x", "ws://[fd00::2]:1/ws/x"])
    assert.match(insecureTransportRefusal(url) ?? "", /not encrypted.*wss:\/\//, url);
  for (const url of [
    "wss://realms.example.org:63780/ws/plain",
    "ws://localhost:63780/ws/plain",
    "ws://127.0.0.1:63780/ws/plain",
    "ws://[::1]:63780/ws/plain",
  ])
    assert.equal(insecureTransportRefusal(url), null, url);
  assert.match(insecureTransportRefusal("not a url") ?? "", /not a WebSocket address/);
});

test("openMailbox refuses before opening any connection, so the password never leaves the page", async () => {
  let opened = 0;
  await assert.rejects(
    openMailbox({
      url: "ws://realms.example.org:63780/ws/plain",
      username: "alice",
      password: "secret password",
      factory: () => {
        opened++;
        throw new Error("must not connect");
      },
    }),
    /Not signing in: the realm's mailbox address \(ws:\/\/realms\.example\.org:63780\) is not encrypted/,
  );
  assert.equal(opened, 0);
});
