import { common, defineTool, label, option, optionLabel, select, text, textarea } from '../define-tool.ts';

const PERIODS = [
  option('weekly', '周报', 'Weekly report'),
  option('monthly', '月度总结', 'Monthly report'),
  option('quarterly', '季度总结', 'Quarterly report'),
  option('annual', '年终总结', 'Annual review'),
  option('project', '项目总结', 'Project review'),
];

const PERIOD_LENGTHS: Record<(typeof PERIODS)[number]['value'], string> = {
  weekly: '500–800 字，条目式，突出本周完成事项和下周计划',
  monthly: '1000–1500 字',
  quarterly: '1500–2000 字',
  annual: '2000–3000 字，增加全年亮点回顾和个人成长反思',
  project: '1500–2500 字，增加项目背景、目标达成情况和经验教训',
};

export const workReport = defineTool({
  type: 'work_report',
  version: 1,
  name: '工作报告',
  nameEn: 'Work report',
  description: '把零散的工作记录整理成结构清晰、成果量化的工作总结',
  descriptionEn: 'Turns rough notes into a structured work report with measurable results',
  creditsCost: 8,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 3000,
  fields: [
    select('report_period', label('报告类型', 'Report type'), PERIODS, { required: true }),
    common.title(),
    text('position', label('岗位或部门', 'Role or department'), { maxLength: 100 }),
    textarea('achievements', label('主要工作与成果', 'Work done and results'), {
      required: true,
      maxLength: 6000,
      placeholder: label('可以是零散的要点，尽量带上数据', 'Rough notes are fine; include figures where you can'),
    }),
    textarea('problems', label('问题与不足', 'Problems'), { maxLength: 2000 }),
    textarea('plans', label('下阶段计划', 'Next steps'), { maxLength: 2000 }),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位擅长向上汇报的职场写作教练，能把零散的工作记录整理成领导愿意看的工作报告。',
      '写作原则：结论先行；成果尽量量化（数量、比例、前后对比），并写出对团队或业务的价值；问题分析要具体、有原因、有改进措施，不空喊口号；计划要具体可执行，写明目标和时间节点。',
      '只使用素材中提供的事实和数据；缺少的数据用“〔数据待补充〕”标出，不得编造。',
      '用 Markdown 输出：# 标题，然后依次是 ## 一、工作概述 ## 二、主要工作与成果 ## 三、问题与反思 ## 四、下阶段计划；素材提到需要的资源支持时加 ## 五、需要的支持。不附加写作说明。',
    ].join('\n'),
    user: [
      `请整理成一份${optionLabel(PERIODS, input.report_period)}。`,
      material,
      `篇幅：${PERIOD_LENGTHS[input.report_period]}（“其他要求”中另有字数要求时以其为准）。`,
    ].join('\n\n'),
  }),
  title: (input) => [input.position, optionLabel(PERIODS, input.report_period)].filter(Boolean).join(' '),
});
