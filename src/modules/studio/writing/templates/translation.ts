import { clipTitle, common, defineTool, label, leadLine, option, optionLabel, select, textarea } from '../define-tool.ts';

const LANGUAGES = [
  option('en', '英语', 'English'),
  option('zh-CN', '简体中文', 'Simplified Chinese'),
  option('ja', '日语', 'Japanese'),
  option('ko', '韩语', 'Korean'),
  option('fr', '法语', 'French'),
  option('de', '德语', 'German'),
  option('es', '西班牙语', 'Spanish'),
  option('ru', '俄语', 'Russian'),
];

/** "英语（English）": both names, so the model cannot mistake the target. */
const languageName = (code: (typeof LANGUAGES)[number]['value']) => {
  const lang = LANGUAGES.find((l) => l.value === code);
  return lang ? `${lang.label['zh-CN']}（${lang.label.en}）` : code;
};

export const translation = defineTool({
  type: 'translation',
  version: 1,
  name: '多语言翻译',
  nameEn: 'Translation',
  description: '在中、英、日、韩、法、德、西、俄之间翻译，保留原文格式',
  descriptionEn: 'Translates between Chinese, English, Japanese, Korean, French, German, Spanish and Russian, keeping the format',
  creditsCost: 10,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 8000,
  fields: [
    textarea('content', label('原文', 'Text to translate'), { required: true, maxLength: 20_000 }),
    select('target_language', label('目标语言', 'Target language'), LANGUAGES, { required: true }),
    select('source_language', label('源语言', 'Source language'), LANGUAGES, {
      placeholder: label('留空则自动识别', 'Leave empty to detect'),
    }),
    common.title(),
    textarea('requirements', label('术语或风格要求', 'Glossary or style'), {
      maxLength: 2000,
      placeholder: label('如：“token”统一译为“令牌”；语气正式', 'e.g. translate “令牌” as “token”; formal tone'),
    }),
  ],
  prompt: (input, material) => {
    const target = languageName(input.target_language);
    const source = input.source_language ? languageName(input.source_language) : '自动识别';
    return {
      system: [
        `你是一位专业的${target}译者，译文做到忠实、通顺、地道，符合${optionLabel(LANGUAGES, input.target_language)}母语读者的表达习惯。`,
        '翻译原则：完整翻译全部内容，不增删信息、不加评论；保留原文的段落、换行、列表、标题层级和 Markdown 格式；',
        '代码、网址、邮箱、数字、单位和变量名保持原样；人名、地名、机构名采用通行译名，没有通行译名时音译并在首次出现处括注原文；',
        '遵守“术语或风格要求”中的术语对照。只输出译文本身，不要加代码围栏、标题说明或“以下是译文”之类的话。',
        '原文已经是目标语言时，只做校对润色后输出。',
      ].join('\n'),
      user: [`请把下面“原文”翻译成${target}。源语言：${source}。`, material].join('\n\n'),
    };
  },
  title: (input) => `翻译（${optionLabel(LANGUAGES, input.target_language)}）：${clipTitle(leadLine(input.content), 40)}`,
});
