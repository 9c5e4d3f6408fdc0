// Public API of the OpenGroove wire-format codec (docs/protocol.md).
export {
  STATUS_WORDS,
  STATUS_WORD_LIST,
  isStatusWord,
  statusClosesConnection,
  type StatusWord,
  type StatusInfo,
} from "./status.ts";
export { ProtocolError, ok, fail, type Result, type Success, type Failure } from "./errors.ts";
export { checkTextFields, hasControlCharacter } from "./text-rule.ts";
export { PROTOCOL_LIMITS, type ProtocolLimits } from "./limits.ts";
export {
  GreetingMode,
  GreetingParser,
  ServerGreetingParser,
  SERVER_GREETING,
  SYNC_BYTE,
  encodeClientGreeting,
  encodeGreetingError,
  type GreetingEvent,
  type ClientGreeting,
  type ServerGreeting,
  type GreetingParserOptions,
} from "./greeting.ts";
export {
  FrameParser,
  FrameParserMode,
  checkPayloadLength,
  encodeFrame,
  type Frame,
  type FrameParseResult,
  type FrameParserOptions,
} from "./frame-parser.ts";
export {
  NOTIFICATION_EVENTS,
  NOTIFICATION_ID,
  decodeRequest,
  decodeReply,
  decodeServerPacket,
  decodeErrorNotification,
  encodeRequest,
  encodeReply,
  encodeErrorReply,
  encodeNotification,
  encodeErrorNotification,
  isValidPacketId,
  isPushId,
  nextPushId,
  isValidCommandName,
  splitFields,
  splitExactFields,
  splitWithTrailingData,
  joinFieldsWithTrailingData,
  type RequestPacket,
  type ReplyPacket,
  type NotificationPacket,
  type ServerPacket,
  type NotificationEvent,
  type PacketData,
  type FieldsWithData,
} from "./packet.ts";
export { textLines, keyValueMap, keyValueLines, keyValuesOf } from "./key-values.ts";
export { bytesToText, concatBytes, utf8Bytes } from "./bytes.ts";
export { encodeImmediateMessagePush, decodeImmediateMessagePush, type ImmediateMessagePush } from "./pushes.ts";
