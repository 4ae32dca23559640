// Secrets in other people's words. Upstream and platform error messages are shown to clients and written to logs and
// usage records, and upstreams like to echo the key they were given ("Incorrect API key provided: sk-abc***xyz", "key ending in 4wNc"). No character of a stored
// credential may leave (DESIGN.md §3), so: the credential itself is cut out, key-shaped tokens are masked, and if any
// distinctive 4-character piece of the credential still appears (a last-4, a prefix) the message is withheld.

// A short prefix counts only with a separator or a mask after it (`sk-`, `rk_`, `sk***`): bare, it starts words like
// "skipped" and "keystrokes".
const KEY_SHAPED = /\b(?:(?:sk|pk|ak|rk|key)[-_*]|bce-v3|AIza)[-_A-Za-z0-9*.:/]{6,}|\b[A-Za-z0-9_*-]*\d[A-Za-z0-9_*-]*[A-Za-z][A-Za-z0-9_*-]{14,}/g;
const WINDOW = 4;
/** Longer messages are cut (after scrubbing): an upstream's HTML error page is no use to a client. */
const MAX_MESSAGE = 500;

/**
 * The format prefix every key of a provider starts with: public, not key material. A message naming `o1-pro` or
 * `gemini-2.5-pro` is not withheld because the key starts `sk-proj-`.
 */
const PUBLIC_PREFIX = /^(?:sk-(?:proj-|ant-(?:api\d+-|admin\d+-)?|svcacct-|admin-)?|AIza|bce-v3\/ALTAK-)/;

export const WITHHELD_MESSAGE = 'The upstream refused the request (details withheld: they quoted a credential).';

export interface ScrubOptions {
  /** What each occurrence of a secret becomes. */
  marker: string;
  /** The whole text, when a piece of a secret still shows after the cut. */
  withheld: string;
  /** Also mask key-shaped tokens that are not one of `secrets` (another key the upstream quoted). */
  keyShaped?: boolean;
  maxLength?: number;
}

/**
 * Cuts every secret out of a text someone else wrote (an upstream's or a platform's error) before a client, a log or a
 * stored record sees it; withholds the text when a distinctive piece of a secret still shows.
 */
export function scrubSecrets(text: string, secrets: readonly (string | undefined)[], o: ScrubOptions): string {
  const known = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  let out = text;
  for (const secret of known) out = out.split(secret).join(o.marker);
  if (o.keyShaped) out = out.replace(KEY_SHAPED, o.marker);
  for (const secret of known) {
    // Windows that lie wholly inside the public prefix are skipped; one that reaches past it holds key material.
    const first = Math.max(0, (PUBLIC_PREFIX.exec(secret)?.[0].length ?? 0) - WINDOW + 1);
    for (let i = first; i + WINDOW <= secret.length; i += 1) {
      const piece = secret.slice(i, i + WINDOW);
      if (distinctive(piece) && out.includes(piece)) return o.withheld;
    }
  }
  const max = o.maxLength ?? MAX_MESSAGE;
  return out.length > max ? `${out.slice(0, max)}…` : out;
}

/** An upstream's error message with no character of the channel's credential (nor any other key-shaped token). */
export const redactCredential = (message: string, credential: string): string =>
  scrubSecrets(message, [credential], { marker: '[redacted]', withheld: WITHHELD_MESSAGE, keyShaped: true });

/**
 * A piece of a key worth looking for: it mixes character classes, as random key material does. A run of plain
 * lowercase letters ("ream") or digits ("2024") also occurs in ordinary words and numbers and would withhold harmless
 * messages.
 */
function distinctive(piece: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(piece)).length;
  return classes >= 2;
}
