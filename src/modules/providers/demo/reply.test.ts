import { describe, expect, it } from 'vitest';
import { countTokens } from '../../metering/tokens.ts';
import { demoReply, fitTokens, sampleObject } from './reply.ts';

// What the demo says, without the wire format: labelled, echoing a bounded part of the caller's words, calling tools
// with arguments its schema allows, and stopping at the output limit.

const user = (content: unknown) => ({ role: 'user', content });

describe('demoReply', () => {
  it('labels itself, echoes the last user message and says where to add a real upstream', () => {
    const reply = demoReply({ messages: [user('first'), { role: 'assistant', content: 'ok' }, user('hello there')] });
    expect(reply).toEqual({
      kind: 'text',
      content: "This is Tollgate's built-in demo upstream (model tollgate-demo, free). You said: “hello there”. Add a real upstream in the console under Operator → Channels.",
    });
  });

  it('echoes at most 200 characters, counting a CJK or emoji character as one', () => {
    const long = '你'.repeat(150) + '😀'.repeat(100);
    const reply = demoReply({ messages: [user(long)] });
    expect(reply.kind).toBe('text');
    const echoed = /“(.*)”/su.exec((reply as { content: string }).content)?.[1] as string;
    expect(Array.from(echoed)).toHaveLength(201);
    expect(echoed).toBe(`${'你'.repeat(150)}${'😀'.repeat(50)}…`);
  });

  it('reads the text parts of a multi-part message and skips images', () => {
    const reply = demoReply({ messages: [user([{ type: 'text', text: 'look at' }, { type: 'image_url', image_url: { url: 'https://x.invalid/a.png' } }, { type: 'text', text: 'this' }])] });
    expect(reply).toMatchObject({ content: expect.stringContaining('You said: “look at this”') });
  });

  it('calls the first tool with arguments built from its required properties only', () => {
    const weather = {
      type: 'function',
      function: {
        name: 'get_weather',
        parameters: {
          type: 'object',
          properties: {
            city: { type: 'string' },
            unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
            days: { type: 'integer', minimum: 3 },
            verbose: { type: 'boolean' },
          },
          required: ['city', 'unit', 'days'],
        },
      },
    };
    const other = { type: 'function', function: { name: 'other', parameters: { type: 'object', properties: {} } } };
    expect(demoReply({ messages: [user('weather?')], tools: [weather, other] })).toEqual({
      kind: 'tool_call', name: 'get_weather', arguments: '{"city":"demo city","unit":"celsius","days":3}',
    });
    expect(demoReply({ messages: [user('x')], tools: [weather, other], tool_choice: { type: 'function', function: { name: 'other' } } })).toEqual({
      kind: 'tool_call', name: 'other', arguments: '{}',
    });
    expect(demoReply({ messages: [user('x')], tools: [weather], tool_choice: 'none' }).kind).toBe('text');
  });

  it('answers a tool result with text that quotes it and names the tool', () => {
    const messages = [
      user('weather in Paris?'),
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
    ];
    const reply = demoReply({ messages, tools: [{ type: 'function', function: { name: 'get_weather' } }] });
    expect(reply).toEqual({
      kind: 'text',
      content: "This is Tollgate's built-in demo upstream (model tollgate-demo, free). The tool `get_weather` returned: “{\"temp\":21}”. Add a real upstream in the console under Operator → Channels.",
    });
  });
});

describe('sampleObject', () => {
  it('gives each JSON schema type a value it allows, deterministically', () => {
    const schema = {
      type: 'object',
      properties: {
        fixed: { const: 'exactly' },
        defaulted: { type: 'number', default: 2.5 },
        example: { type: 'string', examples: ['from example'] },
        nullable: { type: ['null', 'integer'], exclusiveMinimum: 4 },
        either: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
        list: { type: 'array', items: { type: 'string' }, minItems: 2 },
        empty: { type: 'array', items: { type: 'string' } },
        nested: { type: 'object', properties: { id: { type: 'integer' }, note: { type: 'string' } }, required: ['id'] },
        nothing: { type: 'null' },
        untyped: {},
      },
      required: ['fixed', 'defaulted', 'example', 'nullable', 'either', 'list', 'empty', 'nested', 'nothing', 'untyped', 'not-declared'],
    };
    const expected = {
      fixed: 'exactly', defaulted: 2.5, example: 'from example', nullable: 5, either: true, list: ['demo list', 'demo list'], empty: [],
      nested: { id: 1 }, nothing: null, untyped: 'demo untyped', 'not-declared': 'demo not-declared',
    };
    expect(sampleObject(schema, 0)).toEqual(expected);
    expect(sampleObject(schema, 0)).toEqual(sampleObject(schema, 0));
  });

  it('gives no arguments for a tool without parameters, and stops on a schema that nests without end', () => {
    expect(sampleObject(undefined, 0)).toEqual({});
    const deep: Record<string, unknown> = { type: 'object', properties: {}, required: ['next'] };
    let node = deep;
    for (let i = 0; i < 50; i += 1) {
      const next = { type: 'object', properties: {}, required: ['next'] };
      (node.properties as Record<string, unknown>).next = next;
      node = next;
    }
    expect(JSON.stringify(sampleObject(deep, 0)).length).toBeLessThan(200);
  });
});

describe('fitTokens', () => {
  it('keeps a text within the limit whole, and cuts a longer one to the longest prefix that fits', async () => {
    const text = 'one two three four five six seven eight nine ten';
    expect(await fitTokens(text, undefined)).toEqual({ text, tokens: await countTokens(text), truncated: false });
    expect(await fitTokens(text, 100)).toMatchObject({ text, truncated: false });
    const cut = await fitTokens(text, 3);
    expect(cut).toEqual({ text: 'one two three', tokens: 3, truncated: true });
  });
});
