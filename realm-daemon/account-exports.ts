// Account exports over the protocol (exportaccount, readexport). The archive
// (lib/domain/account-export.ts) is streamed into a temporary file of this instance, private to
// the daemon's user, and read back by the client in chunks like a message; memory stays bounded
// whatever the account holds. One export per user at a time (a new one replaces the old), a few
// built at once per instance, each removed after `ttlMs` or when the daemon stops.
import crypto from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { openAccountExport } from "../lib/domain/account-export.ts";
import { DomainError } from "../lib/domain/errors.ts";

export interface ExportInfo {
  id: string;
  filename: string;
  size: number;
  sha256: string;
}

interface Held extends ExportInfo {
  userId: string;
  file: string;
  expiresAt: number;
}

export interface AccountExportOptions {
  dir?: string;
  ttlMs?: number;
  /** Exports built at the same time on this instance; more answer BUSY. */
  maxBuilding?: number;
}

export class AccountExports {
  private readonly held = new Map<string, Held>();
  private building = 0;
  readonly dir: string;
  private readonly ttlMs: number;
  private readonly maxBuilding: number;

  constructor(instanceId: string, opts: AccountExportOptions = {}) {
    this.dir = opts.dir ?? path.join(os.tmpdir(), `opengroove-exports-${instanceId}`);
    this.ttlMs = opts.ttlMs ?? 15 * 60_000;
    this.maxBuilding = opts.maxBuilding ?? 2;
  }

  async build(pool: pg.Pool, userId: string): Promise<ExportInfo> {
    await this.sweep();
    if (this.building >= this.maxBuilding)
      throw new DomainError("BUSY", "other exports are being made on this server; retry in a minute");
    this.building++;
    try {
      for (const [id, h] of this.held) if (h.userId === userId) await this.remove(id);
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      const id = crypto.randomBytes(16).toString("hex");
      const file = path.join(this.dir, `${id}.tar`);
      const exp = await openAccountExport(pool, userId);
      const hash = crypto.createHash("sha256");
      let size = 0;
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      try {
        await pipeline(exp.stream, count, createWriteStream(file, { mode: 0o600 }));
      } catch (e) {
        await rm(file, { force: true });
        if (e instanceof DomainError) throw e;
        throw new DomainError("FAIL", `the export could not be written here (${(e as Error).message}); retry later`);
      }
      const info: ExportInfo = { id, filename: exp.filename, size, sha256: hash.digest("hex") };
      this.held.set(id, { ...info, userId, file, expiresAt: Date.now() + this.ttlMs });
      return info;
    } finally {
      this.building--;
    }
  }

  /** Up to `length` bytes of the caller's export from `offset` (fewer at the end). */
  async read(userId: string, id: string, offset: number, length: number): Promise<Uint8Array> {
    const h = this.held.get(id);
    if (!h || h.userId !== userId || h.expiresAt < Date.now())
      throw new DomainError(
        "NOSUCHEXPORT",
        "no such export (it expired, or was made through another server of this realm); run exportaccount again",
      );
    if (offset > h.size) throw new DomainError("INDEXOUTOFBOUNDS", `offset ${offset} is past the end (${h.size})`);
    const fh = await open(h.file, "r");
    try {
      const buf = Buffer.alloc(Math.min(length, h.size - offset));
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  private async remove(id: string): Promise<void> {
    const h = this.held.get(id);
    this.held.delete(id);
    if (h) await rm(h.file, { force: true });
  }

  async sweep(now = Date.now()): Promise<void> {
    for (const [id, h] of this.held) if (h.expiresAt < now) await this.remove(id);
  }

  /** The daemon stops: every export goes. */
  async close(): Promise<void> {
    this.held.clear();
    await rm(this.dir, { recursive: true, force: true });
  }
}
