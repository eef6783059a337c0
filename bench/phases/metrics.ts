// The cost of counting (issue 16): Metrics.gatewayRequest, as RequestTrace calls it once per
// request, timed in-process over a realistic mix of label tuples (a few providers, models and
// statuses, most requests with usage), then one scrape. No server involved: it is the per-request
// work alone, so a change to it shows here before it can show in requests per second.
import { Metrics, type RequestFacts } from '../../src/ops/metrics.js';

export interface MetricsRun {
  /** Nanoseconds per gatewayRequest call. */
  nsPerRequest: number;
  /** Milliseconds for one render of the registry after the calls (a scrape). */
  renderMs: number;
}

const CALLS = 1_000_000;

function mix(): RequestFacts[] {
  const facts: RequestFacts[] = [];
  const models = [['anthropic', 'claude-sonnet-5-5', 'messages'], ['anthropic', 'claude-opus-5-5', 'messages'], ['openai', 'gpt-5.5', 'chat'], ['openai', 'gpt-5.5', 'responses'], ['gemini', 'other', 'generate_content']];
  for (const [provider, model, api] of models) {
    for (const status of [200, 200, 200, 429, 502]) {
      facts.push({ provider, model, source: 'gateway', api, status, durationMs: 120 + facts.length, ttfbMs: 40, usage: status === 200 ? { input: 10, output: 20, cacheRead: 100, cacheWrite: 0, costMicros: 123 } : undefined });
    }
  }
  return facts;
}

export async function metricsMicro(): Promise<MetricsRun> {
  const metrics = new Metrics({ version: 'bench' });
  const facts = mix();
  for (let i = 0; i < 100_000; i++) metrics.gatewayRequest(facts[i % facts.length]); // JIT warm-up
  const began = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) metrics.gatewayRequest(facts[i % facts.length]);
  const nsPerRequest = Number(process.hrtime.bigint() - began) / CALLS;
  const rendered = performance.now();
  await metrics.render();
  return { nsPerRequest, renderMs: performance.now() - rendered };
}
