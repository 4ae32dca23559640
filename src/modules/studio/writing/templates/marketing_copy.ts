import { common, defineTool, label, option, select, text, textarea } from '../define-tool.ts';

const CHANNELS = [
  option('moments', '朋友圈', 'WeChat Moments'),
  option('ecommerce', '电商详情页', 'Product page'),
  option('poster', '海报/广告语', 'Poster or slogan'),
  option('social', '社交媒体帖子', 'Social media post'),
  option('sms', '短信/推送', 'SMS or push'),
];

const CHANNEL_RULES: Record<(typeof CHANNELS)[number]['value'], string> = {
  moments: '朋友圈文案：100–200 字，像朋友推荐一样真诚自然，可用少量 emoji，避免硬广腔。',
  ecommerce: '电商详情页：先用一句话定位产品，再按“卖点标题 + 说明”分 3–5 组展开，最后是规格、售后等信任信息的提示。',
  poster: '海报/广告语：主标题不超过 12 个字，副标题不超过 24 个字，再给 3 句可选的短口号。',
  social: '社交媒体帖子：200–400 字，开头抓人，分段清晰，结尾附 3–5 个话题标签。',
  sms: '短信/推送：每条不超过 70 个字（含签名位“【品牌】”），写 3 条不同角度的版本。',
};

export const marketingCopy = defineTool({
  type: 'marketing_copy',
  version: 1,
  name: '营销文案',
  nameEn: 'Marketing copy',
  description: '围绕产品卖点生成多渠道的营销文案和标题备选',
  descriptionEn: 'Sales copy and headline options built around your product’s selling points',
  creditsCost: 6,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 1500,
  fields: [
    text('product', label('产品或服务', 'Product or service'), { required: true, maxLength: 100 }),
    textarea('selling_points', label('核心卖点', 'Selling points'), {
      required: true,
      maxLength: 2000,
      placeholder: label('每行一个卖点，可附价格、优惠等信息', 'One per line; prices and offers welcome'),
    }),
    text('audience', label('目标人群', 'Audience'), { maxLength: 100 }),
    select('channel', label('投放渠道', 'Channel'), CHANNELS),
    common.title({ label: label('活动主题', 'Campaign') }),
    common.keywords(),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位资深的品牌营销文案策划，擅长把产品卖点翻译成用户利益，写出有画面感、能促成行动的文案。',
      '写作方法：从目标人群的痛点或渴望切入，用具体场景和利益点代替空泛形容词，突出 1–2 个最有力的卖点，结尾给出明确的行动号召。',
      '遵守《广告法》：不使用“最”“第一”“国家级”“100%”等绝对化用语，不做无法证实的功效或收益承诺，价格和优惠只使用素材中给出的信息。',
      '用 Markdown 输出，分三部分：## 标题备选（3 个）、## 正文、## 行动号召。不附加写作说明。',
    ].join('\n'),
    user: [
      '请为以下产品写营销文案。',
      material,
      input.channel ? CHANNEL_RULES[input.channel] : '未指定渠道：写一版通用的社交媒体文案，200–400 字。',
    ].join('\n\n'),
  }),
  title: (input) => `${input.product} 营销文案`,
});
