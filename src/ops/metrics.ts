// Prometheus figures for operators (issue 16), on prom-client with a Registry per Metrics (tests
// run several gatehouses in one process; the global registry would mix them). Labels are bounded:
// provider, catalog model id (else "other"), source, api, status class, codes. Never a user, VM,
// key or client-sent value.
// The per-request path is requestSeries.ts; the rest counts rare events through children cached
// by their label values, and gauges read live state at scrape time (GaugeSources).
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { buildVersion } from './buildInfo.js';
import { RequestSeries, type Counted } from './requestSeries.js';

export type UpstreamErrorKind = 'connect' | 'timeout' | 'midstream_timeout' | 'midstream_lost' | 'status_429' | 'status_5xx';

/** What one gateway request (or one WebSocket turn) came to, handed over once when it ends. */
export interface RequestFacts extends Counted {
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

const FLUSH_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

type Inc = { inc(value?: number): void };

export class Metrics {
  private readonly registry = new Registry();
  private readonly requests: RequestSeries;
  private readonly small = new Map<string, Inc>();
  private sources: GaugeSources | undefined;
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
    this.requests = new RequestSeries(this.registry);
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

  /** One HTTP request ended (trace.ts): ~100 ns, no label objects (requestSeries.ts). */
  gatewayRequest(f: RequestFacts): void {
    this.requests.count(f, false);
    this.failures(f);
  }

  /** One Responses WebSocket turn ended: its tokens and cost go to the same counters as HTTP's. */
  websocketTurn(f: RequestFacts): void {
    this.requests.count(f, true);
    this.failures(f);
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

  private failures(f: RequestFacts): void {
    if (f.refusal !== undefined) this.refusal(f.refusal, f.status);
    if (f.upstreamError !== undefined) this.upstreamError(f.provider, f.upstreamError);
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
