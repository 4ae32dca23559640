import { common, defineTool, label, number, option, select, text, textarea } from '../define-tool.ts';

const DOC_KINDS = [
  option('lesson_plan', '教案', 'Lesson plan'),
  option('courseware', '课件大纲', 'Slide outline'),
  option('both', '教案＋课件大纲', 'Lesson plan and slide outline'),
];

const LESSON_PLAN =
  '教案结构：## 基本信息（表格：课题、学科、年级、课时）、## 教学目标（按核心素养表述，可检测）、## 教学重点与难点、## 教学准备、' +
  '## 教学过程（按环节写：环节名称与用时、教师活动、学生活动、设计意图；各环节用时之和等于课时长度）、## 板书设计、## 作业布置（分层）、## 教学反思（留出要点提示）。';

const COURSEWARE = '课件大纲：逐页列出“第 N 页：页面标题”，每页 2–5 个要点，并给出配图或动画建议；首页为标题页，末页为小结与作业。';

const DOC_RULES: Record<(typeof DOC_KINDS)[number]['value'], string> = {
  lesson_plan: LESSON_PLAN,
  courseware: COURSEWARE,
  both: `${LESSON_PLAN}\n之后输出 ## 课件大纲。${COURSEWARE}`,
};

export const lessonPlan = defineTool({
  type: 'lesson_plan',
  version: 1,
  name: '教案/课件',
  nameEn: 'Lesson plan / courseware',
  description: '按新课标要求生成教案和课件大纲，环节与用时清楚',
  descriptionEn: 'A lesson plan and slide outline with clear stages and timing',
  creditsCost: 12,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 3500,
  fields: [
    common.title({ required: true, label: label('课题', 'Lesson topic') }),
    text('subject', label('学科', 'Subject'), { required: true, maxLength: 50 }),
    text('grade', label('年级或学段', 'Grade'), { required: true, maxLength: 50, placeholder: label('如：初二、高一、大学一年级', 'e.g. Grade 8') }),
    number('duration', label('课时长度（分钟）', 'Duration (minutes)'), { min: 10, max: 240 }),
    select('doc_kind', label('生成内容', 'Document'), DOC_KINDS),
    textarea('objectives', label('教学目标或重点', 'Objectives or focus'), { maxLength: 2000 }),
    common.keywords(),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位经验丰富的一线教师和教研员，熟悉义务教育和普通高中课程标准，擅长设计以学生为中心、重视核心素养的课堂。',
      '设计原则：目标具体可检测；导入贴近学生生活；新授环节有层层递进的问题链和学生活动；练习有梯度；用语和难度符合所给年级的认知水平。',
      '知识内容必须准确；不确定的史实、数据、公式出处不要编造。',
      '用 Markdown 输出，第一行是 # 课题，不附加写作说明。',
    ].join('\n'),
    user: [
      '请为以下课题备课。',
      material,
      `课时长度：${input.duration ?? 45} 分钟。`,
      DOC_RULES[input.doc_kind ?? 'lesson_plan'],
    ].join('\n\n'),
  }),
});
