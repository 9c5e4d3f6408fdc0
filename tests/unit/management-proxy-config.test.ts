// PROXY protocol on the management ports comes from validated environment variables; bad values
// are refused with the variable's name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { managementEnvSchema, proxyProtocolFromEnv } from "../../management-daemon/config.ts";
import { parseEnv } from "../../lib/config/env.ts";

const DB = { DATABASE_URL: "postgresql://u:p@127.0.0.1/x" };
const load = (env: Record<string, string>) => proxyProtocolFromEnv(parseEnv(managementEnvSchema, { ...DB, ...env }));

test("management PROXY protocol: off by default, both ports by default once balancers are named, or the ports listed", () => {
  assert.equal(load({}), undefined);
  assert.deepEqual(load({ OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM: "10.0.0.0/8, 192.0.2.7" }), {
    from: ["10.0.0.0/8", "192.0.2.7"],
    ports: ["client", "realm"],
  });
  assert.deepEqual(
    load({ OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM: "::1", OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS: " realm " }),
    { from: ["::1"], ports: ["realm"] },
  );
});

test("management PROXY protocol: bad values are refused with the variable's name", () => {
  assert.throws(
    () => load({ OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM: "10.0.0.0/33" }),
    /OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM: "10.0.0.0\/33" is not an IP address or CIDR/,
  );
  assert.throws(
    () =>
      load({
        OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM: "10.0.0.1",
        OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS: "63746",
      }),
    /OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS/,
  );
  assert.throws(
    () => load({ OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS: "client" }),
    /OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_PORTS needs OPENGROOVE_MANAGEMENT_PROXY_PROTOCOL_FROM/,
  );
});
