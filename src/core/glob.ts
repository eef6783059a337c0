// The one matcher for every place a user's pattern meets a string: integration and API-key model
// scopes on the gateway's hot path, /v1/models filtering, `ls PATTERN`.
//
// Shell-style: `*` any run, `?` one character, everything else literal, whole-string match. Not a
// RegExp: `*a*a*a…b` as `^.*a.*a.*…b$` backtracks exponentially, and one request naming a model of
// forty `a`s froze the whole process (issue 11, point 1). This walks both strings once, returning to
// the last `*` on a mismatch: at most O(pattern × value) steps, whatever the input. Patterns are
// capped where they are entered (128 characters) and model ids where they arrive (MAX_MODEL_ID).

export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let resume = 0;
  while (v < value.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === value[v])) p++, v++;
    else if (p < pattern.length && pattern[p] === '*') (star = p++), (resume = v);
    else if (star !== -1) (p = star + 1), (v = ++resume);
    else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** True when any pattern matches the model id, bare or with its provider prefix (`openai/gpt-5.5`). */
export function modelAllowed(globs: readonly string[], provider: string, id: string): boolean {
  const prefixed = `${provider}/${id}`;
  return globs.some((g) => globMatch(g, id) || globMatch(g, prefixed));
}
