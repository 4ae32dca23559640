// The pixel size of an inline image, read from its header (PNG, GIF, WebP, JPEG), so its prompt tokens can be counted
// by the provider's rules before the request is sent. Only the start of the base64 payload is decoded.

export interface ImageSize {
  width: number;
  height: number;
}

/** A JPEG's size sits after its EXIF and ICC segments, which stay well within this many bytes in practice. */
const HEADER_BYTES = 96 * 1024;

/** The size of a base64 payload's image, or undefined when it is no image we can read. */
export function imageSizeOfBase64(base64: string): ImageSize | undefined {
  const chars = Math.ceil(HEADER_BYTES / 3) * 4;
  const bytes = Buffer.from(base64.slice(0, chars), 'base64');
  const size = png(bytes) ?? gif(bytes) ?? webp(bytes) ?? jpeg(bytes);
  return size && size.width > 0 && size.height > 0 ? size : undefined;
}

/** The base64 payload of a `data:` URL (undefined for any other URL, or a data URL not in base64). */
export function base64OfDataUrl(url: string): string | undefined {
  const match = /^data:[^,]*;base64,/i.exec(url.slice(0, 256));
  return match ? url.slice(match[0].length) : undefined;
}

const ascii = (b: Buffer, at: number, text: string) => b.length >= at + text.length && b.toString('latin1', at, at + text.length) === text;

function png(b: Buffer): ImageSize | undefined {
  if (b.length < 24 || !ascii(b, 1, 'PNG') || !ascii(b, 12, 'IHDR')) return undefined;
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

function gif(b: Buffer): ImageSize | undefined {
  if (b.length < 10 || !ascii(b, 0, 'GIF8')) return undefined;
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

function webp(b: Buffer): ImageSize | undefined {
  if (b.length < 30 || !ascii(b, 0, 'RIFF') || !ascii(b, 8, 'WEBP')) return undefined;
  const u8 = (i: number) => b[i] as number;
  if (ascii(b, 12, 'VP8 ')) return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (ascii(b, 12, 'VP8L')) {
    return { width: 1 + (((u8(22) & 0x3f) << 8) | u8(21)), height: 1 + (((u8(24) & 0x0f) << 10) | (u8(23) << 2) | ((u8(22) & 0xc0) >> 6)) };
  }
  if (ascii(b, 12, 'VP8X')) return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  return undefined;
}

/** Walks the segments to the first start-of-frame marker (SOF0–SOF15 except DHT, JPG and DAC). */
function jpeg(b: Buffer): ImageSize | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1] as number;
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
    }
    // Markers without a length: TEM and RST0–RST7.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      i += 2;
      continue;
    }
    i += 2 + b.readUInt16BE(i + 2);
  }
  return undefined;
}
