import { readFileSync } from 'node:fs';
import path from 'node:path';
import addFormatsModule from 'ajv-formats';
import { OpenAPIBackend } from 'openapi-backend';
import { parse } from 'yaml';

// The supply console contract (`contracts/supply-console.openapi.yaml`, a copy of the shared one), loaded once per test worker and
// checked with openapi-backend (Ajv underneath): every response a supply test receives is matched to its operation
// and validated against the schema the contract declares for its status. A status the contract does not declare for
// that operation is validated against the contract's ErrorResponse and reported, so the suites can assert that none
// occurs (the contract is exact: there are no documented exceptions).

// ajv-formats is CommonJS: its default export arrives wrapped.
type AddFormats = (ajv: unknown) => unknown;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

/** The repository's copy of the shared contract (CI clones this repository alone); contract.test.ts keeps it in step. */
export const CONTRACT_PATH = path.resolve(import.meta.dirname, '../../contracts/supply-console.openapi.yaml');

export interface ContractCheck {
  operationId?: string;
  /** `operationId status` when the contract does not declare that status for the operation. */
  undeclared?: string;
}

type Backend = InstanceType<typeof OpenAPIBackend>;
let backend: Promise<Backend> | undefined;

function load(): Promise<Backend> {
  backend ??= (async () => {
    const definition = parse(readFileSync(CONTRACT_PATH, 'utf8'));
    const api = new OpenAPIBackend({
      definition,
      // `quick` skips openapi-backend's check of the document itself, which reads the contract's OpenAPI 3.0 boolean
      // `exclusiveMinimum: true` as draft-07 and rejects it; the response schemas compile as usual.
      quick: true,
      strict: true,
      validate: true,
      ajvOpts: { strict: false },
      customizeAjv: (ajv) => {
        addFormats(ajv);
        // OpenAPI's int64/double formats are not JSON Schema formats: the `type` keyword already checks them.
        ajv.addFormat('int64', true);
        ajv.addFormat('double', true);
        return ajv;
      },
    });
    await api.init();
    return api;
  })();
  return backend;
}

/** Whether the contract path is one of ours at all (paths outside it are our own additions). */
export async function operationFor(method: string, url: string) {
  const api = await load();
  const [pathname, query] = url.split('?', 2);
  return api.matchOperation({ method: method.toLowerCase(), path: pathname as string, query: query ?? '', headers: {} });
}

/**
 * Validates one response against the contract. Throws with the validator's errors when the body does not match.
 * Returns the operation it matched (undefined for paths the contract does not define).
 */
export async function checkContract(method: string, url: string, status: number, body: string): Promise<ContractCheck> {
  const api = await load();
  const operation = await operationFor(method, url);
  if (!operation?.operationId) return {};
  const { operationId } = operation;
  const declared = Object.keys(operation.responses ?? {});
  if (status === 204) {
    if (body !== '') throw new Error(`${operationId} 204 must have an empty body, got ${body.slice(0, 200)}`);
    return { operationId, undeclared: declared.includes('204') ? undefined : `${operationId} 204` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new Error(`${operationId} ${status}: body is not JSON: ${body.slice(0, 200)}`);
  }
  const isDeclared = declared.includes(String(status));
  if (!isDeclared && status < 400) throw new Error(`${operationId}: success status ${status} is not in the contract (${declared.join(', ')})`);
  // Any error the contract does not list for this operation must still be the contract's ErrorResponse: the schema
  // of verifySupplyAccount's 400 is exactly that.
  const result = isDeclared ? api.validateResponse(parsed, operationId, status) : api.validateResponse(parsed, 'verifySupplyAccount', 400);
  if (!result.valid) {
    throw new Error(`${operationId} ${status} does not match the contract: ${JSON.stringify(result.errors)}\nbody: ${body.slice(0, 500)}`);
  }
  return { operationId, undeclared: isDeclared ? undefined : `${operationId} ${status}` };
}

/** Every operationId of the contract (the suites assert each one is exercised). */
export async function contractOperations(): Promise<string[]> {
  const api = await load();
  return api.getOperations().map((o) => o.operationId as string);
}
