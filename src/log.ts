// The server log. Never pass secrets here: fields are a closed set of names (no headers, no
// argument values, no bodies), so the compiler refuses what could carry one. Errors are logged
// with their stack because only GatehouseError messages are safe to show users; the rest are bugs.
// Issue 16 freezes this interface; src/ops/ builds it on pino (JSON lines on stdout).

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

/**
 * Placeholder until issue 16's pino log lands (src/ops/): one text line per event on stderr.
 * Replaced by `createLog({ level, format, destination })`.
 */
export function consoleLog(stream: NodeJS.WritableStream = process.stderr): Log {
  const stamp = () => new Date().toISOString();
  const tail = (fields?: LogFields) => (fields ? ` ${JSON.stringify(fields)}` : '');
  const log: Log = {
    debug: () => {},
    info: (message, fields) => void stream.write(`${stamp()} ${message}${tail(fields)}\n`),
    warn: (message, fields) => void stream.write(`${stamp()} WARN ${message}${tail(fields)}\n`),
    error: (message, err, fields) => void stream.write(`${stamp()} ERROR ${message}${err ? `: ${err instanceof Error ? err.stack : String(err)}` : ''}${tail(fields)}\n`),
    child: () => log,
  };
  return log;
}

export const silentLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => silentLog };
