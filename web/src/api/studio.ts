import type { Locale } from '../i18n/i18n.tsx';
import { api, ApiError, openStream, type StudioPage } from './client.ts';
import { readSse } from './sse.ts';

// The creator studio's API (spec/studio-api.md: writing, image, video, PPT, creations): typed calls, and the writing
// tools' streaming variant read as server-sent events. Credits arrive as whole numbers.

/** Business codes of the studio envelope the console explains in its own words (429 is the HTTP status). */
export const STUDIO_ERROR = {
  creditsInsufficient: 40001,
  membershipExpired: 40002,
  aiCallFailed: 40006,
  generationFailed: 40007,
  rateLimited: 429,
} as const;

// ---- models -------------------------------------------------------------------------------------

export interface StudioModel {
  id: number;
  name: string;
  provider: string;
  model_name: string;
  is_active: boolean;
  credits_cost: number;
}

/** The models a creator may pick; an inactive one would only be refused. */
export const listStudioModels = async () => (await api.get<StudioModel[]>('/api/v1/models')).filter((m) => m.is_active);

// ---- writing ------------------------------------------------------------------------------------

export type FieldKind = 'text' | 'textarea' | 'tags' | 'select' | 'number';

/** One input of a writing tool, described by the server in the language the console asked for. */
export interface ToolField {
  name: string;
  kind: FieldKind;
  label: string;
  required: boolean;
  max_length?: number;
  max_items?: number;
  options?: { value: string; label: string }[];
  min?: number;
  max?: number;
}

export interface WritingTool {
  type: string;
  name: string;
  description: string;
  credits_cost: number;
  default_model: string;
  max_output_tokens: number;
  version: string;
  fields: ToolField[];
}

export type FieldValue = string | number | string[];
export type WritingBody = Record<string, FieldValue> & { model_id?: number };

export const listWritingTools = (locale: Locale) => api.get<WritingTool[]>('/api/v1/writing/tools', { locale });

export interface WritingDone {
  usage: { prompt_tokens: number; completion_tokens: number };
  credits_used: number;
  creation_id: number;
}

export interface StreamOptions {
  /** One per click: a retry of the same request is answered once and charged once. */
  idempotencyKey: string;
  /** Aborting stops the generation; the server keeps the text so far as a `truncated` creation. */
  signal?: AbortSignal;
  onDelta(text: string): void;
}

/** `error` events and a stream that ends without `done` carry this in ApiError.details. */
export interface StreamFailure {
  refunded: boolean;
}

/** Code of the ApiError thrown when the stream ends without `done` or `error` (a proxy or the network cut it). */
export const STREAM_CUT = 'stream_cut';

/**
 * Generates with a writing tool, calling `onDelta` for every piece of text as it arrives. Resolves with the `done`
 * event; rejects with an ApiError (the server's code, `details.refunded`) for an error before or during the stream,
 * and with the fetch's AbortError when `signal` aborts.
 */
export async function streamWriting(toolType: string, body: WritingBody, o: StreamOptions): Promise<WritingDone> {
  const res = await openWritingStream(`/api/v1/writing/${encodeURIComponent(toolType)}/generate/stream`, body, o);
  if (res.body) {
    for await (const event of readSse(res.body)) {
      if (event.event === 'delta') o.onDelta((JSON.parse(event.data) as { text: string }).text);
      else if (event.event === 'done') return JSON.parse(event.data) as WritingDone;
      else if (event.event === 'error') {
        const e = JSON.parse(event.data) as { code: number; message: string; refunded?: boolean };
        throw new ApiError(res.status, e.message, e.code, { refunded: e.refunded === true } satisfies StreamFailure);
      }
    }
  }
  throw new ApiError(res.status, 'the stream ended before the generation finished', STREAM_CUT);
}

const openWritingStream = (path: string, body: unknown, o: StreamOptions): Promise<Response> =>
  openStream('POST', path, { body, signal: o.signal, headers: { accept: 'text/event-stream', 'idempotency-key': o.idempotencyKey } });

// ---- image, video, PPT --------------------------------------------------------------------------

export const IMAGE_SIZES = ['1024x1024', '720x1280', '1280x720'] as const;
export type ImageSize = (typeof IMAGE_SIZES)[number];

export interface ImageBody {
  prompt: string;
  size: ImageSize;
  model_id?: number;
}

export interface ImageResult {
  image_url: string;
  credits_used: number;
  creation_id: number;
}

const withKey = (key: string) => ({ headers: { 'idempotency-key': key } });

export const generateImage = (body: ImageBody, key: string) => api.post<ImageResult>('/api/v1/image/generate', body, withKey(key));

/** Seconds of video the spec allows. */
export const VIDEO_DURATION = { min: 5, max: 60 } as const;
export const VIDEO_PHASES = ['queued', 'running', 'saving'] as const;
export type VideoPhase = (typeof VIDEO_PHASES)[number];

export interface VideoBody {
  script: string;
  duration: number;
  model_id?: number;
}

export interface VideoTask {
  task_id: string;
  status: 'processing' | 'completed' | 'failed';
  phase?: VideoPhase;
  video_url?: string;
  credits_used: number;
  error?: string;
}

export const generateVideo = (body: VideoBody, key: string) =>
  api.post<{ task_id: string; status: 'processing' }>('/api/v1/video/generate', body, withKey(key));
export const getVideoTask = (taskId: string) => api.get<VideoTask>(`/api/v1/video/${encodeURIComponent(taskId)}/status`);

export const SLIDE_COUNT = { min: 3, max: 30 } as const;

export interface PptBody {
  topic: string;
  outline?: string[];
  slide_count?: number;
  model_id?: number;
}

export interface PptResult {
  ppt_id: number;
  download_url: string;
  credits_used: number;
  slides: number;
}

export const generatePpt = (body: PptBody, key: string) => api.post<PptResult>('/api/v1/ppt/generate', body, withKey(key));

// ---- creations ----------------------------------------------------------------------------------

export const CREATION_TYPES = ['writing', 'image', 'video', 'ppt'] as const;
export type CreationType = (typeof CREATION_TYPES)[number];

export interface CreationFile {
  /** Signed and expiring: fetch the creation again for a fresh link. */
  url: string;
  content_type: string;
  size: number;
}

export interface Creation {
  id: number;
  type: CreationType;
  tool_type: string | null;
  title: string;
  content: string;
  /** `truncated`: the writer stopped (or lost) the stream; the text is kept but it is not a finished work. */
  status: 'final' | 'truncated';
  files: CreationFile[];
  created_at: string;
  updated_at: string;
}

export const listCreations = (type: CreationType | undefined, page: number, pageSize: number) =>
  api.get<StudioPage<Creation>>('/api/v1/creations', { type, page, page_size: pageSize });
export const getCreation = (id: number) => api.get<Creation>(`/api/v1/creations/${id}`);
/** The spec gives no answer body for PUT: read the creation again for what was saved. */
export const updateCreation = (id: number, body: { title?: string; content?: string }) => api.put<unknown>(`/api/v1/creations/${id}`, body);
export const deleteCreation = (id: number) => api.del<null>(`/api/v1/creations/${id}`);
