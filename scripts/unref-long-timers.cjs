// Preloaded into the Prisma CLI: its wasm schema engine leaves a 10 s timer running after
// `migrate deploy` finishes, which keeps the process alive. Unref'ing long timers lets it exit
// as soon as the work is done; short timers (the CLI's real work) are untouched.
const orig = global.setTimeout;
global.setTimeout = function patchedSetTimeout(fn, ms, ...args) {
  const t = orig(fn, ms, ...args);
  if (typeof ms === "number" && ms >= 5000 && t && typeof t.unref === "function") t.unref();
  return t;
};
