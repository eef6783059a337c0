// The server log: one line per event on stderr. Never pass secrets here; errors are logged with
// their stack because only GatehouseError messages are safe to show users, and the rest are bugs.
export interface Log {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

export function consoleLog(stream: NodeJS.WritableStream = process.stderr): Log {
  const stamp = () => new Date().toISOString();
  return {
    info: (message) => void stream.write(`${stamp()} ${message}\n`),
    warn: (message) => void stream.write(`${stamp()} WARN ${message}\n`),
    error: (message, err) => void stream.write(`${stamp()} ERROR ${message}${err ? `: ${err instanceof Error ? err.stack : String(err)}` : ''}\n`),
  };
}

export const silentLog: Log = { info: () => {}, warn: () => {}, error: () => {} };
