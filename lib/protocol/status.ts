// The status-word registry (docs/protocol.md section 4). Every reply carries exactly one of
// these words; `closesConnection` says whether the server hangs up after sending it.

export interface StatusInfo {
  /** What the word means, for logs and documentation. */
  readonly meaning: string;
  /** True when the connection does not survive this status (the sender closes it). */
  readonly closesConnection: boolean;
}

export const STATUS_WORDS = {
  OK: { meaning: "the request succeeded", closesConnection: false },
  FAIL: { meaning: "the request failed for a reason not covered by a more specific word", closesConnection: false },
  BADAUTH: { meaning: "authentication failed (wrong credentials or signature)", closesConnection: false },
  BADCOMPUTER: { meaning: "the computer is not valid for this user", closesConnection: false },
  QUOTAEXCEEDED: { meaning: "a storage or count quota would be exceeded", closesConnection: false },
  NOSUCHUSER: { meaning: "no such user", closesConnection: false },
  NOSUCHCOMPUTER: { meaning: "no such computer", closesConnection: false },
  NOSUCHMESSAGE: { meaning: "no such message", closesConnection: false },
  NOSUCHSUBSCRIPTION: { meaning: "no such subscription", closesConnection: false },
  NOSUCHREALM: { meaning: "no such realm on this server", closesConnection: false },
  NOSUCHWORKSPACE: { meaning: "no such workspace", closesConnection: false },
  NOSUCHEXPORT: {
    meaning: "no such account export (expired, or made through another server)",
    closesConnection: false,
  },
  NOSUCHCHANNEL: { meaning: "no such channel (or the caller is not a member)", closesConnection: false },
  ALREADYEXISTS: { meaning: "the object already exists", closesConnection: false },
  UNAUTHORIZED: { meaning: "the caller may not perform this operation", closesConnection: false },
  INVALIDMESSAGEID: { meaning: "the message id is malformed", closesConnection: false },
  INDEXOUTOFBOUNDS: { meaning: "an index or offset is out of range", closesConnection: false },
  NORESULTS: { meaning: "the query matched nothing", closesConnection: false },
  BADUSERNAME: { meaning: "the username is not acceptable", closesConnection: false },
  BADPASSWORD: { meaning: "the password is not acceptable", closesConnection: false },
  BADINVITE: { meaning: "the invitation is invalid, used or expired", closesConnection: false },
  REALMFULL: { meaning: "the realm has reached its user limit", closesConnection: false },
  REGISTRATIONCLOSED: { meaning: "the realm does not accept new registrations", closesConnection: false },
  CONTINUE: { meaning: "partial success; the client should send the next step", closesConnection: false },
  BADARGUMENTS: { meaning: "the command's arguments are malformed", closesConnection: false },
  UNKNOWNCOMMAND: { meaning: "the command is not known", closesConnection: false },
  NOTALLOWED: { meaning: "the command is not allowed in this connection state", closesConnection: false },
  RATELIMITED: { meaning: "too many requests; retry later", closesConnection: false },
  TOOLARGE: { meaning: "a packet exceeds maxPacketBytes", closesConnection: true },
  BADPACKET: { meaning: "a packet is malformed (zero length or bad header)", closesConnection: true },
  BADGREETING: { meaning: "the greeting or sync byte is malformed", closesConnection: true },
  TIMEOUT: { meaning: "no complete greeting or request within the time limit", closesConnection: true },
  BUSY: { meaning: "the server is too busy; retry later", closesConnection: false },
  INTERNALERROR: { meaning: "the server hit an internal error", closesConnection: false },
} as const satisfies Record<string, StatusInfo>;

export type StatusWord = keyof typeof STATUS_WORDS;

/** All status words, in registry order. */
export const STATUS_WORD_LIST: readonly StatusWord[] = Object.keys(STATUS_WORDS) as StatusWord[];

/** Exact (case-sensitive) membership test; `Object.hasOwn` so that "toString" etc. are not words. */
export function isStatusWord(s: string): s is StatusWord {
  return Object.hasOwn(STATUS_WORDS, s);
}

export function statusClosesConnection(status: StatusWord): boolean {
  return STATUS_WORDS[status].closesConnection;
}
