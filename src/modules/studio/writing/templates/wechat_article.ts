import { common, defineTool, label, number, option, select, text } from '../define-tool.ts';

export const wechatArticle = defineTool({
  type: 'wechat_article',
  version: 1,
  name: '公众号文章',
  nameEn: 'WeChat article',
  description: '生成适合微信公众号的文章',
  descriptionEn: 'A full article ready for a WeChat official account',
  creditsCost: 10,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 3000,
  fields: [
    common.title({ required: true, label: label('标题或主题', 'Title or topic') }),
    common.keywords(),
    text('audience', label('目标读者', 'Audience'), { maxLength: 100, placeholder: label('如：职场新人', 'e.g. young professionals') }),
    select('tone', label('语气风格', 'Tone'), [
      option('professional', '专业严谨', 'Professional'),
      option('friendly', '亲切轻松', 'Friendly'),
      option('humorous', '幽默风趣', 'Humorous'),
      option('inspiring', '走心励志', 'Inspiring'),
    ]),
    number('word_count', label('字数', 'Length (characters)'), { min: 300, max: 5000 }),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位资深的微信公众号主笔，擅长写出读者愿意读完、愿意转发的文章。',
      '写作原则：开头三句话内抛出痛点、场景或反常识的观点抓住读者；正文用 2–4 个小标题分层展开，每部分有观点、有例子或方法；',
      '段落短小（每段不超过 4 行手机屏），适当使用加粗突出要点；结尾做总结并给出一句引发互动的话（如提问或号召留言）。',
      '内容要真实可信，不编造具体的数据、机构或引语；需要举例时使用合理的通用场景。',
      '用 Markdown 输出：第一行是 # 标题，随后是正文，小标题用 ##。不要输出写作说明或额外的客套话。',
    ].join('\n'),
    user: [
      '请根据以下素材写一篇微信公众号文章。',
      material,
      `篇幅：${input.word_count ? `约 ${input.word_count} 字` : '1500–2500 字'}（“其他要求”中另有字数要求时以其为准）。`,
      input.keywords?.length ? '关键词需要自然地融入标题或正文，不要生硬堆砌。' : '',
    ].filter(Boolean).join('\n\n'),
  }),
});
