import { clipTitle, common, defineTool, label, leadLine, option, select, tags, textarea } from '../define-tool.ts';

const STYLES = [
  option('polish', '润色优化', 'Polish'),
  option('simplify', '通俗易懂', 'Simplify'),
  option('formal', '正式书面', 'More formal'),
  option('casual', '轻松口语', 'More casual'),
  option('expand', '扩写丰富', 'Expand'),
  option('condense', '精简压缩', 'Condense'),
  option('rephrase', '换种表达', 'Rephrase'),
];

const STYLE_RULES: Record<(typeof STYLES)[number]['value'], string> = {
  polish: '润色优化：修正错别字、语病和不通顺之处，让表达更准确流畅，保留原文的结构、语气和长度。',
  simplify: '通俗易懂：把术语和长句改成普通读者一读就懂的说法，必要时加简短的解释或比喻，长度与原文相当。',
  formal: '正式书面：改成规范、得体的书面语，去掉口语、网络用语和过多的感叹，适合正式场合。',
  casual: '轻松口语：改成亲切自然、像聊天一样的口语表达，可以适度幽默，但不改变事实。',
  expand: '扩写丰富：在不改变原意的前提下补充细节、例子和论证，篇幅扩展到原文的 1.5–2 倍。',
  condense: '精简压缩：删去重复和次要内容，保留核心观点和关键信息，篇幅压缩到原文的一半左右。',
  rephrase: '换种表达：保持原意和信息完整，重新组织句式和措辞，使表达与原文明显不同。',
};

export const contentRewrite = defineTool({
  type: 'content_rewrite',
  version: 1,
  name: '内容改写',
  nameEn: 'Rewrite',
  description: '润色、扩写、精简或换一种风格改写已有内容',
  descriptionEn: 'Polish, expand, condense or change the style of an existing text',
  creditsCost: 8,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 8000,
  fields: [
    textarea('content', label('原文', 'Original text'), { required: true, maxLength: 20_000 }),
    select('style', label('改写方式', 'Rewrite style'), STYLES, { required: true }),
    common.title(),
    tags('keywords', label('需保留的关键词', 'Keywords to keep')),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位经验丰富的文字编辑，能在忠于原意的前提下按要求改写各类文章。',
      '改写原则：不改变原文的事实、数据、人名、机构名和核心观点，不添加原文没有的事实性信息；“需保留的关键词”必须原样保留；',
      '原文使用 Markdown 或分段结构时保持相应的格式。只输出改写后的正文，不要解释改动，不要加代码围栏。',
    ].join('\n'),
    user: ['请改写下面“原文”中的内容。', material, STYLE_RULES[input.style]].join('\n\n'),
  }),
  title: (input) => `改写：${clipTitle(leadLine(input.content), 50)}`,
});
