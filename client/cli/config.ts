// Where the CLI keeps its state: credentials.json (the logged-in account, mode 0600) and
// known-realms.json (TLS fingerprints, verified with the trusted management server or pinned on
// first use, kept across logout), management.json (the trusted management server and its key) in
// $OPENGROOVE_CONFIG_DIR (plus keys/<user>/<computer>.json, the computer's encryption keys, and
// keys/<user>/<computer>.known.json, the contacts' keys it remembered), or $XDG_CONFIG_HOME/opengroove, or ~/.config/opengroove (mode 0700).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CliError, EXIT } from "./errors.ts";

export type Transport = "tls" | "tcp" | "ws" | "wss";

export interface Account {
  userId: string;
  realmId: string;
  username: string;
  computer: string;
  /** The protocol has no session tokens, so the password itself is stored (file mode 0600). */
  password: string;
  /** Where to connect (may differ from the realm id when --host/--port were given at login). */
  host: string;
  port: number;
  transport: Transport;
  /** Word sent in the greeting to pick the realm: its id, or a slug from --realm-name. */
  realmWord: string;
  savedAt: string;
}

export interface Pin {
  fingerprint: string;
  firstSeen: string;
}

/** A management server this CLI trusts: its address (client port) and pinned key fingerprint. */
export interface ManagementTrust {
  address: string;
  fingerprint: string;
  pinnedAt: string;
}

export function configDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  if (env.OPENGROOVE_CONFIG_DIR) return path.resolve(env.OPENGROOVE_CONFIG_DIR);
  const base =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME)
      ? env.XDG_CONFIG_HOME
      : path.join(os.homedir(), ".config");
  return path.join(base, "opengroove");
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(
      `reading ${file}`,
      "BADCONFIG",
      "the file is not valid JSON",
      EXIT.other,
      "fix or delete the file",
    );
  }
}

/** Writes atomically with mode 0600 in a 0700 directory. */
function writeJson(dir: string, file: string, value: unknown): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  fs.chmodSync(tmp, 0o600);
  fs.renameSync(tmp, file);
}

export class ConfigStore {
  constructor(readonly dir: string) {}

  get credentialsFile(): string {
    return path.join(this.dir, "credentials.json");
  }

  get pinsFile(): string {
    return path.join(this.dir, "known-realms.json");
  }

  loadAccount(): Account | undefined {
    const v = readJson(this.credentialsFile) as { version?: number; account?: Partial<Account> } | undefined;
    if (!v) return undefined;
    const a = v.account;
    const strings = [
      "userId",
      "realmId",
      "username",
      "computer",
      "password",
      "host",
      "transport",
      "realmWord",
    ] as const;
    if (!a || strings.some((k) => typeof a[k] !== "string") || typeof a.port !== "number") {
      throw new CliError(
        `reading ${this.credentialsFile}`,
        "BADCONFIG",
        "the stored login is incomplete",
        EXIT.auth,
        "run `opengroove logout`, then log in again",
      );
    }
    return a as Account;
  }

  requireAccount(): Account {
    const a = this.loadAccount();
    if (!a)
      throw new CliError(
        "not logged in",
        "NOTLOGGEDIN",
        `no credentials in ${this.credentialsFile}`,
        EXIT.auth,
        "run `opengroove login <user id> --computer NAME` first",
      );
    return a;
  }

  saveAccount(account: Account): void {
    writeJson(this.dir, this.credentialsFile, { version: 1, account });
  }

  /** Removes the credentials; returns whether there were any. */
  removeAccount(): boolean {
    try {
      fs.unlinkSync(this.credentialsFile);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw e;
    }
  }

  private loadPins(): Record<string, Pin> {
    const v = readJson(this.pinsFile) as { realms?: Record<string, Pin> } | undefined;
    return v?.realms ?? {};
  }

  pin(realmId: string): Pin | undefined {
    return this.loadPins()[realmId.toLowerCase()];
  }

  savePin(realmId: string, fingerprint: string): void {
    const realms = this.loadPins();
    realms[realmId.toLowerCase()] = { fingerprint, firstSeen: new Date().toISOString() };
    writeJson(this.dir, this.pinsFile, { version: 1, realms });
  }

  /** This computer's private keys for one account (docs/clients.md), mode 0600. */
  keyFile(userId: string, computer: string): string {
    return path.join(
      this.dir,
      "keys",
      encodeURIComponent(userId.toLowerCase()),
      `${encodeURIComponent(computer)}.json`,
    );
  }

  /** The contacts' computer keys this account+computer remembered (trust on first use). */
  knownKeysFile(userId: string, computer: string): string {
    return path.join(
      this.dir,
      "keys",
      encodeURIComponent(userId.toLowerCase()),
      `${encodeURIComponent(computer)}.known.json`,
    );
  }

  get managementFile(): string {
    return path.join(this.dir, "management.json");
  }

  /** The management server the CLI asks about realm keys (set by `opengroove trust-management`). */
  management(): ManagementTrust | undefined {
    const v = readJson(this.managementFile) as { current?: ManagementTrust } | undefined;
    const m = v?.current;
    return m && typeof m.address === "string" && typeof m.fingerprint === "string" ? m : undefined;
  }

  saveManagement(address: string, fingerprint: string): void {
    writeJson(this.dir, this.managementFile, {
      version: 1,
      current: { address, fingerprint, pinnedAt: new Date().toISOString() },
    });
  }
}
