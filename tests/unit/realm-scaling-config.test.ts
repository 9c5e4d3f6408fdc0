// The drain and failover timers of the realm daemon come from validated environment variables.
import { test } from "node:test";
import assert from "node:assert/strict";
import { configFromEnv, realmEnvSchema, REALM_DEFAULTS } from "../../realm-daemon/config.ts";
import { parseEnv } from "../../lib/config/env.ts";

const DB = { DATABASE_URL: "postgresql://u:p@127.0.0.1/x" };
const load = (env: Record<string, string>) => configFromEnv(parseEnv(realmEnvSchema, { ...DB, ...env })).limits;

test("shutdown grace, heartbeat and instance staleness are configurable, with defaults", () => {
  const d = load({});
  assert.equal(d.shutdownGraceMs, REALM_DEFAULTS.shutdownGraceMs);
  assert.equal(d.heartbeatMs, REALM_DEFAULTS.heartbeatMs);
  assert.equal(d.presenceStaleMs, REALM_DEFAULTS.presenceStaleMs);
  const l = load({
    OPENGROOVE_REALM_SHUTDOWN_GRACE_MS: "15000",
    OPENGROOVE_REALM_HEARTBEAT_MS: "1000",
    OPENGROOVE_REALM_INSTANCE_STALE_MS: "3000",
  });
  assert.deepEqual([l.shutdownGraceMs, l.heartbeatMs, l.presenceStaleMs], [15_000, 1_000, 3_000]);
});

test("bad timer values are refused with the variable's name", () => {
  assert.throws(() => load({ OPENGROOVE_REALM_SHUTDOWN_GRACE_MS: "soon" }), /OPENGROOVE_REALM_SHUTDOWN_GRACE_MS/);
  assert.throws(() => load({ OPENGROOVE_REALM_HEARTBEAT_MS: "10" }), /OPENGROOVE_REALM_HEARTBEAT_MS/);
  assert.throws(
    () => load({ OPENGROOVE_REALM_HEARTBEAT_MS: "1000", OPENGROOVE_REALM_INSTANCE_STALE_MS: "2000" }),
    /OPENGROOVE_REALM_INSTANCE_STALE_MS \(2000\) must be at least 3 × OPENGROOVE_REALM_HEARTBEAT_MS/,
  );
});

const full = (env: Record<string, string>) => configFromEnv(parseEnv(realmEnvSchema, { ...DB, ...env }));

test("advertised address and PROXY protocol settings: parsed, and refused with the variable's name", () => {
  const c = full({
    OPENGROOVE_REALM_ADVERTISE_HOST: "lb.example",
    OPENGROOVE_REALM_ADVERTISE_PORTS: "63745=64001, 63741=64002",
    OPENGROOVE_REALM_PROXY_PROTOCOL_FROM: "10.0.0.0/8, 192.0.2.7",
    OPENGROOVE_REALM_PROXY_PROTOCOL_PORTS: "63745",
  });
  assert.equal(c.advertiseHost, "lb.example");
  assert.deepEqual(
    [...c.advertisePorts!],
    [
      [63745, 64001],
      [63741, 64002],
    ],
  );
  assert.deepEqual(c.proxyProtocol, { from: ["10.0.0.0/8", "192.0.2.7"], ports: [63745], http: false });
  assert.equal(full({}).proxyProtocol, undefined);
  assert.throws(() => full({ OPENGROOVE_REALM_ADVERTISE_PORTS: "63745:64001" }), /OPENGROOVE_REALM_ADVERTISE_PORTS/);
  assert.throws(
    () => full({ OPENGROOVE_REALM_PROXY_PROTOCOL_FROM: "10.0.0.0/33" }),
    /OPENGROOVE_REALM_PROXY_PROTOCOL_FROM: "10.0.0.0\/33" is not an IP address or CIDR/,
  );
  assert.throws(
    () => full({ OPENGROOVE_REALM_PROXY_PROTOCOL_PORTS: "63745" }),
    /OPENGROOVE_REALM_PROXY_PROTOCOL_PORTS needs OPENGROOVE_REALM_PROXY_PROTOCOL_FROM/,
  );
});
