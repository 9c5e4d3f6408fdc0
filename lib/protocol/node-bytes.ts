// Node side of the byte boundary. The codec (packet, frame-parser, greeting) works on plain
// Uint8Array so the browser can share it; the Node transports hand Buffers on to the daemons
// and the SDK, whose code uses Buffer's API. Wrapping is zero-copy.
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
