import { describe, expect, it } from 'vitest';
import { base64OfDataUrl, imageSizeOfBase64 } from './image-size.ts';
import { imageTokens, promptImages, type PromptImage } from './image-tokens.ts';
import { gifOf, jpegOf, pngOf, webpOf } from '../../../test/helpers/images.ts';

// Image inputs counted as the providers bill them (by pixels), for the hold's prompt estimate.

describe('imageSizeOfBase64', () => {
  it.each([
    ['PNG', pngOf(1024, 768), { width: 1024, height: 768 }],
    ['GIF', gifOf(320, 200), { width: 320, height: 200 }],
    ['JPEG behind its EXIF segment', jpegOf(4032, 3024), { width: 4032, height: 3024 }],
    ['WebP (VP8X)', webpOf(1920, 1080), { width: 1920, height: 1080 }],
  ])('reads the size of a %s', (_format, data, size) => {
    expect(imageSizeOfBase64(data)).toEqual(size);
  });

  it('reads nothing from bytes that are no image', () => {
    expect(imageSizeOfBase64(Buffer.from('not an image at all, just text').toString('base64'))).toBeUndefined();
    expect(imageSizeOfBase64('')).toBeUndefined();
  });

  it('takes the payload of a base64 data URL only', () => {
    expect(base64OfDataUrl('data:image/png;base64,AAAA')).toBe('AAAA');
    expect(base64OfDataUrl('data:image/svg+xml,<svg/>')).toBeUndefined();
    expect(base64OfDataUrl('https://example.com/cat.png')).toBeUndefined();
  });
});

const sized = (width: number, height: number, detail?: string): PromptImage => ({ size: { width, height }, detail, chars: 0 });
const unknown = (detail?: string): PromptImage => ({ detail, chars: 0 });

describe('imageTokens', () => {
  it("counts OpenAI's tiles: 85 at low detail, 85 + 170 per 512px tile after fitting 2048² and a 768 shortest side", () => {
    expect(imageTokens('openai', 'gpt-4o', sized(1024, 1024, 'low'))).toBe(85);
    // OpenAI's own examples: 1024² → 768² → 4 tiles; 2048 × 4096 → 1024 × 2048 → 768 × 1536 → 6 tiles.
    expect(imageTokens('openai', 'gpt-4o', sized(1024, 1024, 'high'))).toBe(765);
    expect(imageTokens('openai', 'gpt-4o', sized(2048, 4096))).toBe(1105);
    // A small image is not scaled up.
    expect(imageTokens('azure_openai', 'gpt-4o', sized(300, 200, 'auto'))).toBe(255);
  });

  it('counts an OpenAI image of unknown size as the largest one: 768 × 2048, 8 tiles', () => {
    expect(imageTokens('openai', 'gpt-4o', unknown())).toBe(85 + 8 * 170);
    expect(imageTokens('openai', 'gpt-4o', unknown('low'))).toBe(85);
  });

  it('uses the dearer rules of the OpenAI models that bill images differently', () => {
    expect(imageTokens('openai', 'gpt-4o-mini', sized(1024, 1024))).toBe(2833 + 4 * 5667);
    expect(imageTokens('openai', 'gpt-4.1-nano', unknown())).toBe(Math.ceil(1536 * 2.46));
    expect(imageTokens('openai', 'gpt-4.1-mini', sized(64, 64))).toBe(Math.ceil(4 * 1.62));
  });

  it('counts Anthropic images as width × height / 750, at most 1600, unknown sizes as the most', () => {
    expect(imageTokens('anthropic', 'claude-sonnet-4-5', sized(1092, 1092))).toBe(1590);
    expect(imageTokens('anthropic', 'claude-sonnet-4-5', sized(200, 200))).toBe(54);
    expect(imageTokens('anthropic', 'claude-sonnet-4-5', sized(8000, 8000))).toBe(1600);
    expect(imageTokens('anthropic', 'claude-sonnet-4-5', unknown())).toBe(1600);
  });

  it('counts Gemini images as 258 within 384², else 258 per 768px tile', () => {
    expect(imageTokens('gemini', 'gemini-2.5-flash', sized(384, 300))).toBe(258);
    expect(imageTokens('gemini', 'gemini-2.5-flash', sized(1000, 1000))).toBe(4 * 258);
    expect(imageTokens('gemini', 'gemini-2.5-flash', unknown())).toBe(16 * 258);
  });
});

describe('promptImages', () => {
  it("finds OpenAI image parts with their size, detail and share of the body, and Anthropic image blocks (tool results too)", () => {
    const png = pngOf(1024, 1024, 3000);
    const dataUrl = `data:image/png;base64,${png}`;
    const images = promptImages({
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Compare.' }, { type: 'image_url', image_url: { url: dataUrl, detail: 'low' } }, { type: 'image_url', image_url: 'https://example.com/a.jpg' }] },
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }, { type: 'image', source: { type: 'url', url: 'https://example.com/b.png' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }] }] },
        { role: 'assistant', content: 'no images here' },
      ],
    });
    expect(images).toEqual([
      { size: { width: 1024, height: 1024 }, detail: 'low', chars: dataUrl.length },
      { size: undefined, detail: undefined, chars: 'https://example.com/a.jpg'.length },
      { size: { width: 1024, height: 1024 }, chars: png.length },
      { chars: 'https://example.com/b.png'.length },
      { size: { width: 1024, height: 1024 }, chars: png.length },
    ]);
  });

  it('finds none in a text-only request', () => {
    expect(promptImages({ messages: [{ role: 'user', content: 'hi' }] })).toEqual([]);
    expect(promptImages({ prompt: 'hi' })).toEqual([]);
  });
});
