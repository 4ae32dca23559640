// Upstream error messages are shown to clients and written to logs, and upstreams like to echo the key they were
// given ("Incorrect API key provided: sk-abc***xyz"). No character of a stored credential may leave (DESIGN.md §3),
// so: the credential itself is cut out, key-shaped tokens are masked, and if any distinctive 6-character piece of the
// credential still appears the message is withheld altogether.

// A short prefix counts only with a separator or a mask after it (`sk-`, `rk_`, `sk***`): bare, it starts words like
// "skipped" and "keystrokes".
const KEY_SHAPED = /\b(?:(?:sk|pk|ak|rk|key)[-_*]|bce-v3|AIza)[-_A-Za-z0-9*.:/]{6,}|\b[A-Za-z0-9_*-]*\d[A-Za-z0-9_*-]*[A-Za-z][A-Za-z0-9_*-]{14,}/g;
const WINDOW = 6;

export function redactCredential(message: string, credential: string): string {
  let out = credential.length > 0 ? message.split(credential).join('[redacted]') : message;
  out = out.replace(KEY_SHAPED, '[redacted]');
  for (let i = 0; i + WINDOW <= credential.length; i += 1) {
    const piece = credential.slice(i, i + WINDOW);
    if (distinctive(piece) && out.includes(piece)) return 'The upstream refused the request (details withheld: they quoted a credential).';
  }
  return out;
}

/**
 * A piece of a key worth looking for: it mixes character classes, as random key material does. A run of plain
 * lowercase letters ("upstre") also occurs in ordinary words and would withhold harmless messages.
 */
function distinctive(piece: string): boolean {
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(piece)).length;
  return classes >= 2;
}
