// The `opengroove` command line: global flags, one subcommand per file in ./commands, help,
// and error reporting (one line + hint on stderr, exit codes from ./errors.ts).
import { escapeControls, terminalSafe } from "./safe-text.ts";
import { parseArgs } from "node:util";
import type { Command, CommandContext, GlobalOptions, OptionSpec, OptionValues } from "./command.ts";
import { ConfigStore, configDir, type Transport } from "./config.ts";
import { EXIT, report, usageError } from "./errors.ts";
import { COMMANDS } from "./commands/index.ts";

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  host: { type: "string", value: "HOST", description: "connect to this host instead of the realm's own" },
  port: { type: "string", value: "PORT", description: "connect to this port instead of the realm's own" },
  transport: {
    type: "string",
    value: "tls|tcp|ws|wss",
    description: "transport (default tls; wss and ws need the daemon's HTTP port)",
  },
  json: { type: "boolean", description: "machine-readable JSON output" },
  "config-dir": {
    type: "string",
    value: "DIR",
    description: "where credentials live (default $OPENGROOVE_CONFIG_DIR or $XDG_CONFIG_HOME/opengroove)",
  },
  help: { type: "boolean", short: "h", description: "show help" },
};

function optionHelp(options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, o]) => [
    `  ${o.short ? `-${o.short}, ` : ""}--${name}${o.value ? ` ${o.value}` : ""}`,
    o.description,
  ]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`).join("\n");
}

function mainHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    "Usage: opengroove <command> [arguments] [options]",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    "",
    "Global options:",
    optionHelp(GLOBAL_OPTIONS),
    "",
    "Run `opengroove <command> --help` for a command's arguments. Exit codes: 0 ok, 1 failure,",
    "2 usage, 3 authentication, 4 not found, 5 quota. See docs/cli.md.",
    "",
  ].join("\n");
}

function commandHelp(c: Command): string {
  return [
    `Usage: opengroove ${c.name} ${c.synopsis}`,
    "",
    c.summary,
    ...(c.details ? ["", c.details] : []),
    "",
    "Options:",
    optionHelp(c.options),
    "",
    "Global options:",
    optionHelp(GLOBAL_OPTIONS),
    "",
  ].join("\n");
}

/** Finds the subcommand: the first argument that is not an option or an option's value. */
function splitCommand(argv: string[]): { name?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") break;
    if (a.startsWith("-")) {
      const name = a.replace(/^--?/, "");
      const spec = GLOBAL_OPTIONS[name];
      if (spec?.type === "string" && !a.includes("=")) i++;
      continue;
    }
    return { name: a, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: argv };
}

function toParseOptions(
  specs: Record<string, OptionSpec>,
): Record<string, { type: "string" | "boolean"; short?: string }> {
  const out: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [k, v] of Object.entries(specs)) out[k] = v.short ? { type: v.type, short: v.short } : { type: v.type };
  return out;
}

function globals(values: OptionValues): GlobalOptions {
  const g: GlobalOptions = {
    json: values.json === true,
    configDir: configDir(typeof values["config-dir"] === "string" ? values["config-dir"] : undefined),
  };
  if (typeof values.host === "string") g.host = values.host;
  if (typeof values.port === "string") {
    const p = Number(values.port);
    if (!/^\d{1,5}$/.test(values.port) || p < 1 || p > 65535)
      throw usageError(`--port: "${values.port}" is not a port number (1-65535)`);
    g.port = p;
  }
  if (typeof values.transport === "string") {
    if (!["tls", "tcp", "ws", "wss"].includes(values.transport))
      throw usageError(`--transport: expected tls, tcp, ws or wss, not "${values.transport}"`);
    g.transport = values.transport as Transport;
  }
  return g;
}

export async function main(argv: string[]): Promise<number> {
  const { name, rest } = splitCommand(argv);
  if (!name || name === "help") {
    const topic = name === "help" ? COMMANDS.find((c) => c.name === rest.find((a) => !a.startsWith("-"))) : undefined;
    if (!name && !rest.some((a) => a === "--help" || a === "-h")) {
      if (rest.includes("--version")) {
        process.stdout.write("opengroove 0.1.0\n");
        return EXIT.ok;
      }
      process.stderr.write(mainHelp());
      return EXIT.usage;
    }
    process.stdout.write(topic ? commandHelp(topic) : mainHelp());
    return EXIT.ok;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) throw usageError(`unknown command "${name}"`, "run `opengroove --help` for the list of commands");
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: rest,
      options: toParseOptions({ ...GLOBAL_OPTIONS, ...cmd.options }),
      allowPositionals: true,
      strict: true,
    }) as { values: OptionValues; positionals: string[] };
  } catch (e) {
    const lines = (e as Error).message.split("\n");
    // parseArgs explains a value that starts with "-" on its later lines ("use '--token=-XYZ'").
    const dashHint = lines.find((l) => /starting with a dash/.test(l));
    throw usageError(`${cmd.name}: ${lines[0]}`, dashHint?.trim() ?? `run \`opengroove ${cmd.name} --help\``);
  }
  if (parsed.values.help) {
    process.stdout.write(commandHelp(cmd));
    return EXIT.ok;
  }
  const { positionals } = parsed;
  if (positionals.length < cmd.minArgs || positionals.length > cmd.maxArgs) {
    throw usageError(
      `${cmd.name}: expected ${cmd.minArgs === cmd.maxArgs ? cmd.minArgs : `${cmd.minArgs} to ${cmd.maxArgs}`} argument(s), got ${positionals.length}`,
      `usage: opengroove ${cmd.name} ${cmd.synopsis}`,
    );
  }
  const g = globals(parsed.values);
  const ctx: CommandContext = {
    args: positionals,
    opts: parsed.values,
    global: g,
    store: new ConfigStore(g.configDir),
    str: (k) => (typeof parsed.values[k] === "string" ? (parsed.values[k] as string) : undefined),
    flag: (k) => parsed.values[k] === true,
    // Everything written for people passes the one escaping rule (safe-text.ts); JSON output
    // is already escaped by JSON.stringify, and bytes piped elsewhere stay untouched.
    out: (t) => void process.stdout.write(terminalSafe(t, process.stdout.isTTY === true)),
    note: (t) => void process.stderr.write(`${escapeControls(t)}\n`),
    json: (v) =>
      void process.stdout.write(`${JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? Number(x) : x))}\n`),
  };
  return (await cmd.run(ctx)) ?? EXIT.ok;
}

async function flush(stream: NodeJS.WriteStream): Promise<void> {
  await new Promise<void>((resolve) => stream.write("", () => resolve()));
}

process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(EXIT.ok);
});

let code: number;
try {
  code = await main(process.argv.slice(2));
} catch (e) {
  code = report(e, process.stderr);
}
await flush(process.stdout);
await flush(process.stderr);
process.exit(code);
