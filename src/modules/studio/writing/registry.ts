import { TOOL_TYPES, type FieldKind, type Locale, type ToolType, type WritingTool } from './define-tool.ts';
import { academicPaper } from './templates/academic_paper.ts';
import { businessPlan } from './templates/business_plan.ts';
import { contentRewrite } from './templates/content_rewrite.ts';
import { lessonPlan } from './templates/lesson_plan.ts';
import { marketingCopy } from './templates/marketing_copy.ts';
import { newsArticle } from './templates/news_article.ts';
import { officialDocument } from './templates/official_document.ts';
import { resume } from './templates/resume.ts';
import { storyNovel } from './templates/story_novel.ts';
import { translation } from './templates/translation.ts';
import { videoScript } from './templates/video_script.ts';
import { wechatArticle } from './templates/wechat_article.ts';
import { workReport } from './templates/work_report.ts';
import { xiaohongshuNote } from './templates/xiaohongshu_note.ts';

// The writing tools by type. Keyed by ToolType, so a tool type without a template (or a template filed under the
// wrong type) is a compile error; the list follows TOOL_TYPES, the spec's order.

export { TOOL_TYPES, type Locale, type ToolInput, type ToolType, type WritingTool } from './define-tool.ts';

const TOOLS: { readonly [T in ToolType]: WritingTool<T> } = {
  wechat_article: wechatArticle,
  xiaohongshu_note: xiaohongshuNote,
  official_document: officialDocument,
  academic_paper: academicPaper,
  marketing_copy: marketingCopy,
  news_article: newsArticle,
  video_script: videoScript,
  story_novel: storyNovel,
  business_plan: businessPlan,
  work_report: workReport,
  resume,
  lesson_plan: lessonPlan,
  content_rewrite: contentRewrite,
  translation,
};

export const WRITING_TOOLS: readonly WritingTool[] = TOOL_TYPES.map((type) => TOOLS[type]);

const BY_TYPE = new Map<string, WritingTool>(WRITING_TOOLS.map((tool) => [tool.type, tool]));

/** The tool for a path's `tool_type`; undefined for anything else (including `constructor` and other object keys). */
export function writingTool(type: string): WritingTool | undefined {
  return BY_TYPE.get(type);
}

export interface PublicToolField {
  name: string;
  kind: FieldKind;
  label: string;
  required: boolean;
  placeholder?: string;
  max_length?: number;
  max_items?: number;
  options?: { value: string; label: string }[];
  min?: number;
  max?: number;
}

/** An item of GET /api/v1/writing/tools: the spec's four fields, then what a client needs to build the form. */
export interface PublicWritingTool {
  type: ToolType;
  name: string;
  description: string;
  credits_cost: number;
  fields: PublicToolField[];
  default_model: string;
  max_output_tokens: number;
  version: number;
}

export function publicTool(tool: WritingTool, locale: Locale = 'zh-CN'): PublicWritingTool {
  const en = locale === 'en';
  return {
    type: tool.type,
    name: en ? tool.nameEn : tool.name,
    description: en ? tool.descriptionEn : tool.description,
    credits_cost: tool.creditsCost,
    fields: tool.fields.map((f) => {
      const field: PublicToolField = { name: f.name, kind: f.kind, label: f.label[locale], required: f.required };
      if (f.placeholder) field.placeholder = f.placeholder[locale];
      if (f.kind === 'text' || f.kind === 'textarea') field.max_length = f.maxLength;
      if (f.kind === 'tags') field.max_items = f.maxItems;
      if (f.kind === 'select') field.options = f.options.map((o) => ({ value: o.value, label: o.label[locale] }));
      if (f.kind === 'number') Object.assign(field, { min: f.min, max: f.max });
      return field;
    }),
    default_model: tool.defaultModel,
    max_output_tokens: tool.maxOutputTokens,
    version: tool.version,
  };
}
