// The subcommands, in the order `opengroove --help` lists them.
import type { Command } from "../command.ts";
import { register } from "./register.ts";
import { login } from "./login.ts";
import { logout } from "./logout.ts";
import { whoami } from "./whoami.ts";
import { send } from "./send.ts";
import { inbox } from "./inbox.ts";
import { read } from "./read.ts";
import { del } from "./delete.ts";
import { watch } from "./watch.ts";
import { computers } from "./computers.ts";
import { quota } from "./quota.ts";
import { account } from "./account.ts";
import { installUrlHandler } from "./install-url-handler.ts";
import { workspace } from "./workspace.ts";
import { trustManagement } from "./trust-management.ts";
import { subscribe } from "./subscribe.ts";
import { visibility } from "./visibility.ts";
import { helpDocs } from "./help-docs.ts";
import { keys } from "./keys.ts";
import { peers } from "./peers.ts";

export const COMMANDS: Command[] = [
  register,
  login,
  logout,
  whoami,
  send,
  inbox,
  read,
  del,
  watch,
  computers,
  keys,
  peers,
  quota,
  account,
  workspace,
  subscribe,
  visibility,
  helpDocs,
  trustManagement,
  installUrlHandler,
];
