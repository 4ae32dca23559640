import { common, defineTool, label, number, option, select, text, textarea } from '../define-tool.ts';

const ARTICLE_KINDS = [option('press_release', '新闻稿', 'Press release'), option('advertorial', '软文', 'Advertorial')];

export const newsArticle = defineTool({
  type: 'news_article',
  version: 1,
  name: '新闻稿/软文',
  nameEn: 'Press release / advertorial',
  description: '根据事实撰写新闻稿，或写出自然植入品牌的软文',
  descriptionEn: 'A fact-based press release, or an advertorial that places your brand naturally',
  creditsCost: 10,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 2500,
  fields: [
    select('article_kind', label('稿件类型', 'Kind'), ARTICLE_KINDS),
    common.title({ required: true, label: label('标题或主题', 'Title or topic') }),
    text('organization', label('发布单位或品牌', 'Organisation or brand'), { maxLength: 100 }),
    textarea('facts', label('核心事实', 'Key facts'), {
      required: true,
      maxLength: 4000,
      placeholder: label('时间、地点、人物、事件、数据等', 'When, where, who, what, figures'),
    }),
    textarea('quotes', label('可引用的发言', 'Quotes to use'), { maxLength: 1000 }),
    common.keywords(),
    number('word_count', label('字数', 'Length (characters)'), { min: 300, max: 3000 }),
    common.requirements(),
  ],
  prompt: (input, material) => {
    const advertorial = input.article_kind === 'advertorial';
    return {
      system: [
        advertorial
          ? '你是一位资深的品牌内容编辑，擅长写读者愿意读完、品牌信息自然融入的软文。'
          : '你是一位资深的企业新闻发言人和财经记者，擅长写规范、可被媒体直接采用的新闻稿。',
        advertorial
          ? '软文写法：以一个真实可感的场景、故事或干货话题开头，先提供对读者有价值的信息，再在中后段自然引出品牌或产品，避免硬广腔和夸大其词。'
          : '新闻稿写法：倒金字塔结构；标题准确概括核心事实；导语一段写清何时、何地、何人、何事、为何、如何；主体按重要性展开细节和背景；结尾可附“关于××”的机构简介。',
        '只使用素材中给出的事实、数据和引语；素材没有提供发言时，不得虚构具名人物的引语；缺少的信息用“××”占位。',
        '遵守《广告法》，不使用绝对化用语。用 Markdown 输出：# 标题，正文分段，不附加写作说明。',
      ].join('\n'),
      user: [
        `请写一篇${advertorial ? '软文' : '新闻稿'}。`,
        material,
        `篇幅：${input.word_count ? `约 ${input.word_count} 字` : advertorial ? '1000–1500 字' : '600–1000 字'}（“其他要求”中另有字数要求时以其为准）。`,
      ].join('\n\n'),
    };
  },
});
