// The server log. Never pass secrets here: fields are a closed set of names (no headers, no
// argument values, no bodies), so the compiler refuses what could carry one. Errors are logged
// with their stack because only GatehouseError messages are safe to show users; the rest are bugs.
// Issue 16 froze this interface; createLog builds it on pino (JSON lines on stdout).
import pino from 'pino';
import { prettyDestination } from './ops/prettyLog.js';
import { scrub } from './ops/scrub.js';

/** Token counts of one request, as its usage row has them. */
export interface LogTokens {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
}

/** Every field a log line may carry. No index signature: a new field is a reviewed change. */
export interface LogFields {
  component?: string;
  instance?: string;
  event?: string;
  request_id?: string;
  method?: string;
  path?: string;
  caller?: string;
  user?: string;
  vm?: string;
  api_key?: string;
  integration?: string;
  team?: string;
  provider?: string;
  model?: string;
  source?: string;
  api?: string;
  status?: number;
  duration_ms?: number;
  ttfb_ms?: number;
  tokens?: LogTokens;
  cost_usd?: number;
  refusal?: string;
  upstream_error?: string;
  command?: string;
  exit?: number;
  interactive?: boolean;
  address?: string;
  fingerprint?: string;
  outcome?: string;
  count?: number;
  listen?: string;
  signal?: string;
}

export interface Log {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, err?: unknown, fields?: LogFields): void;
  /** A log whose every line carries these fields, e.g. `{ component: 'gateway' }`. */
  child(fields: LogFields): Log;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LogOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where JSON lines go (tests capture them); default stdout, asynchronously (flushLog on stop). */
  destination?: { write(line: string): unknown };
  /** Carried by every line: which instance of a fleet wrote it. */
  instance?: string;
}

/** A Log that buffers (stdout through sonic-boom) and can be told to write out what it holds. */
interface Flushable {
  flush(): void;
}

/**
 * Names that could hold a secret, should a field so named ever reach a line (LogFields has none of
 * them; this catches a mistake the compiler cannot see, such as a cast), at the top level or one
 * level down. Checked by hand rather than with pino's `redact`, which costs ~50 µs a line (it
 * copies the object) against ~1 µs for this: the per-request line must stay cheap.
 */
const CENSORED = new Set(['headers', 'authorization', 'key', 'apiKey', 'token', 'secret', 'password', 'args', 'body', 'stdin']);

/** `o` itself when no key is censored (the usual case: no copy), else a copy with those values replaced. */
function censor(o: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let out = o;
  for (const k of Object.keys(o)) {
    const v = o[k];
    let replaced: unknown = v;
    if (CENSORED.has(k)) replaced = '[redacted]';
    else if (depth === 0 && v !== null && typeof v === 'object' && !(v instanceof Error)) replaced = censor(v as Record<string, unknown>, 1);
    if (replaced === v) continue;
    if (out === o) out = Array.isArray(o) ? ([...o] as never) : { ...o };
    out[k] = replaced;
  }
  return out;
}

/** The JSON log on pino: one object a line on stdout, or readable lines on a terminal (format auto). */
export function createLog(options: LogOptions): Log {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && process.stdout.isTTY === true);
  const sink = options.destination ?? (pretty ? process.stdout : undefined);
  const stream = sink ? (pretty ? prettyDestination(sink) : sink) : stdoutLines();
  const logger = pino(
    {
      level: options.level,
      base: options.instance ? { instance: options.instance } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }), log: (o) => censor(o) },
      serializers: { err: serializeError },
    },
    stream,
  );
  return wrap(logger, stream);
}

/**
 * Lines batched into writes of STDOUT_BATCH bytes, or every STDOUT_FLUSH_MS, rather than one write
 * a line: under load the `gateway request` line's own write (a thread-pool hand-off and a syscall
 * on the one core the process runs on) was 8% of gatehouse's CPU (issue 18's profile, ~20 µs a
 * request). At most STDOUT_CAP bytes wait (a stalled stdout): beyond it lines are dropped, not held.
 */
const STDOUT_BATCH = 16 * 1024 - 1;
const STDOUT_FLUSH_MS = 50;
const STDOUT_CAP = 16 * 1024 * 1024;

function stdoutLines(): pino.DestinationStream {
  const boom = pino.destination({ dest: 1, sync: false, minLength: STDOUT_BATCH, maxLength: STDOUT_CAP });
  // Flushed only when lines wait (sonic-boom's own periodicFlush writes an empty string every
  // period, idle or not). `_len` (bytes buffered) is sonic-boom's; were it ever gone, this would
  // flush every period, as periodicFlush does.
  setInterval(() => {
    if (((boom as unknown as { _len?: number })._len ?? 1) > 0) boom.flush();
  }, STDOUT_FLUSH_MS).unref();
  return boom;
}

function wrap(logger: pino.Logger, stream?: object): Log & Flushable {
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    // warn and error may carry text from elsewhere (a library's message, a URL): scrubbed.
    warn: (message, fields) => logger.warn(fields ?? {}, scrub(message)),
    error: (message, err, fields) => logger.error(err === undefined ? (fields ?? {}) : { ...fields, err }, scrub(message)),
    child: (fields) => wrap(logger.child(censor(fields as Record<string, unknown>)), stream),
    flush: () => flushNow(logger, stream),
  };
}

/** Batched stdout (stdoutLines) is written out before this returns: the process may exit next. */
function flushNow(logger: pino.Logger, stream: object | undefined): void {
  const sync = (stream as { flushSync?: () => void } | undefined)?.flushSync;
  try {
    if (sync) return sync.call(stream);
  } catch {
    // Not open yet, or a write in flight: the asynchronous flush below still writes it.
  }
  logger.flush();
}

/** Writes out what the log still buffers (stdout is written asynchronously); for stop and exit. */
export function flushLog(log: Log): void {
  (log as Partial<Flushable>).flush?.();
}

interface SerializedError {
  type: string;
  code?: string;
  message: string;
  stack?: string;
  cause?: SerializedError;
}

/**
 * Type, code, message and stack only (scrubbed), plus two causes without their stacks. Never an
 * error's other enumerable properties: undici, pg and ssh2 errors carry request options, rows and
 * connection parameters there.
 */
export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) return { type: typeof err, message: scrub(String(err)) };
  const code = (err as { code?: unknown }).code;
  const out: SerializedError = { type: err.name || err.constructor?.name || 'Error', message: scrub(err.message) };
  if (typeof code === 'string' || typeof code === 'number') out.code = String(code).slice(0, 64);
  if (depth === 0 && err.stack) out.stack = scrub(err.stack);
  if (depth < 2 && err.cause !== undefined) out.cause = serializeError(err.cause, depth + 1);
  return out;
}

/** Kept for the few callers (a test server) that want a log on stdout without a config. */
export function consoleLog(): Log {
  return createLog({ level: 'info', format: 'auto' });
}

export const silentLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silentLog };
