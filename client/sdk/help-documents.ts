// The SDK's help documents (listhelpdocuments, gethelpdocument, gethelpdocumenthash): HTML pages
// a realm's operators write in the console.
import { OpenGrooveError, type CommandCaller } from "./connection.ts";

export class HelpDocuments {
  constructor(private readonly c: CommandCaller) {}

  /** The documents' paths (each starts with /). */
  async list(): Promise<string[]> {
    const r = await this.c.request("listhelpdocuments");
    if (r.status === "NORESULTS") return [];
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "listhelpdocuments");
    return r.lines.filter((l) => l);
  }

  /** The document's HTML, or null when there is none at that path. */
  async get(path: string): Promise<string | null> {
    const r = await this.c.request("gethelpdocument", [path]);
    if (r.status === "NORESULTS") return null;
    if (r.status !== "OK") throw new OpenGrooveError(r.status, r.text, "gethelpdocument");
    return r.text;
  }

  /** SHA-256 (hex) of the document. */
  async hash(path: string): Promise<string> {
    return (await this.c.call("gethelpdocumenthash", [path])).text;
  }
}
