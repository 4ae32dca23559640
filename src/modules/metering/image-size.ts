import { imageSize } from 'image-size';

// The pixel size of an inline image, read from its header by `image-size`, so its prompt tokens can be counted by
// the provider's rules before the request is sent. Only the start of the base64 payload is decoded.

export interface ImageSize {
  width: number;
  height: number;
}

/** A JPEG's size sits after its EXIF and ICC segments, which stay well within this many bytes in practice. */
const HEADER_BYTES = 96 * 1024;

/** The size of a base64 payload's image, or undefined when it is no image we can read (then it counts as the largest). */
export function imageSizeOfBase64(base64: string): ImageSize | undefined {
  const chars = Math.ceil(HEADER_BYTES / 3) * 4;
  const bytes = Buffer.from(base64.slice(0, chars), 'base64');
  try {
    const { width, height } = imageSize(bytes);
    return width > 0 && height > 0 ? { width, height } : undefined;
  } catch {
    // Not an image format it knows, or a header cut off before its size.
    return undefined;
  }
}

/** The base64 payload of a `data:` URL (undefined for any other URL, or a data URL not in base64). */
export function base64OfDataUrl(url: string): string | undefined {
  const match = /^data:[^,]*;base64,/i.exec(url.slice(0, 256));
  return match ? url.slice(match[0].length) : undefined;
}
