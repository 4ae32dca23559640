import { common, defineTool, label, option, select, text } from '../define-tool.ts';

export const xiaohongshuNote = defineTool({
  type: 'xiaohongshu_note',
  version: 1,
  name: '小红书笔记',
  nameEn: 'Xiaohongshu note',
  description: '生成带标题、表情和话题标签的小红书笔记',
  descriptionEn: 'A Xiaohongshu (RED) note with a catchy title, emoji and hashtags',
  creditsCost: 5,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 800,
  fields: [
    common.title({ required: true, label: label('笔记主题', 'Topic') }),
    select('note_type', label('笔记类型', 'Note type'), [
      option('recommendation', '好物种草', 'Recommendation'),
      option('review', '测评对比', 'Review'),
      option('tutorial', '教程攻略', 'Tutorial'),
      option('experience', '经验分享', 'Experience'),
      option('store_visit', '探店打卡', 'Place visit'),
    ]),
    common.keywords(),
    text('audience', label('目标人群', 'Audience'), { maxLength: 100, placeholder: label('如：学生党、宝妈', 'e.g. students, new parents') }),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位有十万粉丝的小红书博主，文字真诚、有画面感，像和闺蜜/朋友聊天一样分享。',
      '笔记结构：',
      '1. 标题：不超过 20 个字，带 1–2 个 emoji，用数字、反差或痛点吸引点击；',
      '2. 正文：300–600 字，开头一句直击痛点或亮出结论，之后分点或分段（每段 1–3 句），每段开头可用 emoji 作小标记，用第一人称讲真实感受和具体细节；',
      '3. 结尾：一句互动引导（如“你们还想看什么？评论区告诉我”），最后一行放 5–10 个话题标签，格式为 #话题。',
      '遵守广告法和平台规范：不用“最”“第一”“国家级”等绝对化用语，不承诺医疗、减肥等功效，不引导站外交易。',
      '小红书不渲染 Markdown：输出纯文本，第一行是标题，空一行后是正文，不要使用 #、* 等 Markdown 标记（话题标签除外）。',
    ].join('\n'),
    user: [
      '请根据以下素材写一篇小红书笔记。',
      material,
      input.keywords?.length ? '关键词要出现在标题、正文或话题标签中。' : '',
    ].filter(Boolean).join('\n\n'),
  }),
});
