// A readable line per event for a terminal: `HH:MM:SS.mmm LEVEL msg k=v …`, instead of the JSON
// that log pipelines read. pino's own pretty printer is a separate package run in a worker thread;
// this is the few lines we need, as pino's destination, in the same thread.

const NOT_FIELDS = new Set(['time', 'level', 'msg', 'err']);

/** One value as k=v wants it: strings bare unless they hold spaces, objects as JSON, never a newline. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? (/[\s="]/.test(value) || value === '' ? JSON.stringify(value) : value) : JSON.stringify(value);
  return text.replace(/\n/g, '\\n');
}

/** The pretty form of one JSON line as pino wrote it (the line itself if it is not JSON). */
export function prettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line);
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof o.time === 'string' ? o.time.slice(11, 23) : '';
  const level = String(o.level ?? '').toUpperCase().padEnd(5);
  const fields = Object.entries(o)
    .filter(([k]) => !NOT_FIELDS.has(k))
    .map(([k, v]) => `${k}=${show(v)}`);
  const err = o.err as { message?: string; stack?: string } | undefined;
  if (err?.message) fields.push(`err=${show(err.message)}`);
  let out = [time, level, String(o.msg ?? '').replace(/\n/g, '\\n'), ...fields].join(' ');
  // Only error lines get their stack, indented under the line; everything else stays one line.
  if (o.level === 'error' && err?.stack) out += `\n${err.stack.split('\n').slice(1).map((l) => `    ${l.trim()}`).join('\n')}`;
  return `${out}\n`;
}

/** A pino destination that writes the pretty form to `out` (stdout on a terminal). */
export function prettyDestination(out: { write(text: string): unknown }): { write(line: string): void } {
  return { write: (line) => void out.write(prettyLine(line)) };
}
