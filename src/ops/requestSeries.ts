// The gateway's per-request figures, kept so that counting a request costs ~100 ns and allocates
// nothing: a label tuple's Series is found through nested maps (no key string to build and hash),
// its counts are plain numbers that reach the prom-client counters only at scrape time (flush,
// their collect hook), and its two histograms are observed through cells (histogramCell.ts).
import { Counter, Histogram, type Registry } from 'prom-client';
import { histogramCell, type Observer } from './histogramCell.js';

/** What a request (or turn) gives the series; metrics.ts's RequestFacts adds the refusal and upstream error. */
export interface Counted {
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
}

const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const TTFB_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64];
/** Series are few (providers × catalog models × sources × apis × classes); this bounds a mistake. */
const MAX_SERIES = 10_000;

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

export class RequestSeries {
  /** provider → model → source → api → status class (0 for none, 1…5) → series. */
  private readonly tuples = new Map<string, Map<string, Map<string, Map<string, Series[]>>>>();
  private readonly all: Series[] = [];
  private readonly requests: Counter;
  private readonly turns: Counter;
  private readonly tokens: Counter;
  private readonly cost: Counter;
  private readonly duration: Histogram;
  private readonly ttfb: Histogram;

  constructor(registry: Registry) {
    const registers = [registry];
    const collect = () => this.flush();
    const counter = (name: string, help: string, labelNames: string[]) => new Counter({ name, help, labelNames, registers, collect });
    this.requests = counter('gatehouse_gateway_requests_total', 'Gateway requests answered, refusals included', ['provider', 'model', 'source', 'api', 'status_class']);
    this.turns = counter('gatehouse_gateway_websocket_turns_total', 'Responses WebSocket turns ended', ['provider', 'model', 'source', 'status_class']);
    this.tokens = counter('gatehouse_gateway_tokens_total', 'Tokens metered, by type (as usage rows count them)', ['provider', 'model', 'source', 'type']);
    this.cost = counter('gatehouse_gateway_cost_usd_total', 'Cost in USD charged to credits', ['provider', 'model', 'source']);
    const histogram = (name: string, help: string, buckets: number[]) => new Histogram({ name, help, labelNames: ['provider', 'model'], buckets, registers });
    this.duration = histogram('gatehouse_gateway_request_duration_seconds', 'Gateway request duration, to the response closing', DURATION_BUCKETS);
    this.ttfb = histogram('gatehouse_gateway_time_to_first_byte_seconds', 'Time to the first upstream byte', TTFB_BUCKETS);
  }

  /** Counts one HTTP request (turn: false) or WebSocket turn, with its durations and usage. */
  count(f: Counted, turn: boolean): void {
    const byClass = this.tuples.get(f.provider)?.get(f.model)?.get(f.source)?.get(f.api);
    const c = f.status >= 100 && f.status < 600 ? (f.status / 100) | 0 : 0;
    const s = byClass?.[c] ?? this.newSeries(f, c);
    if (turn) s.turns++;
    else s.requests++;
    s.children.duration.observe(f.durationMs / 1000);
    if (f.ttfbMs !== undefined) s.children.ttfb.observe(f.ttfbMs / 1000);
    const u = f.usage;
    if (!u) return;
    s.input += u.input;
    s.output += u.output;
    s.cacheRead += u.cacheRead;
    s.cacheWrite += u.cacheWrite;
    s.costMicros += u.costMicros;
  }

  private newSeries(f: Counted, c: number): Series {
    // Past the bound (a bug upstream of here), new tuples share one series rather than grow memory.
    if (this.all.length >= MAX_SERIES && f.provider !== 'other') return this.newSeries({ ...f, provider: 'other', model: 'other', source: 'other', api: 'other' }, 0);
    const { provider: p, model: m, source: src, api } = f;
    const status = c === 0 ? 'other' : `${c}xx`;
    const tokens = (type: string) => this.tokens.labels(p, m, src, type);
    const level = <V>(map: Map<string, V>, key: string, make: () => V): V => map.get(key) ?? (map.set(key, make()), map.get(key)!);
    const byClass = level(level(level(level(this.tuples, p, () => new Map()), m, () => new Map()), src, () => new Map()), api, () => [] as Series[]);
    if (byClass[c]) return byClass[c];
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
    byClass[c] = s;
    this.all.push(s);
    return s;
  }

  /** Moves the counts gathered since the last scrape into the prom-client counters. */
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
}
