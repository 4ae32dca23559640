import { beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../test/helpers/app.ts';
import type { SecretBox } from '../../platform/crypto.ts';
import { ADAPTERS } from '../providers/registry.ts';
import type { CatalogModel, ModelCatalog } from './model-catalog.service.ts';
import { createPlatformCandidates, type PlatformUpstream } from './platform-candidates.ts';
import { defaultCeiling } from './price-ceiling.ts';

const priced = (m: Omit<CatalogModel, 'ceiling' | 'ceilingSource'>): CatalogModel => ({ ...m, ceiling: defaultCeiling(m.price), ceilingSource: 'default' });

const CATALOG: CatalogModel[] = [
  priced({ id: 'gpt-4o', provider: 'openai', price: { input: 18_000_000n, output: 72_000_000n }, operations: ['chat'], priceSource: 'default' }),
  priced({ id: 'gpt-4o-mini', provider: 'openai', price: { input: 1_080_000n, output: 4_320_000n }, operations: ['chat'], priceSource: 'default' }),
  priced({ id: 'text-embedding-3-small', provider: 'openai', price: { input: 144_000n, output: 0n }, operations: ['embeddings'], priceSource: 'default' }),
  priced({ id: 'qwen-max', provider: 'qwen', price: { input: 2_400_000n, output: 9_600_000n }, operations: ['chat'], priceSource: 'operator' }),
  priced({ id: 'lite', provider: 'xfyun', price: { input: 0n, output: 0n }, operations: ['chat'], priceSource: 'default' }),
];

/** The catalog as the source reads it: `models()` and `get()` from memory. */
function stubCatalog(models = CATALOG) {
  const byId = new Map(models.map((m) => [m.id, m]));
  return { models: async () => byId, get: async (id: string) => byId.get(id) } as unknown as ModelCatalog;
}

/** Ciphertext is `sealed:<plaintext>`; every decrypt is counted. */
function stubSecrets() {
  const box = {
    decrypts: 0,
    encrypt: (plain: string) => `sealed:${plain}`,
    decrypt(sealed: string) {
      box.decrypts += 1;
      return sealed.replace(/^sealed:/, '');
    },
    fingerprint: (plain: string) => `fp:${plain}`,
  };
  return box satisfies SecretBox;
}

function upstream(id: number, over: Partial<PlatformUpstream> = {}): PlatformUpstream {
  return { kind: 'channel', id, provider: 'openai', baseUrl: null, credentialCiphertext: `sealed:sk-key-${id}`, models: null, weight: 1, ...over };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

let clock: ReturnType<typeof fakeClock>;
let secrets: ReturnType<typeof stubSecrets>;
let rows: PlatformUpstream[];
let reads: number;

beforeEach(() => {
  clock = fakeClock();
  secrets = stubSecrets();
  rows = [];
  reads = 0;
});

function sourceWith(opts: { upstreams?: () => Promise<PlatformUpstream[]>; providerBaseUrls?: Record<string, string> } = {}) {
  return createPlatformCandidates({
    upstreams:
      opts.upstreams ??
      (async () => {
        reads += 1;
        return rows.map((r) => ({ ...r }));
      }),
    catalog: stubCatalog(),
    secrets,
    providerBaseUrls: opts.providerBaseUrls ?? {},
    clock,
  });
}

describe('platform candidates: which models a channel serves', () => {
  it('serves every catalog model of its provider when its models are null', async () => {
    rows = [upstream(1), upstream(2, { provider: 'qwen' })];
    const source = sourceWith();
    expect((await source.models()).sort()).toEqual(['gpt-4o', 'gpt-4o-mini', 'qwen-max', 'text-embedding-3-small']);
    const [c] = await source.candidates('gpt-4o', 'chat');
    expect(c).toMatchObject({
      key: 'channel:1',
      kind: 'channel',
      id: 1,
      provider: 'openai',
      adapter: ADAPTERS.openai,
      upstreamModel: 'gpt-4o',
      price: { input: 18_000_000n, output: 72_000_000n },
      weight: 1,
    });
    expect(await source.candidates('qwen-max', 'chat')).toMatchObject([{ key: 'channel:2', provider: 'qwen', adapter: ADAPTERS.qwen }]);
  });

  it('lets an Azure channel serve OpenAI\'s models', async () => {
    rows = [upstream(3, { provider: 'azure_openai', baseUrl: 'https://res.openai.azure.com' })];
    const source = sourceWith();
    expect((await source.models()).sort()).toEqual(['gpt-4o', 'gpt-4o-mini', 'text-embedding-3-small']);
    expect(await source.candidates('gpt-4o', 'chat')).toMatchObject([{ key: 'channel:3', provider: 'azure_openai', adapter: ADAPTERS.azure_openai }]);
  });

  it('limits a channel to its explicit models, dropping names the catalog does not know', async () => {
    rows = [upstream(1, { models: ['gpt-4o-mini', 'not-in-catalog'] })];
    const source = sourceWith();
    expect(await source.models()).toEqual(['gpt-4o-mini']);
    expect(await source.candidates('gpt-4o', 'chat')).toEqual([]);
    expect(await source.candidates('gpt-4o-mini', 'chat')).toHaveLength(1);
  });

  it('lists every upstream that serves a model, with its own key and weight', async () => {
    rows = [upstream(1, { weight: 3 }), upstream(4, { kind: 'model', weight: 0 })];
    const source = sourceWith();
    expect((await source.candidates('gpt-4o', 'chat')).map((c) => [c.key, c.kind, c.weight])).toEqual([
      ['channel:1', 'channel', 3],
      ['model:4', 'model', 0],
    ]);
  });

  it('carries a channel\'s priority and caps; a registry model (none given) is priority 0 without caps', async () => {
    rows = [upstream(1, { priority: 7, rpmLimit: 60, maxConcurrent: 2 }), upstream(2, { rpmLimit: null, maxConcurrent: null }), upstream(4, { kind: 'model' })];
    const list = await sourceWith().candidates('gpt-4o', 'chat');
    expect(list.map((c) => [c.key, c.priority, c.rpmLimit, c.maxConcurrent])).toEqual([
      ['channel:1', 7, 60, 2],
      ['channel:2', 0, undefined, undefined],
      ['model:4', 0, undefined, undefined],
    ]);
  });

  it('has no candidates for a model no upstream serves', async () => {
    rows = [upstream(1)];
    expect(await sourceWith().candidates('qwen-max', 'chat')).toEqual([]);
  });
});

describe('platform candidates: the operation', () => {
  beforeEach(() => {
    rows = [upstream(1)];
  });

  it('does not offer an embeddings-only model for chat', async () => {
    const source = sourceWith();
    expect(await source.candidates('text-embedding-3-small', 'chat')).toEqual([]);
    expect(await source.candidates('text-embedding-3-small', 'embeddings')).toHaveLength(1);
  });

  it('does not offer a chat model for embeddings', async () => {
    expect(await sourceWith().candidates('gpt-4o', 'embeddings')).toEqual([]);
  });

  it('accepts chat models for messages (translated to chat), but not embeddings models', async () => {
    const source = sourceWith();
    expect(await source.candidates('gpt-4o', 'messages')).toMatchObject([{ key: 'channel:1', upstreamModel: 'gpt-4o' }]);
    expect(await source.candidates('text-embedding-3-small', 'messages')).toEqual([]);
  });

  it('leaves out an upstream whose adapter cannot carry the operation', async () => {
    // Spark's adapter speaks chat only, whatever model names the channel was given.
    rows = [upstream(1), upstream(2, { provider: 'xfyun', models: ['text-embedding-3-small'] })];
    expect((await sourceWith().candidates('text-embedding-3-small', 'embeddings')).map((c) => c.key)).toEqual(['channel:1']);
  });
});

describe('platform candidates: base URL', () => {
  it('takes the channel\'s own base URL first', async () => {
    rows = [upstream(1, { baseUrl: 'https://proxy.example.com' })];
    const source = sourceWith({ providerBaseUrls: { openai: 'http://127.0.0.1:9999' } });
    expect((await source.candidates('gpt-4o', 'chat'))[0]?.baseUrl).toBe('https://proxy.example.com');
  });

  it('falls back to the configured base URL of the provider', async () => {
    rows = [upstream(1)];
    const source = sourceWith({ providerBaseUrls: { openai: 'http://127.0.0.1:9999', qwen: 'http://elsewhere' } });
    expect((await source.candidates('gpt-4o', 'chat'))[0]?.baseUrl).toBe('http://127.0.0.1:9999');
  });

  it('falls back to the provider\'s public default last', async () => {
    rows = [upstream(1), upstream(2, { provider: 'qwen' })];
    const source = sourceWith();
    expect((await source.candidates('gpt-4o', 'chat'))[0]?.baseUrl).toBe('https://api.openai.com');
    expect((await source.candidates('qwen-max', 'chat'))[0]?.baseUrl).toBe('https://dashscope.aliyuncs.com/compatible-mode');
  });
});

describe('platform candidates: credentials', () => {
  it('decrypts a credential only when a request needs it, and once per upstream', async () => {
    rows = [upstream(1), upstream(2, { provider: 'qwen' })];
    const source = sourceWith();
    const [forGpt4o] = await source.candidates('gpt-4o', 'chat');
    const [forMini] = await source.candidates('gpt-4o-mini', 'chat');
    expect(secrets.decrypts).toBe(0);
    expect(forGpt4o?.credential()).toBe('sk-key-1');
    expect(forGpt4o?.credential()).toBe('sk-key-1');
    expect(forMini?.credential()).toBe('sk-key-1');
    expect(secrets.decrypts).toBe(1);
    expect((await source.candidates('qwen-max', 'chat'))[0]?.credential()).toBe('sk-key-2');
    expect(secrets.decrypts).toBe(2);
  });

  it('keeps the ciphertext out of the candidate', async () => {
    rows = [upstream(1)];
    const [c] = await sourceWith().candidates('gpt-4o', 'chat');
    expect(JSON.stringify(c, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain('sealed:');
  });
});

describe('platform candidates: snapshot', () => {
  it('answers from memory: one read of the upstreams for many calls', async () => {
    rows = [upstream(1)];
    const source = sourceWith();
    await source.candidates('gpt-4o', 'chat');
    await source.candidates('gpt-4o-mini', 'chat');
    await source.models();
    expect(reads).toBe(1);
  });

  it('reads once for calls that arrive together on a cold start', async () => {
    rows = [upstream(1)];
    const source = sourceWith();
    await Promise.all([source.candidates('gpt-4o', 'chat'), source.candidates('gpt-4o-mini', 'chat'), source.models()]);
    expect(reads).toBe(1);
  });

  it('rebuilds on the next call after invalidate()', async () => {
    rows = [upstream(1)];
    const source = sourceWith();
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);
    rows = [upstream(1), upstream(2, { baseUrl: 'https://second.example.com' })];
    source.invalidate();
    expect((await source.candidates('gpt-4o', 'chat')).map((c) => c.key)).toEqual(['channel:1', 'channel:2']);
    expect(reads).toBe(2);
  });

  it('rebuilds again when a write lands while a build is running', async () => {
    const first = deferred<PlatformUpstream[]>();
    const answers = [first.promise, Promise.resolve([upstream(1), upstream(2)])];
    const source = sourceWith({ upstreams: () => answers.shift() as Promise<PlatformUpstream[]> });
    const during = source.candidates('gpt-4o', 'chat');
    source.invalidate();
    first.resolve([upstream(1)]);
    expect(await during).toHaveLength(1);
    expect((await source.candidates('gpt-4o', 'chat')).map((c) => c.key)).toEqual(['channel:1', 'channel:2']);
  });

  it('serves the old snapshot once it is 5 s old while it rebuilds in the background', async () => {
    const next = deferred<PlatformUpstream[]>();
    let calls = 0;
    const source = sourceWith({
      upstreams: () => {
        calls += 1;
        return calls === 1 ? Promise.resolve([upstream(1)]) : next.promise;
      },
    });
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);

    clock.advance(4_999);
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);
    expect(calls).toBe(1);

    clock.advance(1);
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);
    expect(calls).toBe(2);
    // While the rebuild runs, every call is answered at once from the old snapshot, and no second rebuild starts.
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);
    expect(calls).toBe(2);

    next.resolve([upstream(1), upstream(2)]);
    await next.promise;
    await new Promise((r) => setImmediate(r));
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(2);
    expect(calls).toBe(2);
  });

  it('keeps serving the old snapshot when a background rebuild fails', async () => {
    let calls = 0;
    const source = sourceWith({
      upstreams: async () => {
        calls += 1;
        if (calls === 2) throw new Error('database unavailable');
        return [upstream(1)];
      },
    });
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);
    clock.advance(5_000);
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);
    await new Promise((r) => setImmediate(r));
    expect(await source.candidates('gpt-4o', 'chat')).toHaveLength(1);
    expect(calls).toBe(3);
  });
});
