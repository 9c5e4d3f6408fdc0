// The command names for `help`, read lazily from the dispatch table (which imports help.ts, so
// a direct import would be circular at load time).
let names: () => string[] = () => [];

export function setCommandNames(fn: () => string[]): void {
  names = fn;
}

export function COMMAND_NAMES(): string[] {
  return names();
}
