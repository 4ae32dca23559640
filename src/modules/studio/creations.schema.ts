import { z } from 'zod';
import { hasControlCharacter } from '../../platform/control-chars.ts';
import { pageEnvelope, PageQuery, RowId, studioEnvelope } from '../../platform/envelopes.ts';
import { CREATION_STATUSES, CREATION_TYPES } from './studio.tables.ts';

// Request and response shapes of the studio spec's creations (`/api/v1/creations`).

export const CREATION_TITLE_MAX = 200;
export const CREATION_CONTENT_MAX = 200_000;

// The edge already refuses control escapes in JSON bodies; the schema says so too, so the rule holds (and is
// documented in /docs) wherever these shapes are used.
const noControl = (s: string) => !hasControlCharacter(s);
const CONTROL_MESSAGE = 'must not contain control characters other than tab, line feed and carriage return';

const Title = z.string().trim().min(1).max(CREATION_TITLE_MAX).refine(noControl, CONTROL_MESSAGE);
const Content = z.string().max(CREATION_CONTENT_MAX).refine(noControl, CONTROL_MESSAGE);

/** `?page=1&page_size=20&type=writing` (studio best practices: page_size defaults to 20, at most 100). */
export const CreationListQuery = PageQuery.extend({ type: z.enum(CREATION_TYPES).optional() });

export const CreationIdParams = z.strictObject({ id: RowId });

export const UpdateCreationBody = z
  .strictObject({ title: Title.optional(), content: Content.optional() })
  .refine((b) => b.title !== undefined || b.content !== undefined, 'give title, content or both');

export const CreationFileView = z.object({
  /** A signed, expiring link to Tollgate's file store, minted per response. */
  url: z.string(),
  content_type: z.string(),
  size: z.number().int(),
});

/** The documented generation facts a creation carries; anything else stored in `meta` is not answered. */
export const CreationMetaView = z.object({
  model: z.string().optional(),
  prompt: z.string().optional(),
  size: z.string().optional(),
  duration: z.number().optional(),
  slides: z.number().int().optional(),
  tool_version: z.string().optional(),
});

/** The spec's list item (id, type, tool_type, title, content, created_at) plus status, files, meta and updated_at. */
export const CreationView = z.object({
  id: z.number().int(),
  type: z.enum(CREATION_TYPES),
  tool_type: z.string().nullable(),
  title: z.string(),
  content: z.string(),
  status: z.enum(CREATION_STATUSES),
  files: z.array(CreationFileView),
  meta: CreationMetaView,
  created_at: z.string(),
  updated_at: z.string(),
});

export const CreationResponse = studioEnvelope(CreationView);
export const CreationPageResponse = studioEnvelope(pageEnvelope(CreationView));
