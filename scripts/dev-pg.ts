import { startEmbeddedPostgres } from "../lib/db/embedded-postgres.ts";
const h = await startEmbeddedPostgres({ dataDir: "/tmp/devpg", port: 55432 });
console.log("URL", h.url("opengroove_dev"));
const pg = (await import("pg")).default;
const c = new pg.Client(h.url()); await c.connect(); await c.query("create database opengroove_dev").catch(()=>{}); await c.end();
console.log("ready");
setInterval(()=>{}, 1e9);
