// The user's own account over the protocol: the data export (exportaccount + readexport,
// streamed to the caller chunk by chunk and checked against the server's SHA-256) and the
// account's deletion.
import crypto from "node:crypto";
import { keyValueLines } from "../../lib/protocol/index.ts";
import { CHUNK_BYTES, OpenGrooveError, type RealmClient } from "./client.ts";

export interface ExportInfo {
  id: string;
  filename: string;
  size: number;
  sha256: string;
}

export interface DeletedAccount {
  bytesReleased: bigint;
  messagesRetracted: number;
  workspacesLeft: number;
}

/**
 * Makes the export on the server, then hands its bytes in order to `write` (which may wait, e.g.
 * for a file stream). Throws when the bytes do not match the server's checksum.
 */
export async function exportAccount(
  client: RealmClient,
  write: (chunk: Buffer) => Promise<void> | void,
  onProgress?: (done: number, total: number) => void,
  onStart?: (size: number, filename: string) => void,
): Promise<ExportInfo> {
  const m = keyValueLines((await client.call("exportaccount")).lines);
  const info: ExportInfo = { id: m.id, filename: m.filename, size: Number(m.size), sha256: m.sha256 };
  if (!info.id || !Number.isSafeInteger(info.size))
    throw new OpenGrooveError("BADPACKET", "the server's export reply lacks id or size", "exportaccount");
  onStart?.(info.size, info.filename);
  const hash = crypto.createHash("sha256");
  let done = 0;
  while (done < info.size) {
    const len = Math.min(CHUNK_BYTES, info.size - done);
    const chunk = (await client.call("readexport", [info.id, String(done), String(len)])).data;
    if (chunk.length === 0) throw new OpenGrooveError("BADPACKET", `the export ended at ${done} of ${info.size} bytes`);
    hash.update(chunk);
    await write(chunk);
    done += chunk.length;
    onProgress?.(done, info.size);
  }
  const got = hash.digest("hex");
  if (got !== info.sha256)
    throw new OpenGrooveError(
      "BADPACKET",
      `the export's checksum does not match (got ${got}, expected ${info.sha256})`,
    );
  return info;
}

/** Deletes the logged-in account: its password and its username typed again. */
export async function deleteAccount(client: RealmClient, password: string, username: string): Promise<DeletedAccount> {
  const m = keyValueLines((await client.call("deleteaccount", [password, username])).lines);
  return {
    bytesReleased: BigInt(m.released ?? "0"),
    messagesRetracted: Number(m.retracted ?? 0),
    workspacesLeft: Number(m.workspacesleft ?? 0),
  };
}
