import { isRecord } from '../json.ts';

// Gemini takes a subset of OpenAPI 3.0 for function parameters and `responseSchema`, and refuses the whole request
// (400 "Invalid JSON payload received. Unknown name …") for any keyword outside it. Clients send full JSON Schema
// (zod-to-json-schema, Pydantic), so we keep what Gemini knows and rewrite the few constructs it spells differently.

type JsonSchema = Record<string, unknown>;

/** The keywords of Gemini's `Schema` object that carry over from JSON Schema unchanged. */
const KEPT = new Set([
  'title', 'description', 'nullable', 'enum', 'required', 'propertyOrdering', 'default', 'example',
  'minItems', 'maxItems', 'minLength', 'maxLength', 'pattern', 'minProperties', 'maxProperties', 'minimum', 'maximum',
]);

/** The Gemini API rejects every other `format` ("email", "uri", …) outright; Vertex is laxer, the API is not. */
const FORMATS = new Set(['enum', 'date-time', 'float', 'double', 'int32', 'int64']);

/** `$ref` chains deeper than this are recursive types, which Gemini cannot express: they end as a bare object. */
const MAX_REF_DEPTH = 8;

export function toGeminiSchema(schema: unknown): JsonSchema {
  return isRecord(schema) ? convert(schema, schema, 0) : {};
}

function convert(schema: JsonSchema, root: JsonSchema, depth: number): JsonSchema {
  if (typeof schema.$ref === 'string') {
    const target = depth < MAX_REF_DEPTH ? resolveRef(schema.$ref, root) : undefined;
    const { $ref: _ref, ...siblings } = schema;
    return { ...(target ? convert(target, root, depth + 1) : { type: 'object' }), ...convert(siblings, root, depth) };
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (KEPT.has(key)) out[key] = value;
  }
  Object.assign(out, typeOf(schema.type));
  if (typeof schema.format === 'string' && FORMATS.has(schema.format)) out.format = schema.format;
  if (typeof schema.const === 'string') out.enum = [schema.const];
  if (isRecord(schema.items)) out.items = convert(schema.items, root, depth);
  if (isRecord(schema.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([name, sub]) => [name, isRecord(sub) ? convert(sub, root, depth) : {}]),
    );
  }
  const union = Array.isArray(schema.anyOf) ? schema.anyOf : schema.oneOf;
  if (Array.isArray(union)) Object.assign(out, unionOf(union, root, depth));
  return out;
}

/** JSON Schema allows `type: ["string", "null"]`; Gemini has one type plus `nullable`. */
function typeOf(type: unknown): JsonSchema {
  if (typeof type === 'string') return { type };
  if (!Array.isArray(type)) return {};
  const real = type.filter((t) => t !== 'null');
  return { ...(real[0] !== undefined ? { type: real[0] } : {}), ...(real.length < type.length ? { nullable: true } : {}) };
}

/** `anyOf: [X, {type: "null"}]` (how Pydantic writes an Optional) is X made nullable; a null branch alone is refused. */
function unionOf(branches: unknown[], root: JsonSchema, depth: number): JsonSchema {
  const real = branches.filter((b): b is JsonSchema => isRecord(b) && b.type !== 'null');
  const nullable = real.length < branches.length ? { nullable: true } : {};
  const only = real[0];
  if (real.length === 1 && only) return { ...convert(only, root, depth), ...nullable };
  return { anyOf: real.map((b) => convert(b, root, depth)), ...nullable };
}

/** Local references only (`#/$defs/Name`, `#/definitions/Name`): that is all schema generators emit. */
function resolveRef(ref: string, root: JsonSchema): JsonSchema | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const segment of ref.slice(2).split('/')) {
    node = isRecord(node) ? node[segment.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  return isRecord(node) ? node : undefined;
}
