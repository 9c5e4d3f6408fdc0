// The shape of a subcommand and the context it runs with (parsed options, config, output).
import type { ConfigStore, Transport } from "./config.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** Placeholder shown in help, e.g. "NAME". */
  value?: string;
  description: string;
}

export interface GlobalOptions {
  host?: string;
  port?: number;
  transport?: Transport;
  json: boolean;
  configDir: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface CommandContext {
  args: string[];
  opts: OptionValues;
  global: GlobalOptions;
  store: ConfigStore;
  str(name: string): string | undefined;
  flag(name: string): boolean;
  /** Writes to stdout. */
  out(text: string | Buffer): void;
  /** Writes a status line to stderr. */
  note(text: string): void;
  /** Prints a value as one JSON line on stdout. */
  json(value: unknown): void;
}

export interface Command {
  name: string;
  summary: string;
  /** Argument synopsis after the command name, e.g. "<user id> [options]". */
  synopsis: string;
  /** Extra paragraphs for --help. */
  details?: string;
  options: Record<string, OptionSpec>;
  minArgs: number;
  maxArgs: number;
  /** Returns the exit code (default 0). */
  run(ctx: CommandContext): Promise<number | void>;
}

export const PASSWORD_STDIN: OptionSpec = {
  type: "boolean",
  description: "read the password from the first line of stdin instead of prompting",
};
export const PROGRESS: OptionSpec = {
  type: "string",
  value: "MODE",
  description: "progress on stderr: auto (a bar on a terminal for large bodies), bar, lines, none",
};
