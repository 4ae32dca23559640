import { common, defineTool, label, number, option, optionLabel, select, text, textarea } from '../define-tool.ts';

const PAPER_KINDS = [
  option('research', '研究论文', 'Research paper'),
  option('review', '文献综述', 'Literature review'),
  option('proposal', '开题报告', 'Thesis proposal'),
  option('course', '课程论文', 'Term paper'),
];

const STRUCTURES: Record<(typeof PAPER_KINDS)[number]['value'], string> = {
  research: '摘要、关键词、1 引言（研究背景、问题与意义、文献简评）、2 理论基础或研究设计、3 分析与讨论、4 结论与展望、参考文献',
  review: '摘要、关键词、1 引言（综述范围与方法）、2–4 按主题或时间脉络梳理研究进展并比较各观点、5 研究不足与未来方向、参考文献',
  proposal: '选题背景与意义、国内外研究现状、研究目标与内容、研究方法与技术路线、创新点、进度安排、预期成果、参考文献',
  course: '摘要、关键词、引言、2–3 个论证部分、结论、参考文献',
};

export const academicPaper = defineTool({
  type: 'academic_paper',
  version: 1,
  name: '论文写作',
  nameEn: 'Academic paper',
  description: '按学术规范撰写论文、综述或开题报告初稿',
  descriptionEn: 'A first draft of a paper, literature review or thesis proposal in academic style',
  creditsCost: 30,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 6000,
  fields: [
    common.title({ required: true, label: label('论文题目', 'Paper title') }),
    select('paper_kind', label('论文类型', 'Paper type'), PAPER_KINDS),
    text('discipline', label('学科领域', 'Discipline'), { maxLength: 100, placeholder: label('如：教育学、计算机科学', 'e.g. education, computer science') }),
    common.keywords(8),
    textarea('outline', label('已有思路或提纲', 'Your ideas or outline'), { maxLength: 4000 }),
    number('word_count', label('字数', 'Length (characters)'), { min: 1000, max: 6000 }),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位严谨的高校学术写作导师，帮助作者写出结构完整、论证清晰、符合学术规范的论文初稿。',
      '写作规范：',
      '1. 语言客观、准确、书面化，避免口语和主观夸张；论点之间有清楚的逻辑递进，每个论点有论据或分析支撑；',
      '2. 不编造实验数据、调查结果、统计数字和引文；需要实证数据的地方写“〔此处补充数据：……〕”，说明应补充什么；',
      '3. 参考文献只列出你确信真实存在的经典文献，按 GB/T 7714—2015 格式著录；不能确定时写“〔请补充参考文献〕”，宁缺毋滥；',
      '4. 摘要 200–300 字，包含研究目的、方法、结论；关键词 3–5 个；',
      '5. 用 Markdown 输出：# 论文题目，章节用 ## 和 ###，不附加写作说明。',
    ].join('\n'),
    user: [
      `请撰写一篇${optionLabel(PAPER_KINDS, input.paper_kind) ?? '研究论文'}初稿。`,
      material,
      `结构：${STRUCTURES[input.paper_kind ?? 'research']}。`,
      `篇幅：${input.word_count ? `约 ${input.word_count} 字` : '约 3000 字'}（“其他要求”中另有字数要求时以其为准）。`,
    ].join('\n\n'),
  }),
});
