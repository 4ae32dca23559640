import { z } from 'zod';
import { hasControlCharacter } from '../../platform/control-chars.ts';
import { studioEnvelope } from '../../platform/envelopes.ts';

// Request and response shapes of the studio spec's video generation (`/api/v1/video/*`).

export const VIDEO_SCRIPT_MAX = 2000;
/**
 * Seconds of video a creator may ask for. The spec's example asks for 30; what a model can make is the provider's
 * to say (DashScope's Wan 2.1/2.2 models make 5 s, newer ones 5 or 10): a duration the model refuses fails at submit
 * and its credits are released (40006, with the provider's words).
 */
export const VIDEO_DURATION_MIN = 5;
export const VIDEO_DURATION_MAX = 60;

export const VIDEO_STATUSES = ['processing', 'completed', 'failed'] as const;
export type VideoStatus = (typeof VIDEO_STATUSES)[number];
/** Where a processing task is: waiting at the provider, being made, or being copied into our file store. */
export const VIDEO_PHASES = ['queued', 'running', 'saving'] as const;
export type VideoPhase = (typeof VIDEO_PHASES)[number];

const CONTROL_MESSAGE = 'must not contain control characters other than tab, line feed and carriage return';

export const VideoGenerateBody = z.object({
  script: z
    .string()
    .max(VIDEO_SCRIPT_MAX)
    .refine((s) => s.trim().length > 0, 'must not be empty')
    .refine((s) => !hasControlCharacter(s), CONTROL_MESSAGE),
  duration: z.number().int().min(VIDEO_DURATION_MIN).max(VIDEO_DURATION_MAX),
  /** A model of the registry (`/api/v1/models`); the default video model when absent. */
  model_id: z.number().int().positive().optional(),
});
export type VideoGenerateBody = z.infer<typeof VideoGenerateBody>;

/** Task ids are ours (`gen_…`); anything else is simply not found, so the path takes any short string. */
export const VideoTaskParams = z.object({ task_id: z.string().min(1).max(100) });

export const VideoTaskView = z.object({ task_id: z.string(), status: z.enum(VIDEO_STATUSES) });
export type VideoTaskView = z.infer<typeof VideoTaskView>;

export const VideoStatusView = z.object({
  task_id: z.string(),
  status: z.enum(VIDEO_STATUSES),
  /** While `processing` only. */
  phase: z.enum(VIDEO_PHASES).optional(),
  /** A signed, expiring link to Tollgate's copy of the video (never the provider's link), once `completed`. */
  video_url: z.string().optional(),
  creation_id: z.number().int().optional(),
  /** What the ledger moved: the price once completed, 0 before and on failure (the credits were returned). */
  credits_used: z.number().int(),
  /** Why it failed (40006 the provider, 40007 the generation), once `failed`. */
  error: z.object({ code: z.number().int(), message: z.string() }).optional(),
});
export type VideoStatusView = z.infer<typeof VideoStatusView>;

export const VideoTaskResponse = studioEnvelope(VideoTaskView);
export const VideoStatusResponse = studioEnvelope(VideoStatusView);
