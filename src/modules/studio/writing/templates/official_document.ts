import { common, defineTool, label, option, optionLabel, select, text, textarea } from '../define-tool.ts';

const DOC_KINDS = [
  option('notice', '通知', 'Notice'),
  option('request', '请示', 'Request for instructions'),
  option('report', '报告', 'Report'),
  option('letter', '函', 'Letter'),
  option('minutes', '纪要', 'Minutes'),
];

// What each kind must and must not contain, from the rules for Party and government documents (党政机关公文处理工作条例).
const KIND_RULES: Record<(typeof DOC_KINDS)[number]['value'], string> = {
  notice: '通知：写明发文缘由、具体事项和执行要求，事项用层级序号分条列出，结尾可用“特此通知。”。',
  request: '请示：一文一事，只主送一个上级机关，写明请示缘由、请示事项和理由，结尾用“妥否，请批示。”或“以上请示，请予审批。”。',
  report: '报告：汇报工作情况、存在问题和下一步打算，不得夹带请示事项，结尾可用“特此报告。”。',
  letter: '函：用于不相隶属机关之间商洽工作、询问和答复问题，语气平和得体，结尾用“特此函告。”或“请予函复。”。',
  minutes: '纪要：概述会议基本情况（时间、地点、主持人、参会人员、议题），再以“会议认为”“会议要求”“会议议定”等分条写议定事项，不加主送机关和“特此”类结语。',
};

export const officialDocument = defineTool({
  type: 'official_document',
  version: 1,
  name: '公文写作',
  nameEn: 'Official document',
  description: '按党政机关公文规范起草通知、请示、报告、函、纪要',
  descriptionEn: 'Notices, requests, reports, letters and minutes in the standard Chinese official format',
  creditsCost: 10,
  defaultModel: 'qwen-plus',
  maxOutputTokens: 2500,
  fields: [
    select('doc_kind', label('文种', 'Document type'), DOC_KINDS, { required: true }),
    common.title({ required: true, label: label('标题或事由', 'Title or subject') }),
    text('issuer', label('发文机关', 'Issuing body'), { maxLength: 100 }),
    text('recipient', label('主送机关', 'Addressee'), { maxLength: 200 }),
    textarea('content', label('主要事项', 'Key points'), {
      required: true,
      maxLength: 6000,
      placeholder: label('列出要写入公文的事实、时间、要求等', 'Facts, dates and requirements the document must state'),
    }),
    common.requirements(),
  ],
  prompt: (input, material) => ({
    system: [
      '你是一位在机关办公室工作多年的公文写作专家，熟悉《党政机关公文处理工作条例》和 GB/T 9704—2012《党政机关公文格式》。',
      '写作要求：',
      '1. 标题采用“关于……的+文种”的格式（已给出规范标题时沿用）；',
      '2. 主送机关顶格书写，后加全角冒号（纪要除外）；',
      '3. 正文结构层次序数依次用“一、”“（一）”“1.”“（1）”；',
      '4. 语言庄重、准确、简明，使用规范的公文用语，不用口语、网络用语和修辞夸张；',
      '5. 落款写发文机关署名和成文日期，日期用阿拉伯数字（如 2026年1月22日）；素材未提供的机关名称、日期、数字等信息，用“××”占位，不得编造。',
      `本次文种的要求：${KIND_RULES[input.doc_kind]}`,
      '输出纯文本公文全文，不使用 Markdown 标记，不附加任何说明。',
    ].join('\n'),
    user: [`请起草一份${optionLabel(DOC_KINDS, input.doc_kind)}。`, material].join('\n\n'),
  }),
});
