// The backstop behind structural redaction (src/log.ts): warn and error lines may carry text from
// elsewhere (an error message from a library, a URL), so known secret shapes are masked in them.
// Info lines skip it: their fields are a closed set of named values, and the per-request line
// must stay cheap.

/** Provider keys, gatehouse API keys, JWTs (ChatGPT tokens), bearer credentials, URL passwords. */
const SECRET = /gk_[0-9A-Za-z]{40}|sk-[\w-]{8,}|AIza[\w-]{30,}|eyJ[\w-]+\.[\w-]+\.[\w-]+|Bearer\s+\S+|(?<=\b[a-z][\w+.-]*:\/\/)[^\s/@:]+:[^\s/@]*@/gi;

/**
 * Longer text is cut first. Each pattern scans one run of key characters from each place it could
 * start, so text built of repeated starts ("sk-sk-sk-…") costs its length squared: the cap bounds
 * that to a few million steps (STYLE habit 11), and a warning needs no more than 4 KiB of text.
 */
const MAX_CHARS = 4096;

export function scrub(text: string): string {
  const bounded = text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
  return bounded.replace(SECRET, (found) => (found.endsWith('@') ? '[redacted]@' : '[redacted]'));
}
