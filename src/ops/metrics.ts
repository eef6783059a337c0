// Prometheus figures for operators (issue 16), on prom-client with a Registry per Metrics (tests
// run several gatehouses in one process; the global registry would mix them). Labels are bounded:
// provider, catalog model id (else "other"), source, api, status class, codes. Never a user, VM,
// key or client-sent value.
// The per-request path allocates nothing but its series key: counts go to plain numbers in a
// cached Series and reach the prom-client counters at scrape time (flush); the two histograms are
// observed through cells bound when the series was first seen (histogramCell.ts).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { buildVersion } from './buildInfo.js';
import { histogramCell, type Observer } from './histogramCell.js';

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
  /** Event-loop stalls seen so far (LoopWatch), when wired. */
  loopStalls?(): number;
}

export type SshLoginOutcome = 'ok' | 'signup' | 'refused';

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const TTFB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64];
const FLUSH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Inc = { inc(value?: number): void };

/** One label tuple's counts since the last scrape, and its prom-client children. */
interface Series {
  requests: number;
  turns: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  costMicros: number;
  children: { requests: Inc; turns: Inc; input: Inc; output: Inc; cacheRead: Inc; cacheWrite: Inc; cost: Inc; duration: Observer; ttfb: Observer };
}

/** Series are few (providers × catalog models × sources × apis × classes); this bounds a mistake. */
const MAX_SERIES = 10_000;

export class Metrics {
  private readonly registry = new Registry();
  /** provider → model → source → api → status class (0 for none, 1…5) → series. */
  private readonly tuples = new Map<string, Map<string, Map<string, Map<string, Series[]>>>>();
  private readonly all: Series[] = [];
  private readonly small = new Map<string, Inc>();
  private sources: GaugeSources | undefined;
  private readonly requests: Counter;
  private readonly turns: Counter;
  private readonly tokens: Counter;
  private readonly cost: Counter;
  private readonly duration: Histogram;
  private readonly ttfb: Histogram;
  private readonly refusals: Counter;
  private readonly upstreamErrors: Counter;
  private readonly sshLogins: Counter;
  private readonly commands: Counter;
  private readonly audits: Counter;
  private readonly flushes: Histogram;
  private readonly dropped: Counter;
  readonly contentType: string = Registry.PROMETHEUS_CONTENT_TYPE;

  constructor(options: { version?: string } = {}) {
    const registers = [this.registry];
    const flush = () => this.flush();
    const counter = (name: string, help: string, labelNames: string[] = [], collect?: () => void) => new Counter({ name, help, labelNames, registers, collect });
    const self = this;
    const gauge = (name: string, help: string, read: (s: GaugeSources) => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(self.sources ? read(self.sources) : 0);
        },
      });
    this.requests = counter('gatehouse_gateway_requests_total', 'Gateway requests answered, refusals included', ['provider', 'model', 'source', 'api', 'status_class'], flush);
    this.turns = counter('gatehouse_gateway_websocket_turns_total', 'Responses WebSocket turns ended', ['provider', 'model', 'source', 'status_class'], flush);
    this.tokens = counter('gatehouse_gateway_tokens_total', 'Tokens metered, by type (as usage rows count them)', ['provider', 'model', 'source', 'type'], flush);
    this.cost = counter('gatehouse_gateway_cost_usd_total', 'Cost in USD charged to credits', ['provider', 'model', 'source'], flush);
    this.duration = new Histogram({ name: 'gatehouse_gateway_request_duration_seconds', help: 'Gateway request duration, to the response closing', labelNames: ['provider', 'model'], buckets: DURATION_BUCKETS, registers });
    this.ttfb = new Histogram({ name: 'gatehouse_gateway_time_to_first_byte_seconds', help: 'Time to the first upstream byte', labelNames: ['provider', 'model'], buckets: TTFB_BUCKETS, registers });
    this.refusals = counter('gatehouse_gateway_refusals_total', 'Requests gatehouse refused, by error code and HTTP status', ['code', 'status']);
    this.upstreamErrors = counter('gatehouse_gateway_upstream_errors_total', 'Upstream failures, by kind', ['provider', 'kind']);
    gauge('gatehouse_gateway_requests_in_flight', 'Gateway requests being answered now', (s) => s.inFlight());
    gauge('gatehouse_gateway_streams_open', 'Upstream streams being relayed now', (s) => s.streams());
    gauge('gatehouse_gateway_websockets_open', 'Responses WebSockets relayed now', (s) => s.sockets());
    gauge('gatehouse_ssh_sessions_open', 'SSH sessions open now', (s) => s.sshSessions());
    gauge('gatehouse_usage_queue_depth', 'Usage rows waiting to be written', (s) => s.usageQueue());
    this.sshLogins = counter('gatehouse_ssh_logins_total', 'SSH logins by outcome', ['outcome']);
    this.commands = counter('gatehouse_ssh_commands_total', 'Shell commands run, by command path and exit status', ['command', 'status']);
    this.audits = counter('gatehouse_audit_events_total', 'Audit rows recorded, by outcome', ['outcome']);
    this.flushes = new Histogram({ name: 'gatehouse_usage_flush_duration_seconds', help: 'Usage writer flushes', labelNames: ['outcome'], buckets: FLUSH_BUCKETS, registers });
    this.dropped = counter('gatehouse_usage_rows_dropped_total', 'Usage rows the database refused');
    // LoopWatch keeps the count; the counter shows it as it is at scrape time.
    const stalls = counter('gatehouse_event_loop_stalls_total', 'Event-loop stalls over GATEHOUSE_EVENT_LOOP_WARN_MS', [], () => {
      stalls.reset();
      stalls.inc(this.sources?.loopStalls?.() ?? 0);
    });
    new Gauge({ name: 'gatehouse_build_info', help: 'Always 1: the version and Node.js release serving', labelNames: ['version', 'node'], registers }).set({ version: options.version ?? buildVersion(), node: process.version }, 1);
    for (const m of processDefaults()) this.registry.registerMetric(m);
  }

  /** One HTTP request ended (trace.ts): ~1 map lookup and two observations, no label objects. */
  gatewayRequest(f: RequestFacts): void {
    const s = this.seriesOf(f);
    s.requests++;
    this.observe(s, f);
  }

  /** One Responses WebSocket turn ended: its tokens and cost go to the same counters as HTTP's. */
  websocketTurn(f: RequestFacts): void {
    const s = this.seriesOf(f);
    s.turns++;
    this.observe(s, f);
  }

  refusal(code: string, status: number): void {
    this.child(this.refusals, 'r', code, String(status)).inc();
  }

  upstreamError(provider: string, kind: UpstreamErrorKind): void {
    this.child(this.upstreamErrors, 'u', provider, kind).inc();
  }

  sshLogin(outcome: SshLoginOutcome): void {
    this.child(this.sshLogins, 'l', outcome).inc();
  }

  /** One shell command ran: its registry path (bounded) and exit status. */
  command(path: string, status: number): void {
    this.child(this.commands, 'c', path, String(status)).inc();
  }

  auditEvent(outcome: string): void {
    this.child(this.audits, 'a', outcome).inc();
  }

  usageFlush(seconds: number, ok: boolean): void {
    this.flushes.labels(ok ? 'ok' : 'failed').observe(seconds);
  }

  usageDropped(rows: number): void {
    if (rows > 0) this.dropped.inc(rows);
  }

  watch(sources: GaugeSources): void {
    this.sources = sources;
  }

  async render(): Promise<string> {
    return this.registry.metrics();
  }

  private observe(s: Series, f: RequestFacts): void {
    s.children.duration.observe(f.durationMs / 1000);
    if (f.ttfbMs !== undefined) s.children.ttfb.observe(f.ttfbMs / 1000);
    const u = f.usage;
    if (u) {
      s.input += u.input;
      s.output += u.output;
      s.cacheRead += u.cacheRead;
      s.cacheWrite += u.cacheWrite;
      s.costMicros += u.costMicros;
    }
    if (f.refusal !== undefined) this.refusal(f.refusal, f.status);
    if (f.upstreamError !== undefined) this.upstreamError(f.provider, f.upstreamError);
  }

  /** The series of a label tuple: nested maps, so a lookup builds no key string (~30 ns, not ~300). */
  private seriesOf(f: RequestFacts): Series {
    const byClass = this.tuples.get(f.provider)?.get(f.model)?.get(f.source)?.get(f.api);
    const c = f.status >= 100 && f.status < 600 ? (f.status / 100) | 0 : 0;
    return byClass?.[c] ?? this.newSeries(f, c);
  }

  private newSeries(f: RequestFacts, c: number): Series {
    // Past the bound (a bug upstream of here), new tuples share one series rather than grow memory.
    if (this.all.length >= MAX_SERIES && f.provider !== 'other') return this.seriesOf({ ...f, provider: 'other', model: 'other', source: 'other', api: 'other', status: 0 });
    const { provider: p, model: m, source: src, api } = f;
    const status = c === 0 ? 'other' : `${c}xx`;
    const tokens = (type: string) => this.tokens.labels(p, m, src, type);
    const s: Series = {
      requests: 0, turns: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, costMicros: 0,
      children: {
        requests: this.requests.labels(p, m, src, api, status),
        turns: this.turns.labels(p, m, src, status),
        input: tokens('input'),
        output: tokens('output'),
        cacheRead: tokens('cache_read'),
        cacheWrite: tokens('cache_write'),
        cost: this.cost.labels(p, m, src),
        duration: histogramCell(this.duration, { provider: p, model: m }),
        ttfb: histogramCell(this.ttfb, { provider: p, model: m }),
      },
    };
    const level = <K, V>(map: Map<K, V>, key: K, make: () => V): V => map.get(key) ?? (map.set(key, make()), map.get(key)!);
    const byClass = level(level(level(level(this.tuples, p, () => new Map()), m, () => new Map()), src, () => new Map()), api, () => [] as Series[]);
    byClass[c] = s;
    this.all.push(s);
    return s;
  }

  /** Moves the counts gathered since the last scrape into the prom-client counters (their collect hook). */
  private flush(): void {
    for (const s of this.all) {
      const c = s.children;
      if (s.requests) c.requests.inc(s.requests);
      if (s.turns) c.turns.inc(s.turns);
      if (s.input) c.input.inc(s.input);
      if (s.output) c.output.inc(s.output);
      if (s.cacheRead) c.cacheRead.inc(s.cacheRead);
      if (s.cacheWrite) c.cacheWrite.inc(s.cacheWrite);
      if (s.costMicros) c.cost.inc(s.costMicros / 1e6);
      s.requests = s.turns = s.input = s.output = s.cacheRead = s.cacheWrite = s.costMicros = 0;
    }
  }

  private child(metric: Counter, kind: string, ...values: string[]): Inc {
    const key = `${kind}\0${values.join('\0')}`;
    let c = this.small.get(key);
    if (!c) this.small.set(key, (c = metric.labels(...values)));
    return c;
  }
}

let defaults: Metric[] | undefined;

/**
 * The Node process figures (process_*, nodejs_*, event-loop lag included), under their stock names.
 * Collected once per process into a registry of their own and shared by every Metrics: each
 * collectDefaultMetrics call starts an event-loop delay monitor and a GC observer that are never
 * stopped, and the process is one whatever number of gatehouses a test runs in it.
 */
function processDefaults(): Metric[] {
  if (!defaults) {
    const register = new Registry();
    collectDefaultMetrics({ register });
    defaults = register.getMetricsAsArray() as unknown as Metric[]; // the metric objects themselves (typings say otherwise)
  }
  return defaults!;
}
