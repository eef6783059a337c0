// Prometheus figures for operators (issue 16). Interface frozen first so the gateway, SSH and audit
// work can count against it; the prom-client implementation replaces the no-op bodies.
// Labels are bounded: provider, catalog model id (else "other"), source, api, status class, codes.
// Never a user, VM, key or client-sent value.

export type UpstreamErrorKind = 'connect' | 'timeout' | 'midstream_timeout' | 'midstream_lost' | 'status_429' | 'status_5xx';

/** What one gateway request (or one WebSocket turn) came to, handed over once when it ends. */
export interface RequestFacts {
  /** Provider id, or "none" when the request was refused before one was chosen. */
  provider: string;
  /** Catalog model id when the model is in the catalog, "other" otherwise, "none" before planning. */
  model: string;
  /** gateway | byok | chatgpt | none */
  source: string;
  /** messages, chat, responses, embeddings, gemini, models, reflection, … ; "none" if unrouted. */
  api: string;
  status: number;
  durationMs: number;
  ttfbMs?: number;
  usage?: { input: number; output: number; cacheRead: number; cacheWrite: number; costMicros: number };
  /** The ErrorCode of a refusal (401/402/403/429/4xx made by gatehouse, not upstream). */
  refusal?: string;
  upstreamError?: UpstreamErrorKind;
}

/** Live state read at scrape time (no per-request cost). */
export interface GaugeSources {
  inFlight(): number;
  streams(): number;
  sockets(): number;
  sshSessions(): number;
  usageQueue(): number;
}

export type SshLoginOutcome = 'ok' | 'signup' | 'refused';

export class Metrics {
  gatewayRequest(_f: RequestFacts): void {}
  websocketTurn(_f: RequestFacts): void {}
  sshLogin(_outcome: SshLoginOutcome): void {}
  /** One shell command ran: its registry path (bounded) and exit status. */
  command(_path: string, _status: number): void {}
  auditEvent(_outcome: string): void {}
  usageFlush(_seconds: number, _ok: boolean): void {}
  usageDropped(_rows: number): void {}
  watch(_sources: GaugeSources): void {}
  readonly contentType: string = 'text/plain; version=0.0.4; charset=utf-8';
  async render(): Promise<string> {
    return '';
  }
}
