import type { Database, Db } from '../../platform/db.ts';
import { badRequest, notFound } from '../../platform/errors.ts';
import { pageWindow } from '../../platform/envelopes.ts';
import { formatStudioTime, type Clock } from '../../platform/time.ts';
import * as creationsRepo from './creations.repo.ts';
import { CREATION_CONTENT_MAX, CREATION_TITLE_MAX } from './creations.schema.ts';
import type { CreationFile, CreationRow, CreationStatus, CreationType } from './studio.tables.ts';

// A creator's works (`/api/v1/creations`): what every studio generator saves, and what the creator lists, edits and
// deletes. Another user's creation, or a deleted one, is "not found".

/** The generation facts a creation may answer with; generators may store more, only these are shown. */
export interface CreationMeta {
  model?: string;
  prompt?: string;
  size?: string;
  duration?: number;
  slides?: number;
  tool_version?: string;
}

const META_TYPES: { [K in keyof Required<CreationMeta>]: 'string' | 'number' | 'integer' } = {
  model: 'string',
  prompt: 'string',
  size: 'string',
  duration: 'number',
  slides: 'integer',
  tool_version: 'string',
};

export interface SaveCreationInput {
  userId: number;
  type: CreationType;
  toolType?: string | null;
  title: string;
  content: string;
  /** `truncated` when the writer went away mid-stream; `final` otherwise. */
  status?: CreationStatus;
  files?: CreationFile[];
  meta?: CreationMeta & Record<string, unknown>;
  /** The paid generation that made it: saving again under the same id answers the first creation. */
  generationId?: string;
}

export interface CreationPatch {
  title?: string;
  content?: string;
}

/** The public shape of a creation (see creations.schema.ts `CreationView`). */
export interface PublicCreation {
  id: number;
  type: CreationType;
  tool_type: string | null;
  title: string;
  content: string;
  status: CreationStatus;
  files: { url: string; content_type: string; size: number }[];
  meta: CreationMeta;
  created_at: string;
  updated_at: string;
}

// PostgreSQL text cannot hold U+0000: one in a model's answer would fail the insert and lose a paid result.
const withoutNul = (text: string) => text.replaceAll('\u0000', '');

function publicMeta(meta: Record<string, unknown>): CreationMeta {
  const shown: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(META_TYPES)) {
    const value = meta[key];
    const fits = kind === 'string' ? typeof value === 'string' : kind === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value);
    if (fits) shown[key] = value;
  }
  return shown as CreationMeta;
}

export function createCreationService(deps: { database: Database; clock: Clock; fileUrl: (key: string) => string }) {
  const { database, clock, fileUrl } = deps;

  /** Generators pass what the creator typed (a prompt, a topic) as the title: it is clipped, not refused. */
  function titleOf(raw: string): string {
    const title = Array.from(withoutNul(raw).trim()).slice(0, CREATION_TITLE_MAX).join('').trim();
    if (!title) throw badRequest('A creation needs a title', { field: 'title' });
    return title;
  }

  function contentOf(raw: string): string {
    const content = withoutNul(raw);
    if (content.length > CREATION_CONTENT_MAX) {
      throw badRequest(`A creation holds at most ${CREATION_CONTENT_MAX} characters`, { field: 'content' });
    }
    return content;
  }

  return {
    view(row: CreationRow): PublicCreation {
      return {
        id: row.id,
        type: row.type,
        tool_type: row.toolType,
        title: row.title,
        content: row.content,
        status: row.status,
        files: row.files.map((f) => ({ url: fileUrl(f.key), content_type: f.contentType, size: f.size })),
        meta: publicMeta(row.meta),
        created_at: formatStudioTime(row.createdAt),
        updated_at: formatStudioTime(row.updatedAt),
      };
    },

    /** Saves a generator's result; in the generation's transaction when `tx` is given. */
    async save(input: SaveCreationInput, tx?: Db): Promise<CreationRow> {
      const now = clock.now();
      return creationsRepo.insert(tx ?? database.db, {
        userId: input.userId,
        type: input.type,
        toolType: input.toolType ?? null,
        title: titleOf(input.title),
        content: contentOf(input.content),
        status: input.status ?? 'final',
        files: input.files ?? [],
        meta: input.meta ?? {},
        generationId: input.generationId ?? null,
        createdAt: now,
        updatedAt: now,
      });
    },

    /** Newest first. */
    async list(userId: number, query: { type?: CreationType; page: number; pageSize: number }) {
      const { limit, offset } = pageWindow({ page: query.page, page_size: query.pageSize });
      return creationsRepo.list(database.db, userId, { type: query.type, limit, offset });
    },

    async get(userId: number, id: number): Promise<CreationRow> {
      const row = await creationsRepo.get(database.db, userId, id);
      if (!row) throw notFound('Creation');
      return row;
    },

    /** The creation a generation saved, if it is still there (a retry answers it instead of generating again). */
    byGeneration(userId: number, generationId: string, tx?: Db): Promise<CreationRow | undefined> {
      return creationsRepo.byGeneration(tx ?? database.db, userId, generationId);
    },

    async update(userId: number, id: number, patch: CreationPatch): Promise<CreationRow> {
      const row = await creationsRepo.update(database.db, userId, id, patch, clock.now());
      if (!row) throw notFound('Creation');
      return row;
    },

    /** A streamed creation's end: `final` with its whole text, or `truncated` with what was written before the writer left. */
    async setStatus(userId: number, id: number, status: CreationStatus, content?: string, tx?: Db): Promise<CreationRow> {
      const text = content === undefined ? undefined : contentOf(content);
      const row = await creationsRepo.setStatus(tx ?? database.db, userId, id, status, clock.now(), text);
      if (!row) throw notFound('Creation');
      return row;
    },

    /** Soft delete: the row stays so that a retried generation cannot make the creation again. */
    async remove(userId: number, id: number): Promise<void> {
      if (!(await creationsRepo.softDelete(database.db, userId, id, clock.now()))) throw notFound('Creation');
    },
  };
}

export type CreationService = ReturnType<typeof createCreationService>;
