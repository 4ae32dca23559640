import type { CallableModel } from '../../../api/buyer.ts';

// The quick start's example code: a chat completion in curl, Python and Node against the gateway's base URL, with a
// key placeholder and a model the user can call.

export const KEY_PLACEHOLDER = 'sk-your-key';
/** Stands in for a model while none is callable (no upstream configured yet). */
export const MODEL_PLACEHOLDER = 'your-model';
/** The built-in free model (outside production): an example only when nothing else is callable. */
export const DEMO_MODEL = 'tollgate-demo';

/** The model the examples call: the first real one listed, the demo when it is the only one, else the placeholder. */
export function exampleModel(models: readonly CallableModel[] | undefined): string {
  return (models?.find((m) => m.id !== DEMO_MODEL) ?? models?.[0])?.id ?? MODEL_PLACEHOLDER;
}

export function snippets(baseUrl: string, model: string) {
  return {
    curl: `curl ${baseUrl}/chat/completions \\
  -H "Authorization: Bearer ${KEY_PLACEHOLDER}" \\
  -H "Content-Type: application/json" \\
  -d '{
    "model": "${model}",
    "messages": [{"role": "user", "content": "Hello!"}]
  }'`,
    python: `# pip install openai
from openai import OpenAI

client = OpenAI(base_url="${baseUrl}", api_key="${KEY_PLACEHOLDER}")

resp = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello!"}],
)
print(resp.choices[0].message.content)`,
    node: `// npm install openai
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: '${baseUrl}', apiKey: '${KEY_PLACEHOLDER}' });

const resp = await client.chat.completions.create({
  model: '${model}',
  messages: [{ role: 'user', content: 'Hello!' }],
});
console.log(resp.choices[0].message.content);`,
  };
}
