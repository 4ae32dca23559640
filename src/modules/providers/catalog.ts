// The upstream kinds Tollgate can route to, with their public default base URLs.
// Adapters (request/response/stream transforms) arrive with the gateway; this is the data they hang on.

export const PROVIDERS = {
  openai: { label: 'OpenAI', defaultBaseUrl: 'https://api.openai.com' },
  azure_openai: { label: 'Azure OpenAI', defaultBaseUrl: null },
  anthropic: { label: 'Anthropic', defaultBaseUrl: 'https://api.anthropic.com' },
  gemini: { label: 'Google Gemini', defaultBaseUrl: 'https://generativelanguage.googleapis.com' },
  qwen: { label: 'Alibaba Qwen (DashScope)', defaultBaseUrl: 'https://dashscope.aliyuncs.com/compatible-mode' },
  baidu: { label: 'Baidu Qianfan', defaultBaseUrl: 'https://qianfan.baidubce.com' },
  xfyun: { label: 'iFlytek Spark', defaultBaseUrl: 'https://spark-api-open.xf-yun.com' },
  tencent: { label: 'Tencent Hunyuan', defaultBaseUrl: 'https://api.hunyuan.cloud.tencent.com' },
} as const satisfies Record<string, { label: string; defaultBaseUrl: string | null }>;

export type ProviderName = keyof typeof PROVIDERS;
export const PROVIDER_NAMES = Object.keys(PROVIDERS) as [ProviderName, ...ProviderName[]];
/** Azure has no shared default: every resource has its own endpoint. */
export const providerNeedsEndpoint = (name: ProviderName) => PROVIDERS[name].defaultBaseUrl === null;
