/**
 * Watches the raw bytes a client sends on an upgraded socket and reports the first
 * WebSocket frame whose payload exceeds `maxFrameBytes`. API Gateway limits frames (32 KB)
 * separately from messages (128 KB, which `ws` enforces through maxPayload); `ws` only
 * surfaces whole messages, so the frame headers are read here (RFC 6455, section 5.2).
 */
export function frameSizeGuard(
  maxFrameBytes: number,
  onOversize: (payloadBytes: number) => void,
): (chunk: Buffer) => void {
  let header: number[] = [];
  let payloadLeft = 0;
  let reported = false;

  return (chunk: Buffer) => {
    let offset = 0;
    while (offset < chunk.length && !reported) {
      if (payloadLeft > 0) {
        const skip = Math.min(payloadLeft, chunk.length - offset);
        payloadLeft -= skip;
        offset += skip;
        continue;
      }
      // A header is 2 to 14 bytes and may be split across chunks: take it byte by byte.
      header.push(chunk[offset]!);
      offset += 1;
      const parsed = parseHeader(Buffer.from(header));
      if (!parsed) continue;
      header = [];
      if (parsed.payloadBytes > maxFrameBytes) {
        reported = true;
        onOversize(parsed.payloadBytes);
        return;
      }
      payloadLeft = parsed.payloadBytes;
    }
  };
}

function parseHeader(header: Buffer): { headerBytes: number; payloadBytes: number } | undefined {
  if (header.length < 2) return undefined;
  const masked = (header[1]! & 0x80) !== 0;
  const length7 = header[1]! & 0x7f;
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
  const headerBytes = 2 + extended + (masked ? 4 : 0);
  if (header.length < headerBytes) return undefined;
  const payloadBytes =
    length7 === 126 ? header.readUInt16BE(2) : length7 === 127 ? Number(header.readBigUInt64BE(2)) : length7;
  return { headerBytes, payloadBytes };
}
