import { common, defineTool, label, number, option, select } from '../define-tool.ts';

const PLATFORMS = [option('douyin', '抖音', 'Douyin'), option('kuaishou', '快手', 'Kuaishou'), option('xiaohongshu', '小红书', 'Xiaohongshu')];

const PLATFORM_RULES: Record<(typeof PLATFORMS)[number]['value'], string> = {
  douyin: '抖音：节奏快，前 3 秒必须有强钩子（悬念、冲突或结果前置），每 3–5 秒一个信息点或画面变化。',
  kuaishou: '快手：真实、接地气，像和老铁面对面唠嗑，多用生活化场景和朴实的口语。',
  xiaohongshu: '小红书：画面精致、有生活方式感，干货清单式表达，口吻像朋友分享。',
};

const STYLES = [
  option('talking_head', '口播', 'Talking head'),
  option('drama', '剧情', 'Short drama'),
  option('tutorial', '教程', 'Tutorial'),
  option('review', '测评', 'Review'),
  option('vlog', 'Vlog', 'Vlog'),
];

// Spoken Mandarin runs at about four characters a second, which turns the duration into a script length.
const CHARS_PER_SECOND = 4;

export const videoScript = defineTool({
  type: 'video_script',
  version: 1,
  name: '短视频脚本',
  nameEn: 'Short video script',
  description: '生成带分镜、台词和时长的短视频拍摄脚本',
  descriptionEn: 'A shot-by-shot short video script with lines and timing',
  creditsCost: 8,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 2000,
  fields: [
    common.title({ required: true, label: label('视频主题', 'Topic') }),
    select('platform', label('发布平台', 'Platform'), PLATFORMS),
    number('duration', label('时长（秒）', 'Duration (seconds)'), { min: 15, max: 600 }),
    select('style', label('视频形式', 'Format'), STYLES),
    common.keywords(),
    common.requirements(),
  ],
  prompt: (input, material) => {
    const seconds = input.duration ?? 60;
    return {
      system: [
        '你是一位短视频编导，做过多条百万播放的视频，擅长写能直接开拍的分镜脚本。',
        '脚本要求：开头 3 秒的钩子单独写出；全程有清晰的节奏和情绪起伏；台词口语化、短句化，适合念出来；结尾有互动或关注引导。',
        '用 Markdown 输出，依次为：',
        '## 标题备选（3 个）',
        '## 开头钩子',
        '## 分镜脚本：一个表格，列为 | 镜号 | 时长 | 画面 | 台词/旁白 | 字幕/音效 |，各镜头时长之和等于视频总时长；',
        '## 拍摄建议（道具、场景、机位，3–5 条）',
        '## 推荐话题标签（5 个，格式 #话题）',
        '不附加其他说明。',
      ].join('\n'),
      user: [
        '请为以下主题写一条短视频脚本。',
        material,
        `视频总时长 ${seconds} 秒，台词和旁白合计约 ${seconds * CHARS_PER_SECOND} 字。`,
        input.platform ? PLATFORM_RULES[input.platform] : '',
      ].filter(Boolean).join('\n\n'),
    };
  },
});
