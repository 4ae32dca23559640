import { common, defineTool, label, option, select, textarea } from '../define-tool.ts';

const GENRES = [
  option('urban', '都市', 'Urban'),
  option('mystery', '悬疑', 'Mystery'),
  option('scifi', '科幻', 'Science fiction'),
  option('fantasy', '奇幻', 'Fantasy'),
  option('romance', '言情', 'Romance'),
  option('wuxia', '武侠', 'Wuxia'),
  option('history', '历史', 'Historical'),
  option('fairy_tale', '童话', 'Fairy tale'),
];

const LENGTHS = [
  option('micro', '微小说（约 800 字）', 'Flash fiction (~800 characters)'),
  option('short', '短篇（约 2500 字）', 'Short story (~2500 characters)'),
  option('chapter', '长篇章节（约 3000 字）', 'Novel chapter (~3000 characters)'),
];

const LENGTH_RULES: Record<(typeof LENGTHS)[number]['value'], string> = {
  micro: '写一篇约 800 字的微小说：只写一个场景，结尾有出人意料又合情合理的反转。',
  short: '写一篇约 2500 字的完整短篇：开端、发展、高潮、结局俱全，主角在故事中有变化。',
  chapter: '写长篇小说的一章，约 3000 字：以“第X章 章名”开头，推进主线，章末留下钩子让读者想看下一章。',
};

export const storyNovel = defineTool({
  type: 'story_novel',
  version: 1,
  name: '故事/小说',
  nameEn: 'Story / novel',
  description: '按题材和篇幅创作微小说、短篇故事或长篇章节',
  descriptionEn: 'Flash fiction, a short story or a novel chapter in the genre you choose',
  creditsCost: 15,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 5000,
  fields: [
    common.title({ required: true, label: label('标题或故事主题', 'Title or premise') }),
    select('genre', label('题材', 'Genre'), GENRES),
    select('length', label('篇幅', 'Length'), LENGTHS),
    textarea('characters', label('人物设定', 'Characters'), { maxLength: 2000 }),
    textarea('plot', label('情节梗概', 'Plot outline'), { maxLength: 4000 }),
    common.keywords(),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位出版过多部作品的小说家，文笔细腻，擅长塑造立体的人物和张弛有度的情节。',
      '创作原则：多用动作、对话和感官细节呈现，少用直白的概括和说教；人物的选择要有动机，冲突层层升级；对话符合人物身份；保持统一的叙事视角和时代背景。',
      '内容健康向上，不出现色情、血腥细节描写和违法违规内容。',
      '用 Markdown 输出：第一行是 # 标题，随后是正文，不写创作说明或作者旁白。',
    ].join('\n'),
    user: ['请根据以下设定创作。', material, LENGTH_RULES[input.length ?? 'short']].join('\n\n'),
  }),
});
