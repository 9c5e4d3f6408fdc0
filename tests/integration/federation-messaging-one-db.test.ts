// The same tests as federation-messaging.test.ts, with every realm on ONE database (each served by its own
// daemon), as the two default realms of an install share theirs.
export {};
process.env.OG_FEDERATION_LAYOUT = "one-db";
await import("./federation-messaging.test.ts");
