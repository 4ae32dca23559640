import { common, defineTool, label, option, select, tags, text, textarea } from '../define-tool.ts';

const DOC_KINDS = [
  option('resume', '简历', 'Résumé'),
  option('cover_letter', '求职信', 'Cover letter'),
  option('both', '简历＋求职信', 'Résumé and cover letter'),
];

const DOC_RULES: Record<(typeof DOC_KINDS)[number]['value'], string> = {
  resume: '输出一份简历。',
  cover_letter: '输出一封求职信。',
  both: '先输出简历，再用“---”分隔后输出求职信。',
};

export const resume = defineTool({
  type: 'resume',
  version: 1,
  name: '简历/求职信',
  nameEn: 'Résumé / cover letter',
  description: '针对目标岗位优化简历，或写一封打动招聘方的求职信',
  descriptionEn: 'A résumé tailored to the role you want, or a cover letter for it',
  creditsCost: 10,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 2500,
  fields: [
    text('position', label('目标岗位', 'Target role'), { required: true, maxLength: 100 }),
    select('doc_kind', label('生成内容', 'Document'), DOC_KINDS),
    text('name', label('姓名', 'Name'), { maxLength: 50 }),
    text('company', label('目标公司', 'Target company'), { maxLength: 100 }),
    textarea('experience', label('工作或项目经历', 'Experience'), {
      required: true,
      maxLength: 6000,
      placeholder: label('公司、职位、时间、做了什么、取得了什么结果', 'Company, role, dates, what you did and achieved'),
    }),
    textarea('education', label('教育背景', 'Education'), { maxLength: 2000 }),
    tags('skills', label('技能与证书', 'Skills and certificates'), { maxItems: 20 }),
    common.title(),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位资深的招聘经理和职业规划顾问，看过上万份简历，知道招聘方在 10 秒内会看什么。',
      '简历要求：紧扣目标岗位的能力要求取舍内容；每条经历以动词开头，按 STAR 法则写出行动和可量化的结果；',
      '结构依次为 # 姓名、求职意向、## 个人优势（3–4 条）、## 工作经历、## 项目经历、## 教育背景、## 技能证书。',
      '求职信要求：300–500 字，称呼得体，开头说明应聘的岗位，中间用 2–3 个具体经历证明与岗位的匹配，结尾表达面试意愿并致谢。',
      '只根据用户提供的经历润色和组织，不得虚构公司、职位、时间、数据和证书；缺少的信息用“〔待补充〕”标出；不主动加入年龄、婚育、籍贯等与岗位无关的个人信息。',
      '用 Markdown 输出，不附加写作说明。',
    ].join('\n'),
    user: ['请根据以下信息撰写求职材料。', material, DOC_RULES[input.doc_kind ?? 'resume']].join('\n\n'),
  }),
  title: (input) => `${input.position} ${input.doc_kind === 'cover_letter' ? '求职信' : '简历'}`,
});
