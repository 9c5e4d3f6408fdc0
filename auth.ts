// Auth.js looks for the app's auth here; the configuration lives in lib/auth/next-auth.ts so
// that lib (current-actor, current-user) never imports the root. Imports run app → lib.
export { handlers, auth, signIn, signOut } from "./lib/auth/next-auth.ts";
