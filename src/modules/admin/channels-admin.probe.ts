import type { SecretBox } from '../../platform/crypto.ts';
import { badRequest } from '../../platform/errors.ts';
import { PRIVATE_UPSTREAMS_HINT } from '../../platform/ssrf.ts';
import { createUpstreamClient, UpstreamTransportError, type UpstreamClientConfig } from '../gateway/upstream-client.ts';
import { isErrorBody, scrubFailure } from '../gateway/upstream-failures.ts';
import type { UpstreamPost } from '../providers/types.ts';
import { servesOperation } from '../routing/candidates.ts';
import type { ChannelService } from '../routing/channels.service.ts';
import type { CatalogModel, ModelCatalog } from '../routing/model-catalog.service.ts';
import { platformCandidate, servedModels, upstreamBaseUrl } from '../routing/platform-candidates.ts';

// "Send one request" for a channel: one minimal chat completion, built as the relay builds it — the router's candidate
// for the channel (platform-candidates.ts), the provider adapter's request, the gateway's upstream client with its
// timeouts and SSRF guard — so it tests what production traffic would meet.
//
// It is a diagnostic, not traffic: nobody is billed, no usage is recorded, and neither circuits nor caps count it. An
// operator must be able to test a channel whose circuit is open or that is at its cap (that is when they test), and
// one manual success must not close a circuit that real failures opened.
//
// What it answers is written here. From the upstream only the status, an allow-listed code and the scrubbed message
// (upstream-failures.ts) pass: upstreams quote the key they were given.

const MAX_OUTPUT_TOKENS = 5;
const PROMPT = 'Reply with the word OK.';
const DEFAULT_TIMEOUT_MS = 20_000;

export interface ChannelTestResult {
  ok: boolean;
  /** The upstream's HTTP status; null when it never answered. */
  status: number | null;
  latencyMs: number;
  model: string;
  message: string;
}

export interface ChannelProbeDeps {
  channels: Pick<ChannelService, 'upstreamOf'>;
  catalog: Pick<ModelCatalog, 'models'>;
  secrets: SecretBox;
  providerBaseUrls: Record<string, string>;
  /** The gateway's client settings (its connect / first-byte / idle timeouts and the private-address rule). */
  client: UpstreamClientConfig;
  now: () => number;
  /** The whole test's deadline (default 20 s). */
  timeoutMs?: number;
}

type Answer = { status: number; text: string } | { unreachable: string };

export function createChannelProbe(deps: ChannelProbeDeps) {
  const client = createUpstreamClient(deps.client);
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  async function call(req: UpstreamPost): Promise<Answer> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await client.send(req, signal);
      return { status: res.statusCode, text: await res.body.text() };
    } catch (err) {
      return { unreachable: signal.aborted ? `The upstream did not answer within ${timeoutMs / 1000} s.` : transportMessage(err) };
    }
  }

  /** The chat model to test with: the operator's choice among those the channel serves, or the first it serves. */
  function chatModel(served: CatalogModel[], requested: string | undefined): CatalogModel {
    const chat = served.filter((m) => servesOperation(m.operations, 'chat'));
    const chosen = requested === undefined ? chat[0] : chat.find((m) => m.id === requested);
    if (chosen) return chosen;
    if (chat.length === 0) throw badRequest('body.model: this channel serves no priced chat model to test with; give it one under its models', { field: 'body.model' });
    const names = chat.slice(0, 10).map((m) => m.id).join(', ');
    throw badRequest(`body.model: this channel does not serve "${requested}" for chat; choose one of ${names}${chat.length > 10 ? ', …' : ''}`, { field: 'body.model' });
  }

  return {
    async test(channelId: number, requested?: string): Promise<ChannelTestResult> {
      const upstream = await deps.channels.upstreamOf(channelId);
      const model = chatModel(servedModels(upstream, await deps.catalog.models()), requested);
      const credential = deps.secrets.decrypt(upstream.credentialCiphertext);
      const c = platformCandidate(upstream, model, upstreamBaseUrl(upstream, deps.providerBaseUrls), () => credential);
      const body = { model: c.upstreamModel, messages: [{ role: 'user', content: PROMPT }], max_tokens: MAX_OUTPUT_TOKENS };
      const startedAt = deps.now();
      const answer = await call(c.adapter.buildRequest('chat', body, { baseUrl: c.baseUrl, credential, model: c.upstreamModel }, false));
      const result = { latencyMs: deps.now() - startedAt, model: model.id };
      if ('unreachable' in answer) return { ...result, ok: false, status: null, message: answer.unreachable };

      const refusal = (status: number, prefix: string) => {
        const failure = scrubFailure(c.adapter.parseError(status, answer.text), credential);
        return { ...result, ok: false, status: answer.status, message: `${prefix}${failure.code ? ` (${failure.code})` : ''}: ${failure.message}` };
      };
      if (answer.status < 200 || answer.status >= 300) return refusal(answer.status, `The upstream answered HTTP ${answer.status}`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer.text);
      } catch {
        return { ...result, ok: false, status: answer.status, message: `The upstream answered HTTP ${answer.status}, but not with JSON.` };
      }
      // Some upstreams report errors with a 200; read like any error answer.
      if (isErrorBody(parsed)) return refusal(502, `The upstream answered HTTP ${answer.status} with an error`);
      try {
        const { usage } = c.adapter.parseResponse('chat', parsed, { clientModel: model.id, responseId: 'chatcmpl-channel-test', created: Math.floor(startedAt / 1000), clientWantsUsage: false });
        const tokens = usage ? ` (${usage.promptTokens} prompt + ${usage.completionTokens} completion tokens)` : '';
        return { ...result, ok: true, status: answer.status, message: `The upstream answered ${model.id} in ${result.latencyMs} ms${tokens}.` };
      } catch {
        return { ...result, ok: false, status: answer.status, message: `The upstream answered HTTP ${answer.status}, but not with a chat completion.` };
      }
    },

    close: () => client.close(),
  };
}

export type ChannelProbe = ReturnType<typeof createChannelProbe>;

/** Our words for a request that got no answer: the transport error's kind and code, never its free text. */
function transportMessage(err: unknown): string {
  if (!(err instanceof UpstreamTransportError)) return 'The connection to the upstream failed before it answered.';
  if (err.code === 'EUPSTREAMPRIVATE') return `The endpoint resolves to a private network address, which Tollgate does not call; ${PRIVATE_UPSTREAMS_HINT}.`;
  if (err.kind === 'connect') return `Could not connect to the upstream${err.code ? ` (${err.code})` : ''}: the host is unreachable or refused the connection.`;
  if (err.kind === 'timeout') return 'The upstream accepted the connection but did not answer in time.';
  return `The connection to the upstream failed before it answered${err.code ? ` (${err.code})` : ''}.`;
}
