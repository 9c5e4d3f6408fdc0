// Every numeric limit of the wire format in one place (docs/protocol.md sections 2 and 3).

export interface ProtocolLimits {
  /** Longest packetId, in bytes (`[A-Za-z0-9_.-]{1,32}`). */
  readonly maxPacketIdBytes: number;
  /** Longest command name, in bytes (`[a-z0-9]{1,32}`). */
  readonly maxCommandBytes: number;
  /** Longest notification event name, in bytes (same alphabet as commands). */
  readonly maxEventBytes: number;
  /** Longest greeting line, in bytes, including its newline. */
  readonly maxGreetingLineBytes: number;
  /** Default for the daemon's `maxPacketBytes` setting (1 MiB). */
  readonly defaultMaxPacketBytes: number;
  /** Size of the big-endian length prefix of a packet. */
  readonly lengthPrefixBytes: number;
  /** Largest value the uint32 length prefix can carry; `maxPacketBytes` may not exceed it. */
  readonly maxLengthPrefixValue: number;
}

export const PROTOCOL_LIMITS: ProtocolLimits = Object.freeze({
  maxPacketIdBytes: 32,
  maxCommandBytes: 32,
  maxEventBytes: 32,
  maxGreetingLineBytes: 256,
  defaultMaxPacketBytes: 1_048_576,
  lengthPrefixBytes: 4,
  maxLengthPrefixValue: 0xffff_ffff,
});
