// Image payloads for tests of image-input counting: just enough of each format's header for its size to be read.

/** A PNG of that size (base64), `padding` bytes longer, as a decoder would read its header. */
export function pngOf(width: number, height: number, padding = 0): string {
  const b = Buffer.alloc(33 + padding);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b, 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(width, 16);
  b.writeUInt32BE(height, 20);
  return b.toString('base64');
}

export function gifOf(width: number, height: number): string {
  const b = Buffer.alloc(13);
  b.write('GIF89a', 0, 'latin1');
  b.writeUInt16LE(width, 6);
  b.writeUInt16LE(height, 8);
  return b.toString('base64');
}

/** A JPEG whose frame header comes after an APP1 (EXIF) segment, as cameras write them. */
export function jpegOf(width: number, height: number): string {
  const app1 = Buffer.alloc(4 + 2000);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(2 + 2000, 2);
  const sof = Buffer.alloc(2 + 17);
  sof.writeUInt16BE(0xffc2, 0);
  sof.writeUInt16BE(17, 2);
  sof[4] = 8;
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app1, sof]).toString('base64');
}

export function webpOf(width: number, height: number): string {
  const b = Buffer.alloc(30);
  b.write('RIFF', 0, 'latin1');
  b.write('WEBP', 8, 'latin1');
  b.write('VP8X', 12, 'latin1');
  b.writeUIntLE(width - 1, 24, 3);
  b.writeUIntLE(height - 1, 27, 3);
  return b.toString('base64');
}

