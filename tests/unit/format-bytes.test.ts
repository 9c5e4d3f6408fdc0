// The one byte formatter (console, account pages, CLI) and the form's size units.
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatBytes, fromBytes, GiB, MiB, toBytes } from "../../lib/format/bytes.ts";
import { sizeUnit } from "../../lib/console/form.ts";

test("binary units with at most one decimal", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1 KiB");
  assert.equal(formatBytes(4106), "4 KiB");
  assert.equal(formatBytes(1536n), "1.5 KiB");
  assert.equal(formatBytes(MiB), "1 MiB");
  assert.equal(formatBytes(5n * GiB), "5 GiB");
  assert.equal(formatBytes(100n * MiB), "100 MiB");
  assert.equal(formatBytes(1024n * GiB), "1 TiB");
  assert.equal(formatBytes(1024n * 1024n - 1n), "1 MiB");
});

test("a stored size comes back into the form in the unit it was typed in", () => {
  assert.deepEqual(fromBytes(5n * GiB), { value: "5", unit: "GiB" });
  assert.deepEqual(fromBytes(toBytes(1.5, "GiB")), { value: "1.5", unit: "GiB" });
  assert.deepEqual(fromBytes(5120n * MiB), { value: "5", unit: "GiB" });
  assert.deepEqual(fromBytes(100n * MiB), { value: "100", unit: "MiB" });
  assert.deepEqual(fromBytes(1500n * MiB), { value: "1500", unit: "MiB" });
});

test("size units: MiB/GiB, with the older MB/GB read as the same binary units", () => {
  assert.equal(sizeUnit.parse("GiB"), "GiB");
  assert.equal(sizeUnit.parse("GB"), "GiB");
  assert.equal(sizeUnit.parse("MB"), "MiB");
  assert.equal(sizeUnit.parse(undefined), "MiB");
  assert.equal(sizeUnit.safeParse("TB").success, false);
});
