// The legacy TLS profile (#15): a realm with `legacyTlsPort` set also listens on that port with
// what the original 2008 client's trust manager accepts (TLS 1.2, RSA key exchange, an RSA
// certificate whose subject is exactly CN=<realm id>). A client that offers only RSA key-exchange
// suites on TLS 1.2 (like the original's JSSE) completes the handshake there, then the original
// greeting, `c` sync, ping and four-field authenticate; the same client is refused on the realm
// port; clearing the setting closes the port; the certificate survives a close and reopen.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import tls from "node:tls";
import { startRealmHarness, HOST, type RealmHarness } from "../helpers/realm.ts";
import { OriginalClient } from "../helpers/original-client.ts";

// Spelled out here (not imported from lib/realm/legacy-tls.ts): the suites a 2008 Java client
// offered with RSA key exchange, nothing with (EC)DHE.
const ORIGINAL_JSSE: tls.ConnectionOptions = {
  ciphers: "AES128-SHA:AES256-SHA",
  minVersion: "TLSv1.2",
  maxVersion: "TLSv1.2",
  rejectUnauthorized: false,
};

const REALM = "realm.test:63745";
const OTHER = "plain.test:63999";
let h: RealmHarness;
const clients: OriginalClient[] = [];

before(async () => {
  h = await startRealmHarness();
});
after(async () => {
  for (const c of clients) c.close();
  await h.stop();
});

async function setLegacyPort(realmId: string, port: number | null): Promise<void> {
  await h.db.prisma.realm.update({ where: { id: realmId }, data: { legacyTlsPort: port } });
  await h.daemon.reloadRealms();
}

const legacyPort = (realmId: string) => h.daemon.listeners.legacy.actualPort(realmId);

function handshake(port: number, options: tls.ConnectionOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: HOST, port, ...options });
    s.once("secureConnect", () => resolve(s));
    s.once("error", reject);
  });
}

test("off by default: no legacy port is served", () => {
  assert.equal(legacyPort(REALM), undefined);
  assert.equal(h.daemon.listeners.addresses.filter((a) => a.startsWith("tls-legacy")).length, 0);
});

test("an RSA-key-exchange TLS 1.2 client sees CN=<realm id> and an RSA key, then speaks the original protocol", async () => {
  await setLegacyPort(REALM, 64745);
  const port = legacyPort(REALM);
  assert.ok(port, "legacy port is listening");

  const s = await handshake(port, ORIGINAL_JSSE);
  assert.equal(s.getProtocol(), "TLSv1.2");
  assert.match(s.getCipher().standardName, /^TLS_RSA_WITH_AES_(128|256)_CBC_SHA$/);
  const cert = s.getPeerX509Certificate()!;
  // The original compared the whole subject with "CN=" + realm: exactly one attribute.
  assert.equal(cert.subject, `CN=${REALM}`);
  assert.equal(cert.publicKey.asymmetricKeyType, "rsa");
  assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  s.destroy();

  const u = await h.user(REALM, "legacyuser");
  const c = await OriginalClient.connect(HOST, port, 20_000, ORIGINAL_JSSE);
  clients.push(c);
  const ping = await c.query("ping");
  assert.equal(ping.status, "OK");
  assert.equal((await c.query("authenticate", `normal\nlegacyuser\nlaptop\nwrong password!`)).status, "BADAUTH");
  const ok = await c.query("authenticate", `normal\nlegacyuser\nlaptop\n${u.password}`);
  assert.equal(ok.status, "OK", ok.data.toString());
  // A command only a logged-in session may run (the account's own computers).
  assert.equal((await c.query("listcomputers")).data.toString(), "laptop");
  assert.deepEqual(c.dropped, []);
});

test("the same client is refused on the realm port (no RSA key exchange there)", async () => {
  await assert.rejects(handshake(h.port(REALM), ORIGINAL_JSSE));
  // …and modern clients are not offered the legacy certificate on the realm port.
  const modern = await handshake(h.port(REALM), { rejectUnauthorized: false });
  assert.notEqual(modern.getPeerX509Certificate()!.publicKey.asymmetricKeyType, "rsa");
  modern.destroy();
});

test("the legacy port refuses what the original could not do: TLS 1.3 and ECDHE-only clients", async () => {
  const port = legacyPort(REALM)!;
  await assert.rejects(handshake(port, { rejectUnauthorized: false, minVersion: "TLSv1.3" }));
  await assert.rejects(
    handshake(port, { ...ORIGINAL_JSSE, ciphers: "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256" }),
  );
});

test("clearing the setting closes the port; setting it again serves the same certificate", async () => {
  const port = legacyPort(REALM)!;
  const before = await handshake(port, ORIGINAL_JSSE);
  const fingerprint = before.getPeerX509Certificate()!.fingerprint256;
  before.destroy();

  await setLegacyPort(REALM, null);
  assert.equal(legacyPort(REALM), undefined);
  await assert.rejects(handshake(port, ORIGINAL_JSSE), /ECONNREFUSED/);

  await setLegacyPort(REALM, 64745);
  const again = await handshake(legacyPort(REALM)!, ORIGINAL_JSSE);
  assert.equal(again.getPeerX509Certificate()!.fingerprint256, fingerprint, "kept in realm_legacy_tls_keys");
  again.destroy();
});

test("two realms asking for the same legacy port: reported as a listen error, the daemon keeps serving", async () => {
  await setLegacyPort(OTHER, 64745);
  const err = h.daemon.listeners.listenErrors.get(64745);
  assert.ok(err, "listen error reported");
  assert.match(err.error, /already the legacy port of realm/);
  assert.equal(legacyPort(OTHER), undefined);
  // Both the realm ports and the first realm's legacy port still answer.
  const c = await OriginalClient.connect(HOST, legacyPort(REALM)!, 20_000, ORIGINAL_JSSE);
  clients.push(c);
  assert.equal((await c.query("ping")).status, "OK");
  const other = await h.connect(OTHER);
  await other.ping();
  await setLegacyPort(OTHER, null);
  assert.equal(h.daemon.listeners.listenErrors.get(64745), undefined);
});
