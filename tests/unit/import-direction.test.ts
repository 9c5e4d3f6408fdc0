// Imports run one way: app, daemons, client and scripts import lib; lib imports only lib (and
// packages). And in lib and client no two modules import each other, directly or through
// others (a cycle makes load order matter and hides which layer owns what). Static: reads the
// import specifiers.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");
const SOURCE_DIRS = ["lib", "app", "client", "realm-daemon", "management-daemon", "scripts"];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "node_modules" && e.name !== "generated") out.push(...sourceFiles(p));
    } else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Relative import specifiers of a file, resolved to absolute paths (type-only imports too). */
function localImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"/g)].map((m) => m[1]!);
  specs.push(...[...text.matchAll(/import\(\s*"(\.[^"]+)"\s*\)/g)].map((m) => m[1]!));
  return specs.map((s) => path.resolve(path.dirname(file), s));
}

const files = [...SOURCE_DIRS.flatMap((d) => sourceFiles(path.join(root, d))), path.join(root, "auth.ts")];
const rel = (p: string) => path.relative(root, p);

test("lib imports only lib", () => {
  const lib = path.join(root, "lib") + path.sep;
  const outward = files
    .filter((f) => f.startsWith(lib))
    .flatMap((f) =>
      localImports(f)
        .filter((t) => !t.startsWith(lib))
        .map((t) => `${rel(f)} -> ${rel(t)}`),
    );
  assert.deepEqual(outward, []);
});

// lib and client only for now: the daemons' handlers and their connection still import each
// other (the connection engine of issue #10 gives handlers a narrow context instead).
const ACYCLIC = ["lib", "client"].map((d) => path.join(root, d) + path.sep);

test("no import cycles in lib and client", () => {
  const graph = new Map(
    files
      .filter((f) => ACYCLIC.some((d) => f.startsWith(d)))
      .map((f) => [f, localImports(f).filter((t) => fs.existsSync(t))]),
  );
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (f: string) => {
    state.set(f, "open");
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].map(rel).join(" -> "));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});
