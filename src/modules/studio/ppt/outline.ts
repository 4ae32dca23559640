import { z } from 'zod';

// The deck outline the model writes as JSON, validated before anything is rendered. The model's text is untrusted:
// every string is cleaned of characters XML 1.0 forbids (one stray control character makes PowerPoint "repair" the
// file), and empty optional strings and nulls — which models emit freely — count as absent.

export const OUTLINE_LIMITS = {
  slides: 40,
  title: 60,
  subtitle: 120,
  bullet: 120,
  bulletsPerSlide: 40,
  bulletsPerColumn: 20,
  heading: 40,
  imagePrompt: 400,
  columns: 6,
  rows: 12,
  column: 40,
  cell: 80,
  notes: 1500,
} as const;

const L = OUTLINE_LIMITS;

// XML 1.0 allows tab, LF and CR among the C0 controls, and no U+FFFE/U+FFFF or unpaired surrogate.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const blankToUndefined = (v: unknown) => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v);

/** One line of slide text: whitespace (newlines included) collapsed, so a title never breaks where the model typed. */
function line(max: number, min = 1) {
  return z
    .string()
    .transform((s) => s.replace(NOT_XML, '').replace(/\s+/g, ' ').trim())
    .pipe(z.string().min(min, { error: 'must not be empty' }).max(max, { error: `at most ${max} characters` }));
}

/** Free text that keeps its line breaks (speaker notes, the image description). */
function prose(max: number) {
  return z
    .string()
    .transform((s) => s.replace(NOT_XML, '').replace(/\r\n?/g, '\n').trim())
    .pipe(z.string().min(1, { error: 'must not be empty' }).max(max, { error: `at most ${max} characters` }));
}

const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

/**
 * A bullet is `{ text, level }` with level 0 (a point) or 1 (a sub-point under the point before it). A plain string
 * is accepted as shorthand for a level-0 bullet, because models write them that way unprompted and a repair round
 * trip for it would buy nothing; after parsing every bullet is the object form.
 */
export const bulletSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { text: v, level: 0 } : v),
  z.object({
    text: line(L.bullet),
    level: z.union([z.literal(0), z.literal(1)], { error: 'level must be 0 or 1' }).default(0),
  }),
);

const bullets = (max: number) => z.array(bulletSchema).min(1, { error: 'needs at least one bullet' }).max(max, { error: `at most ${max} bullets` });

const notes = optional(prose(L.notes));

const titled = { title: line(L.title), subtitle: optional(line(L.subtitle)), notes };

const column = z.object({ heading: optional(line(L.heading)), bullets: bullets(L.bulletsPerColumn) });

// Models put numbers in tables as numbers; a cell is text on the slide either way. An empty cell is allowed.
const cell = z.preprocess((v) => (typeof v === 'number' ? String(v) : v === null ? '' : v), line(L.cell, 0));

const tableSlide = z
  .object({
    layout: z.literal('table'),
    title: line(L.title),
    columns: z.array(line(L.column)).min(1, { error: 'needs at least one column' }).max(L.columns, { error: `at most ${L.columns} columns` }),
    rows: z.array(z.array(cell)).min(1, { error: 'needs at least one row' }).max(L.rows, { error: `at most ${L.rows} rows` }),
    notes,
  })
  .superRefine((t, ctx) => {
    t.rows.forEach((row, i) => {
      if (row.length !== t.columns.length) {
        ctx.addIssue({ code: 'custom', path: ['rows', i], message: `has ${row.length} cells, expected ${t.columns.length} (one per column)` });
      }
    });
  });

export const LAYOUTS = ['title', 'section', 'bullets', 'two_column', 'image_text', 'table', 'closing'] as const;

export const slideSchema = z.discriminatedUnion('layout', [
  z.object({ layout: z.literal('title'), ...titled }),
  z.object({ layout: z.literal('section'), ...titled }),
  z.object({ layout: z.literal('bullets'), title: line(L.title), bullets: bullets(L.bulletsPerSlide), notes }),
  z.object({ layout: z.literal('two_column'), title: line(L.title), left: column, right: column, notes }),
  z.object({ layout: z.literal('image_text'), title: line(L.title), bullets: bullets(L.bulletsPerColumn), image_prompt: prose(L.imagePrompt), notes }),
  tableSlide,
  z.object({ layout: z.literal('closing'), ...titled }),
]);

export const deckOutlineSchema = z.object({
  title: line(L.title),
  subtitle: optional(line(L.subtitle)),
  slides: z.array(slideSchema).min(1, { error: 'needs at least one slide' }).max(L.slides, { error: `at most ${L.slides} slides` }),
});

export type DeckOutline = z.output<typeof deckOutlineSchema>;
export type DeckOutlineInput = z.input<typeof deckOutlineSchema>;
export type Slide = DeckOutline['slides'][number];
export type Bullet = z.output<typeof bulletSchema>;
export type Layout = Slide['layout'];

export type ParsedOutline = { ok: true; outline: DeckOutline } | { ok: false; error: string };

const MAX_ISSUES = 6;

/** The model's raw answer → a valid outline, or a short error the repair prompt can quote back to it. */
export function parseOutline(text: string): ParsedOutline {
  const json = firstJsonObject(text);
  if (!json.ok) return json;
  let value: unknown;
  try {
    value = JSON.parse(json.text);
  } catch (err) {
    return { ok: false, error: `not valid JSON: ${(err as Error).message}` };
  }
  const result = deckOutlineSchema.safeParse(value);
  if (result.success) return { ok: true, outline: result.data };
  const lines = result.error.issues.slice(0, MAX_ISSUES).map((issue) => describeIssue(issue, value));
  const more = result.error.issues.length - MAX_ISSUES;
  return { ok: false, error: lines.join('\n') + (more > 0 ? `\n(and ${more} more)` : '') };
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const path = formatPath(issue.path);
  if (issue.code === 'invalid_union' && 'discriminator' in issue && issue.discriminator === 'layout') {
    const got = valueAt(input, issue.path);
    const what = got === undefined ? 'missing' : `${JSON.stringify(got)} is not a layout`;
    return `${path}: ${what}; use one of ${LAYOUTS.join(', ')}`;
  }
  return `${path || '(root)'}: ${issue.message}`;
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * The first balanced `{…}` in the text, looking inside a ```json fence first when there is one. Braces inside JSON
 * strings are skipped, so a bullet such as "用 {} 表示集合" does not end the object early.
 */
function firstJsonObject(text: string): { ok: true; text: string } | { ok: false; error: string } {
  const fenced = /```[a-zA-Z]*\s*\n?([\s\S]*?)```/.exec(text);
  const source = fenced?.[1]?.includes('{') ? fenced[1] : text;
  const start = source.indexOf('{');
  if (start < 0) return { ok: false, error: 'no JSON object found in the answer' };
  let depth = 0;
  let inString = false;
  for (let i = start; i < source.length; i++) {
    const ch = source[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return { ok: true, text: source.slice(start, i + 1) };
  }
  return { ok: false, error: 'the JSON object is not closed (the answer looks cut off)' };
}

export interface OutlineRequest {
  topic: string;
  /** Section headings the user asked for, in order. */
  outline?: string[];
  slideCount?: number;
  /** BCP 47 tag of the deck's language, e.g. `zh-CN` or `en`. */
  language: string;
}

const LANGUAGE_NAMES: Record<string, string> = { 'zh-CN': '简体中文', zh: '简体中文', 'zh-TW': '繁體中文', en: '英文（English）', 'en-US': '英文（English）', ja: '日文' };

const SHAPE = `你是演示文稿策划。根据用户给出的主题写一份幻灯片大纲。只输出一个 JSON 对象：不要解释，不要 Markdown 代码块，不要注释。

JSON 结构：
{"title": "演示文稿标题", "subtitle": "副标题（可选）", "slides": [幻灯片, ...]}

每张幻灯片都有 "layout" 字段，只能取以下 7 种之一，各自的字段如下：
- "title" 封面：{"layout": "title", "title": "…", "subtitle": "…（可选）"}
- "section" 章节过渡页：{"layout": "section", "title": "…", "subtitle": "…（可选）"}
- "bullets" 要点页：{"layout": "bullets", "title": "…", "bullets": ["一级要点", {"text": "二级要点", "level": 1}]}
- "two_column" 左右两栏（对比、前后、优缺点）：{"layout": "two_column", "title": "…", "left": {"heading": "…（可选）", "bullets": [...]}, "right": {"heading": "…（可选）", "bullets": [...]}}
- "image_text" 配图加要点：{"layout": "image_text", "title": "…", "bullets": [...], "image_prompt": "用一句话描述配图画面"}
- "table" 表格：{"layout": "table", "title": "…", "columns": ["列名", ...], "rows": [["单元格", ...], ...]}
- "closing" 结束页：{"layout": "closing", "title": "…", "subtitle": "…（可选）"}
任何一张幻灯片都可以再加 "notes" 字段：演讲者备注，写讲解这一页时要说的话。

规则：
- slides 共 1 到 ${L.slides} 张；第一张用 "title"，最后一张用 "closing"。
- bullets 数组的元素是字符串（一级要点）或 {"text": "…", "level": 1}（属于上一条的二级要点）；每条不超过 ${L.bullet} 字，短句为宜；bullets 页最多 ${L.bulletsPerSlide} 条，其余布局每栏最多 ${L.bulletsPerColumn} 条。
- 标题不超过 ${L.title} 字，副标题不超过 ${L.subtitle} 字，栏目标题不超过 ${L.heading} 字，备注不超过 ${L.notes} 字。
- 表格最多 ${L.columns} 列、${L.rows} 行，每一行的单元格数必须等于 columns 的个数，单元格不超过 ${L.cell} 字。
- 只输出 JSON 对象本身。`;

/** The prompt that asks the model for an outline of `deckOutlineSchema`'s shape. */
export function outlinePrompt(req: OutlineRequest): { system: string; user: string } {
  const language = LANGUAGE_NAMES[req.language] ?? req.language;
  const count = Math.min(L.slides, Math.max(1, Math.round(req.slideCount ?? (req.outline?.length ? req.outline.length * 2 + 2 : 10))));
  const parts = [`主题：${req.topic.trim()}`, `语言：幻灯片里的所有文字都使用${language}。`, `页数：约 ${count} 张幻灯片。`];
  if (req.outline?.length) {
    const sections = req.outline.map((s, i) => `${i + 1}. ${s.trim()}`).join('\n');
    parts.push(`按以下章节顺序组织内容，每个章节用一张 "section" 页开头：\n${sections}`);
  }
  return { system: SHAPE, user: parts.join('\n') };
}

const MAX_ECHO = 12_000;

/** The one retry: the same shape, the answer that failed and why, asking for the whole corrected object. */
export function repairPrompt(previousText: string, error: string): { system: string; user: string } {
  const previous = previousText.length > MAX_ECHO ? `${previousText.slice(0, MAX_ECHO)}…` : previousText;
  const user = `你上一次的输出不符合要求，错误如下：\n${error}\n\n上一次的输出：\n${previous}\n\n请修正这些错误，保持内容不变，重新输出完整的 JSON 对象（只输出 JSON）。`;
  return { system: SHAPE, user };
}
