#!/usr/bin/env node
// The `opengroove` command: registers tsx so the TypeScript sources run directly from the repo.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
