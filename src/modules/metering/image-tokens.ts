import type { ProviderName } from '../providers/catalog.ts';
import { base64OfDataUrl, imageSizeOfBase64, type ImageSize } from './image-size.ts';

// Images in a prompt, counted as each provider bills them — by pixel size, not by the bytes of their URL or base64
// payload — for the hold's prompt estimate. An image whose size cannot be read counts as the largest the provider bills.

/** One image of a prompt: its size when readable, and how many characters of the request body it takes. */
export interface PromptImage {
  size?: ImageSize;
  /** OpenAI's `detail` (`low`, `high`, `auto`). */
  detail?: string;
  /** Characters of the body that are the image (its URL or base64 data), not prompt text. */
  chars: number;
}

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The images of a chat or messages request: OpenAI `image_url` parts and Anthropic `image` blocks, including those
 * inside Anthropic tool results.
 */
export function promptImages(body: Json): PromptImage[] {
  const images: PromptImage[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!isRecord(value)) return;
    if (value.type === 'image_url') {
      const part = value.image_url;
      const url = isRecord(part) ? part.url : part;
      if (typeof url !== 'string') return;
      const data = base64OfDataUrl(url);
      images.push({ size: data ? imageSizeOfBase64(data) : undefined, detail: isRecord(part) && typeof part.detail === 'string' ? part.detail : undefined, chars: url.length });
    } else if (value.type === 'image' && isRecord(value.source)) {
      const { data, url } = value.source;
      if (typeof data === 'string') images.push({ size: imageSizeOfBase64(data), chars: data.length });
      else if (typeof url === 'string') images.push({ chars: url.length });
    } else if ('content' in value) {
      visit(value.content);
    }
  };
  if (Array.isArray(body.messages)) for (const message of body.messages) if (isRecord(message)) visit(message.content);
  return images;
}

/** Scales `size` down (never up) to fit `box` × `box`, rounding up: a count from it may only err on the high side. */
function fit(size: ImageSize, box: number): ImageSize {
  const scale = Math.min(1, box / Math.max(size.width, size.height));
  return { width: Math.min(box, Math.ceil(size.width * scale)), height: Math.min(box, Math.ceil(size.height * scale)) };
}

const tilesOf = (size: ImageSize, tile: number) => Math.ceil(size.width / tile) * Math.ceil(size.height / tile);

/**
 * OpenAI's tiles: `low` detail is the base alone; otherwise the image is fitted into 2048², its shortest side brought
 * down to 768, and each 512px tile costs `tile` on top of `base`. The largest image is 768 × 2048: 8 tiles.
 */
function openAiTiles(image: PromptImage, base: number, tile: number): number {
  if (image.detail === 'low') return base;
  if (!image.size) return base + tile * 8;
  const boxed = fit(image.size, 2048);
  const shortest = Math.min(boxed.width, boxed.height);
  const scale = shortest > 768 ? 768 / shortest : 1;
  const scaled = { width: Math.min(boxed.width, Math.ceil(boxed.width * scale)), height: Math.min(boxed.height, Math.ceil(boxed.height * scale)) };
  return base + tile * tilesOf(scaled, 512);
}

/** OpenAI's patch-counted models: 32px patches, at most 1536 of them, times the model's multiplier (no `detail`). */
function openAiPatches(image: PromptImage, multiplier: number): number {
  const patches = image.size ? Math.min(1536, tilesOf(image.size, 32)) : 1536;
  return Math.ceil(patches * multiplier);
}

/** OpenAI models billed differently from gpt-4o's 85 + 170 per tile (those billed less need no entry). */
const OPENAI_RULES: [RegExp, (image: PromptImage) => number][] = [
  [/^gpt-4o-mini/i, (i) => openAiTiles(i, 2833, 5667)],
  [/^gpt-(4\.1|5)-mini/i, (i) => openAiPatches(i, 1.62)],
  [/^gpt-(4\.1|5)-nano/i, (i) => openAiPatches(i, 2.46)],
  [/^o4-mini/i, (i) => openAiPatches(i, 1.72)],
];

/** Anthropic: about width × height / 750, after the long edge is brought down to 1568px; never above ~1600. */
function anthropic(image: PromptImage): number {
  if (!image.size) return 1600;
  const s = fit(image.size, 1568);
  return Math.min(1600, Math.ceil((s.width * s.height) / 750));
}

/** Gemini: 258 for an image within 384², else 258 per 768px tile, once fitted into 3072². */
function gemini(image: PromptImage): number {
  const s = fit(image.size ?? { width: 3072, height: 3072 }, 3072);
  return s.width <= 384 && s.height <= 384 ? 258 : 258 * tilesOf(s, 768);
}

/** The others (Qwen-VL's rule, the dearest of them): a token per 28px square plus two, at most 16384 + 2. */
function patches28(image: PromptImage): number {
  return 2 + (image.size ? Math.min(16_384, Math.max(4, tilesOf(image.size, 28))) : 16_384);
}

/** The prompt tokens `provider` bills for `image` when it serves `model`. */
export function imageTokens(provider: ProviderName, model: string, image: PromptImage): number {
  switch (provider) {
    case 'openai':
    case 'azure_openai':
      return (OPENAI_RULES.find(([pattern]) => pattern.test(model))?.[1] ?? ((i: PromptImage) => openAiTiles(i, 85, 170)))(image);
    case 'anthropic':
      return anthropic(image);
    case 'gemini':
      return gemini(image);
    default:
      return patches28(image);
  }
}
