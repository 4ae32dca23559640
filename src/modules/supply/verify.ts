import type { SecretBox } from '../../platform/crypto.ts';
import { PRIVATE_UPSTREAMS_HINT } from '../../platform/ssrf.ts';
import { PRINTABLE_TOKEN } from '../../platform/upstream-token.ts';
import { createUpstreamClient, UpstreamTransportError } from '../gateway/upstream-client.ts';
import { PROVIDERS } from '../providers/catalog.ts';
import { ADAPTERS } from '../providers/registry.ts';
import type { ProviderProbe, UpstreamFailure, UpstreamRequest } from '../providers/types.ts';
import type { CheckItem, SupplyProvider, VerifyStatus } from './supply.tables.ts';

// Verification of a supplier's upstream credential (DESIGN.md §6): a real, read-only call to the provider's model list
// (and balance, where it reports one) through the provider's adapter, bounded by one deadline, turned into check items,
// a verify status and a risk score. Check messages are written here, never copied from the provider: providers quote
// the key they were given, and no character of a credential may leave (DESIGN.md §3).

export interface VerifyInput {
  provider: SupplyProvider;
  accountType: 'api_key' | 'oauth';
  credential: string;
  /** In the provider's balance currency; a lower reported balance fails the quota check. */
  minQuotaThreshold?: number;
}

export interface VerifyResult {
  verifyStatus: VerifyStatus;
  riskScore: number;
  /** The balance the provider reported, when it reports one. */
  availableQuota?: number;
  checkItems: CheckItem[];
  /** The model ids the provider listed for the credential; null when the list could not be had. */
  models: string[] | null;
  fingerprint: string;
}

export interface VerifierDeps {
  secrets: SecretBox;
  providerBaseUrls: Record<string, string>;
  allowPrivateUpstreams: boolean;
  /** The whole verification's deadline, connect to last byte (default 8 s). */
  timeoutMs?: number;
  isMounted(fingerprint: string): Promise<boolean>;
}

/**
 * How findings become the verdict: verify_status is the most severe status among them (pass when there is none) and
 * risk_score the sum of their weights, capped at 100.
 *
 * | finding      | when                                                              | status          | weight |
 * |--------------|-------------------------------------------------------------------|-----------------|--------|
 * | refused      | the provider refused the credential (401/403, Gemini's bad key)   | reject          | 100    |
 * | duplicate    | the credential is already mounted                                 | reject          | 100    |
 * | unreachable  | no answer: connection failed, deadline passed, private address    | reject          | 90     |
 * | inconclusive | 429, 5xx, another 4xx, or a 2xx that is not a model list          | review_required | 50     |
 * | oauth        | OAuth grants are not probed like keys: an operator reviews them   | review_required | 50     |
 * | lowBalance   | reported balance below the supplier's minimum                     | review_required | 40     |
 * | noModels     | the provider lists no model for the credential                    | review_required | 40     |
 * | noBalance    | the provider reports no balance                                   | pass            | 10     |
 */
const FINDINGS = {
  refused: { status: 'reject', weight: 100 },
  duplicate: { status: 'reject', weight: 100 },
  unreachable: { status: 'reject', weight: 90 },
  inconclusive: { status: 'review_required', weight: 50 },
  oauth: { status: 'review_required', weight: 50 },
  lowBalance: { status: 'review_required', weight: 40 },
  noModels: { status: 'review_required', weight: 40 },
  noBalance: { status: 'pass', weight: 10 },
} as const satisfies Record<string, { status: VerifyStatus; weight: number }>;
type Finding = keyof typeof FINDINGS;

const SEVERITY: VerifyStatus[] = ['pass', 'review_required', 'reject'];
const DEFAULT_TIMEOUT_MS = 8_000;
/** A model list larger than this is not a model list. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const MAX_MODELS = 1_000;

/** What one probe call came to: the provider's answer, or why there was none. */
type Answer = { status: number; text: string } | { unreachable: 'timeout' | 'connect' | 'private' | 'network' };

/** What the checks are made from. `skipped` says why the provider was not called at all. */
interface Evidence {
  label: string;
  skipped?: 'duplicate' | 'oauth' | 'malformed';
  models?: Answer;
  parsed?: { ok: true; models: string[] } | UpstreamFailure;
  balance?: number;
  probe: ProviderProbe;
  timeoutMs: number;
  minQuotaThreshold?: number;
}

interface Check {
  item: CheckItem;
  finding?: Finding;
}

export function createVerifier(deps: VerifierDeps) {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = createUpstreamClient({
    connectTimeoutMs: timeoutMs,
    firstByteTimeoutMs: timeoutMs,
    idleTimeoutMs: timeoutMs,
    allowPrivateUpstreams: deps.allowPrivateUpstreams,
  });

  async function call(req: UpstreamRequest, signal: AbortSignal): Promise<Answer> {
    try {
      const res = await client.send(req, signal);
      return { status: res.statusCode, text: await readCapped(res.body) };
    } catch (err) {
      if (signal.aborted) return { unreachable: 'timeout' };
      if (!(err instanceof UpstreamTransportError)) return { unreachable: 'network' };
      if (err.code === 'EUPSTREAMPRIVATE') return { unreachable: 'private' };
      return { unreachable: err.kind === 'timeout' ? 'timeout' : err.kind };
    }
  }

  async function probeProvider(e: Evidence, baseUrl: string | null, credential: string): Promise<void> {
    if (!baseUrl) return void (e.models = { unreachable: 'connect' });
    const target = { baseUrl, credential };
    const signal = AbortSignal.timeout(timeoutMs);
    const [models, balance] = await Promise.all([
      call(e.probe.models(target), signal),
      e.probe.balance ? call(e.probe.balance(target), signal) : undefined,
    ]);
    e.models = models;
    if ('status' in models) e.parsed = e.probe.parseModels(models.status, models.text);
    if (balance && 'status' in balance) e.balance = e.probe.parseBalance?.(balance.status, balance.text);
  }

  return {
    async verify(input: VerifyInput): Promise<VerifyResult> {
      const fingerprint = deps.secrets.fingerprint(input.credential);
      const duplicate = await deps.isMounted(fingerprint);
      const e: Evidence = { label: PROVIDERS[input.provider].label, probe: ADAPTERS[input.provider].probe, timeoutMs, minQuotaThreshold: input.minQuotaThreshold };
      // A mounted credential is refused whatever the provider says, and is not ours to probe again; an OAuth grant is
      // not a key the model list accepts as such; a credential no HTTP header can carry is refused before any call.
      e.skipped = duplicate ? 'duplicate' : input.accountType === 'oauth' ? 'oauth' : !PRINTABLE_TOKEN.test(input.credential) ? 'malformed' : undefined;
      if (!e.skipped) await probeProvider(e, deps.providerBaseUrls[input.provider] ?? PROVIDERS[input.provider].defaultBaseUrl, input.credential);

      const checks = [reachability(e), authentication(e), modelAccess(e), quota(e), duplicateCheck(duplicate)];
      const findings = checks.flatMap((c) => (c.finding ? [FINDINGS[c.finding]] : []));
      const models = e.parsed && 'ok' in e.parsed ? cleanModels(e.parsed.models, input.credential) : null;
      return {
        verifyStatus: findings.reduce<VerifyStatus>((worst, f) => (SEVERITY.indexOf(f.status) > SEVERITY.indexOf(worst) ? f.status : worst), 'pass'),
        riskScore: Math.min(100, findings.reduce((sum, f) => sum + f.weight, 0)),
        ...(e.balance !== undefined ? { availableQuota: e.balance } : {}),
        checkItems: checks.map((c) => c.item),
        models,
        fingerprint,
      };
    },
    close: () => client.close(),
  };
}

export type Verifier = ReturnType<typeof createVerifier>;

const pass = (item: string, message: string): Check => ({ item: { item, result: 'pass', message } });
const warn = (item: string, message: string, finding?: Finding): Check => ({ item: { item, result: 'warn', message }, finding });
const fail = (item: string, message: string, finding?: Finding): Check => ({ item: { item, result: 'fail', message }, finding });

const SKIPPED: Record<NonNullable<Evidence['skipped']>, string> = {
  duplicate: 'Not checked: this credential is already mounted.',
  oauth: 'Not checked: OAuth grants cannot be verified with a model-list call the way API keys are; an operator reviews this account.',
  malformed: 'Not checked: the credential contains characters no provider accepts (spaces, line breaks or non-ASCII).',
};

function reachability(e: Evidence): Check {
  if (e.skipped) return warn('reachability', SKIPPED[e.skipped], e.skipped === 'oauth' ? 'oauth' : undefined);
  const answer = e.models as Answer;
  if ('status' in answer) return pass('reachability', `${e.label} answered (HTTP ${answer.status}).`);
  const why = {
    timeout: `${e.label} did not answer within ${e.timeoutMs / 1000} s. Try again in a few minutes.`,
    connect: `Could not connect to ${e.label}: the connection was refused or the host is unreachable.`,
    private: `${e.label}'s endpoint resolves to a private network address, which Tollgate does not call (${PRIVATE_UPSTREAMS_HINT}).`,
    network: `The connection to ${e.label} failed before it answered.`,
  }[answer.unreachable];
  return fail('reachability', why, 'unreachable');
}

function authentication(e: Evidence): Check {
  if (e.skipped === 'malformed') return fail('authentication', 'The credential contains characters no provider accepts (spaces, line breaks or non-ASCII). Paste it again.', 'refused');
  if (e.skipped) return warn('authentication', SKIPPED[e.skipped]);
  const answer = e.models as Answer;
  if (!('status' in answer)) return warn('authentication', `Not checked: ${e.label} could not be reached.`);
  const parsed = e.parsed as NonNullable<Evidence['parsed']>;
  if ('ok' in parsed) return pass('authentication', `${e.label} accepted the credential.`);
  const { status } = answer;
  if (refused(status, parsed)) {
    return fail('authentication', `${e.label} refused the credential (HTTP ${status}). Check that it is complete, still active and allowed to call the API.`, 'refused');
  }
  const why =
    status === 429 ? `${e.label} is rate-limiting this credential (HTTP 429); its quota may be used up. Try again later.`
    : status >= 500 ? `${e.label} had a server error (HTTP ${status}). Try again later.`
    : status < 300 ? `${e.label} answered, but not with a model list.`
    : `${e.label} answered HTTP ${status} to its model list.`;
  return warn('authentication', `Not confirmed: ${why}`, 'inconclusive');
}

/** 401/403, or a bad key reported otherwise (Gemini answers a wrong key with a 400 API_KEY_INVALID). */
const refused = (status: number, failure: UpstreamFailure) =>
  status === 401 || status === 403 || failure.type === 'authentication_error' || failure.type === 'permission_error';

function modelAccess(e: Evidence): Check {
  if (e.skipped) return warn('model_access', SKIPPED[e.skipped]);
  if (!e.parsed || !('ok' in e.parsed)) return warn('model_access', `Not checked: ${e.label} did not list the models of this credential.`);
  const n = e.parsed.models.length;
  if (n === 0) return warn('model_access', `${e.label} lists no models for this credential, so no buyer could be served through it.`, 'noModels');
  return pass('model_access', `${n} model${n === 1 ? '' : 's'} available to this credential.`);
}

function quota(e: Evidence): Check {
  if (e.skipped) return warn('quota', SKIPPED[e.skipped]);
  if (!e.models || !('status' in e.models)) return warn('quota', `Not checked: ${e.label} could not be reached.`);
  if (e.parsed && !('ok' in e.parsed) && refused(e.models.status, e.parsed)) return warn('quota', `Not checked: ${e.label} refused the credential.`);
  const min = e.minQuotaThreshold;
  const minNote = min !== undefined ? ` Your minimum of ${amount(min)} could not be checked.` : '';
  if (!e.probe.balance) return warn('quota', `${e.label} does not report a balance; watch the account's quota in ${e.label}'s console.${minNote}`, 'noBalance');
  if (e.balance === undefined) return warn('quota', `${e.label} did not report a balance for this credential; watch its quota in ${e.label}'s console.${minNote}`, 'noBalance');
  const balance = `${amount(e.balance)} ${e.probe.balanceCurrency ?? ''}`.trim();
  if (min !== undefined && e.balance < min) return fail('quota', `${e.label} reports ${balance} remaining, below your minimum of ${amount(min)}.`, 'lowBalance');
  return pass('quota', `${e.label} reports ${balance} remaining${min !== undefined ? ` (your minimum: ${amount(min)})` : ''}.`);
}

function duplicateCheck(duplicate: boolean): Check {
  return duplicate
    ? fail('duplicate', 'This credential is already mounted on Tollgate; a credential can back only one account.', 'duplicate')
    : pass('duplicate', 'This credential is not mounted on Tollgate yet.');
}

const amount = (n: number) => String(Math.round(n * 100) / 100);

/**
 * The listed ids worth keeping: strings of a sane length, each once, none quoting any 6 characters of the credential
 * (a proxy in front of a provider may put anything in its list).
 */
function cleanModels(ids: string[], credential: string): string[] {
  const window = Math.min(6, credential.length);
  const pieces = new Set(Array.from({ length: credential.length - window + 1 }, (_, i) => credential.slice(i, i + window)));
  const quotes = (id: string) => Array.from({ length: id.length - window + 1 }, (_, i) => id.slice(i, i + window)).some((p) => pieces.has(p));
  return [...new Set(ids)].filter((id) => id.length > 0 && id.length <= 200 && !quotes(id)).slice(0, MAX_MODELS);
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      return '';
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
