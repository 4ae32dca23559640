// What every provider adapter is: data (base URL, auth, models with default prices) plus pure transforms between the
// OpenAI wire format the gateway speaks and the upstream's own. The relay loop (gateway/relay.ts) is shared; an adapter
// never does I/O.

/** Gateway operations. `messages` is Anthropic's Messages API, served natively only by the anthropic adapter. */
export type Operation = 'chat' | 'completions' | 'embeddings' | 'images' | 'messages';

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** Where and as whom to call: one candidate's resolved upstream. */
export interface UpstreamTarget {
  /** Base URL without a trailing slash or `/v1` (each adapter adds its own path). */
  baseUrl: string;
  /** The decrypted upstream credential; adapters put it in a header and nowhere else. */
  credential: string;
  /** The model name the upstream knows (may differ from the name the client asked for). */
  model: string;
}

export interface UpstreamRequest {
  /** Absent: POST. */
  method?: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** Serialised JSON body (none for a GET). */
  body?: string;
}

/** An upstream's answer as the gateway reads it: its status, its headers, and its body, whole or chunk by chunk. */
export interface UpstreamResponse {
  statusCode: number;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  body: UpstreamBody;
}

export interface UpstreamBody extends AsyncIterable<Buffer> {
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** Stops reading it; the connection is not reused. */
  destroy(): void;
  /** True once the upstream has sent all of it, read or not (absent: not known). */
  readonly complete?: boolean;
}

/** A call the gateway relays: always a POST with a JSON body. */
export interface UpstreamPost extends UpstreamRequest {
  method?: 'POST';
  body: string;
}

/** One Server-Sent Event as the upstream sent it. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Turns an upstream stream into the client's stream, one event at a time. Outputs are the events to send: OpenAI
 * `chat.completion.chunk` JSON (no event name) for chat, Anthropic events (with their names) for messages. An adapter
 * that passes events through returns the upstream's data string untouched, without re-serialising it. The final
 * `[DONE]` is the relay's to write, never a translator's.
 */
export interface StreamTranslator {
  push(event: SseEvent): SseEvent[];
  /** Called once when the upstream stream ends; returns anything still buffered. */
  end(): SseEvent[];
  /** Usage as reported so far by the upstream (undefined when it sent none). */
  usage(): TokenUsage | undefined;
  /** Completion text seen so far, for the tokenizer fallback when the upstream reports no usage. */
  text(): string;
  /** An error the upstream reported inside the stream (then the relay ends the client stream with an error event). */
  error?(): UpstreamFailure | undefined;
}

export interface TranslateContext {
  /** The model name the client asked for: responses carry it, whatever the upstream calls the model. */
  clientModel: string;
  /** Id and creation time for the response objects an adapter must synthesise (`chatcmpl-…`). */
  responseId: string;
  created: number;
  /** The client asked for `stream_options.include_usage` itself (so the final usage chunk must be kept). */
  clientWantsUsage: boolean;
}

/** An upstream's error, already reduced to what may be shown: `message` must not contain the credential. */
export interface UpstreamFailure {
  status: number;
  message: string;
  type: string;
  code?: string;
}

export interface ModelPrice {
  /** µ¥ per 1M input (prompt) tokens. */
  input: bigint;
  /** µ¥ per 1M output (completion) tokens. */
  output: bigint;
  /** µ¥ per generated image when the upstream reports no token usage for images. */
  perImage?: bigint;
}

export interface ModelInfo {
  id: string;
  /** Default prices for API buyers; operators override them. */
  price: ModelPrice;
  /** The operations this model serves (default: chat). */
  operations?: Operation[];
  /**
   * The most output tokens the upstream lets one answer have, where it is below the gateway's default limit or an
   * upstream refuses a larger `max_tokens`: the gateway never sends it more than this unasked.
   */
  maxOutputTokens?: number;
}

export interface ProviderAdapter {
  name: string;
  /** Operations this adapter can carry, natively or by translation. */
  operations: ReadonlySet<Operation>;
  /** Well-known models with default prices. */
  models: ModelInfo[];
  /**
   * The upstream call for `body` (the client's request in the format of `op`: OpenAI for chat/completions/embeddings/
   * images, Anthropic for messages). `body.model` is already the upstream model; `stream` says whether to stream.
   */
  buildRequest(op: Operation, body: Record<string, unknown>, target: UpstreamTarget, stream: boolean): UpstreamPost;
  /** A 2xx upstream body (parsed JSON) as the response the client expects for `op`, and the usage it reports. */
  parseResponse(op: Operation, body: unknown, ctx: TranslateContext): { body: unknown; usage?: TokenUsage };
  /** A translator for one streamed response. */
  streamTranslator(op: Operation, ctx: TranslateContext): StreamTranslator;
  /** A non-2xx upstream answer as an OpenAI-style failure. The relay redacts the credential from `message` again. */
  parseError(status: number, bodyText: string): UpstreamFailure;
  /** How to check a credential without spending tokens (supply account verification). */
  probe: ProviderProbe;
}

/** Where and as whom to probe: an upstream without a model. */
export type ProbeTarget = Pick<UpstreamTarget, 'baseUrl' | 'credential'>;

/**
 * The read-only calls that tell whether a credential works: the model list it may use and, where the provider reports
 * one, its remaining balance. Pure like the rest of an adapter; the verifier (supply/verify.ts) does the I/O.
 */
export interface ProviderProbe {
  /** A GET of the provider's model list, authenticated as the adapter authenticates chat calls. */
  models(target: ProbeTarget): UpstreamRequest;
  /** The model ids of a 2xx answer; a non-2xx answer, or a 2xx one that is not a model list, as a failure. */
  parseModels(status: number, bodyText: string): { ok: true; models: string[] } | UpstreamFailure;
  /** A GET of the remaining balance, for providers that report one. */
  balance?(target: ProbeTarget): UpstreamRequest;
  /** The remaining balance in `balanceCurrency`, or undefined when the answer holds none. */
  parseBalance?(status: number, bodyText: string): number | undefined;
  /** ISO 4217 code of the balance. */
  balanceCurrency?: string;
}
