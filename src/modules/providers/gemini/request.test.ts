import { describe, expect, it } from 'vitest';
import { geminiAdapter } from './index.ts';
import { toGeminiChat, toGeminiEmbeddings } from './request.ts';
import { toGeminiSchema } from './schema.ts';

const target = { baseUrl: 'https://generativelanguage.googleapis.com', credential: 'AIza-secret', model: 'gemini-2.5-flash' };

describe('gemini chat request', () => {
  it('calls generateContent with the key in x-goog-api-key and never in the URL', () => {
    const req = geminiAdapter.buildRequest('chat', { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }, target, false);
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'x-goog-api-key': 'AIza-secret' });
    expect(req.url).not.toContain('AIza-secret');
    expect(req.body).not.toContain('AIza-secret');
  });

  it('streams through streamGenerateContent with alt=sse, accepting a models/ prefixed name', () => {
    const req = geminiAdapter.buildRequest('chat', { messages: [] }, { ...target, model: 'models/gemini-2.0-flash' }, true);
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
  });

  it('moves system and developer messages into systemInstruction and calls the assistant model', () => {
    const out = toGeminiChat({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'Hello' },
        { role: 'assistant', content: 'Bonjour' },
        { role: 'user', content: 'Again' },
      ],
    });
    expect(out.systemInstruction).toEqual({ parts: [{ text: 'Be brief.\n\nAnswer in French.' }] });
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'Hello' }] },
      { role: 'model', parts: [{ text: 'Bonjour' }] },
      { role: 'user', parts: [{ text: 'Again' }] },
    ]);
  });

  it('merges consecutive turns of one role, which Gemini requires to alternate', () => {
    const out = toGeminiChat({ messages: [{ role: 'user', content: 'one' }, { role: 'user', content: 'two' }] });
    expect(out.contents).toEqual([{ role: 'user', parts: [{ text: 'one' }, { text: 'two' }] }]);
  });

  it('sends data-URL images inline and http images as fileData with a MIME type guessed from the extension', () => {
    const out = toGeminiChat({
      messages: [{
        role: 'user',
        content: [
          { type: 'text', text: 'Compare' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://img.example/cat.webp?size=large' } },
          { type: 'image_url', image_url: { url: 'https://img.example/photo' } },
        ],
      }],
    });
    expect(out.contents).toEqual([{
      role: 'user',
      parts: [
        { text: 'Compare' },
        { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
        { fileData: { mimeType: 'image/webp', fileUri: 'https://img.example/cat.webp?size=large' } },
        { fileData: { mimeType: 'image/jpeg', fileUri: 'https://img.example/photo' } },
      ],
    }]);
  });

  it('replays tool calls as functionCall parts and tool results as functionResponse parts in a user turn', () => {
    const out = toGeminiChat({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: 'not json' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
        { role: 'tool', tool_call_id: 'call_b', content: '14:00' },
      ],
    });
    expect(out.contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
          { functionCall: { name: 'get_time', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 21 } } },
          { functionResponse: { name: 'get_time', response: { content: '14:00' } } },
        ],
      },
    ]);
  });

  it('declares tools as functionDeclarations with cleaned parameters, dropping empty parameter objects', () => {
    const out = toGeminiChat({
      messages: [{ role: 'user', content: 'hi' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Current weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
          },
        },
        { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
      ],
      tool_choice: 'required',
    });
    expect(out.tools).toEqual([{
      functionDeclarations: [
        { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
        { name: 'now' },
      ],
    }]);
    expect(out.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
  });

  it.each([
    ['none', { mode: 'NONE' }],
    ['auto', { mode: 'AUTO' }],
    ['required', { mode: 'ANY' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
  ])('maps tool_choice %j to functionCallingConfig %j', (choice, config) => {
    const tools = [{ type: 'function', function: { name: 'get_weather' } }];
    expect(toGeminiChat({ messages: [], tools, tool_choice: choice }).toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('maps sampling options into generationConfig, preferring max_completion_tokens', () => {
    const out = toGeminiChat({
      messages: [],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 100,
      max_completion_tokens: 200,
      stop: 'END',
      n: 2,
    });
    expect(out.generationConfig).toEqual({ temperature: 0.2, topP: 0.9, maxOutputTokens: 200, stopSequences: ['END'], candidateCount: 2 });
  });

  it('leaves generationConfig out when the client set nothing', () => {
    expect(toGeminiChat({ messages: [{ role: 'user', content: 'hi' }] })).not.toHaveProperty('generationConfig');
  });

  it('asks for JSON output for json_object, and with a Gemini-clean schema for json_schema', () => {
    expect(toGeminiChat({ messages: [], response_format: { type: 'json_object' } }).generationConfig).toEqual({
      responseMimeType: 'application/json',
    });
    const out = toGeminiChat({
      messages: [],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'answer',
          strict: true,
          schema: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: { answer: { type: 'string' } },
            required: ['answer'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(out.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] },
    });
  });
});

describe('gemini schema cleaning', () => {
  it('keeps property names that collide with keywords and cleans nested items', () => {
    const schema = {
      type: 'object',
      properties: {
        title: { type: 'string', format: 'email' },
        tags: { type: 'array', items: { type: 'string', additionalProperties: false }, minItems: 1 },
        when: { type: 'string', format: 'date-time' },
      },
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: 'object',
      properties: {
        title: { type: 'string' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
        when: { type: 'string', format: 'date-time' },
      },
    });
  });

  it('turns nullable type lists and Optional anyOf into nullable', () => {
    expect(toGeminiSchema({ type: ['string', 'null'] })).toEqual({ type: 'string', nullable: true });
    expect(toGeminiSchema({ anyOf: [{ type: 'integer' }, { type: 'null' }], description: 'age' })).toEqual({
      type: 'integer',
      nullable: true,
      description: 'age',
    });
  });

  it('inlines local $ref definitions and stops on recursive ones', () => {
    const schema = {
      type: 'object',
      properties: { home: { $ref: '#/$defs/Address', description: 'where' }, tree: { $ref: '#/$defs/Node' } },
      $defs: {
        Address: { type: 'object', properties: { city: { type: 'string' } } },
        Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } },
      },
    };
    const out = toGeminiSchema(schema) as { properties: Record<string, unknown> };
    expect(out).not.toHaveProperty('$defs');
    expect(out.properties.home).toEqual({ type: 'object', properties: { city: { type: 'string' } }, description: 'where' });
    expect(JSON.stringify(out.properties.tree)).not.toContain('$ref');
  });
});

describe('gemini embeddings request', () => {
  it('batches every input string under models/<model>', () => {
    const req = geminiAdapter.buildRequest('embeddings', { model: 'text-embedding-004', input: ['a', 'b'] }, { ...target, model: 'text-embedding-004' }, false);
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(req.headers['x-goog-api-key']).toBe('AIza-secret');
    expect(JSON.parse(req.body)).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] } },
      ],
    });
  });

  it('accepts a single string and passes dimensions as outputDimensionality', () => {
    expect(toGeminiEmbeddings({ input: 'solo', dimensions: 256 }, 'text-embedding-004')).toEqual({
      requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'solo' }] }, outputDimensionality: 256 }],
    });
  });
});

describe('gemini adapter data', () => {
  it('carries chat and embeddings and prices its models in µ¥ per 1M tokens', () => {
    expect([...geminiAdapter.operations].sort()).toEqual(['chat', 'embeddings']);
    const byId = new Map(geminiAdapter.models.map((m) => [m.id, m]));
    expect(byId.get('gemini-2.5-flash')?.price).toEqual({ input: 2_160_000n, output: 18_000_000n });
    expect(byId.get('text-embedding-004')?.operations).toEqual(['embeddings']);
    expect([...byId.keys()]).toEqual(['gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.0-flash', 'text-embedding-004']);
  });

  it('refuses operations it does not carry', () => {
    expect(() => geminiAdapter.buildRequest('images', {}, target, false)).toThrow(/does not carry images/);
  });
});
