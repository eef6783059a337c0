// The bench's printed report: one table per measurement, then the targets.
import type { Phase, Summary } from './summary.js';

function table(title: string, head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  // Numbers align right, words left.
  const line = (r: string[]) => '  ' + r.map((c, i) => (i > 0 && /^[+-]?[\d.]+( \(.*\))?$|^n\/a$/.test(c) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [title, ...cells.map(line)].join('\n');
}

const NAMES = { floor: 'floor proxy', gatehouse: 'gatehouse', meteringOff: 'gatehouse METERING=off' } as const;
const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const plus = (n: number, d = 3) => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(d)}` : 'n/a');

export function printReport(s: Summary, header: string[]): string {
  const t = s.throughput;
  const l = s.latency;
  const st = s.streaming;
  const h = s.hold;
  const ran = (p: Phase, text: string) => (s.phases.includes(p) ? [text] : []);
  const parts = [
    header.join('\n'),
    ...ran('throughput', table('non-streaming, 50 connections', ['', 'req/s', 'p50 ms', 'p99 ms', 'failures', 'CPU us/req', 'mock us/req'], [
      ['direct (mock)', f(t.direct.rps, 0), f(t.direct.p50), f(t.direct.p99), t.direct.failures, '', f(t.direct.mockCpuUs, 0)],
      ...(['floor', 'gatehouse', 'meteringOff'] as const).map((k) => [NAMES[k], f(t[k].rps, 0), f(t[k].p50), f(t[k].p99), t[k].failures, f(t[k].cpuUs, 0), f(t[k].mockCpuUs, 0)]),
      ...(s.onPostgres ? [['gatehouse on PostgreSQL', f(s.onPostgres.rps, 0), f(s.onPostgres.p50), f(s.onPostgres.p99), s.onPostgres.failures, f(s.onPostgres.cpuUs, 0), f(s.onPostgres.mockCpuUs, 0)]] : []),
    ])),
    ...ran('latency', table('concurrency 1', ['', 'p50 ms', 'p99 ms', 'added p50', 'added p99'], [
      ['direct (mock)', f(l.direct.p50, 3), f(l.direct.p99, 3), '', ''],
      ['floor proxy', f(l.floor.p50, 3), f(l.floor.p99, 3), plus(l.floor.addedP50), plus(l.floor.addedP99)],
      ['gatehouse', f(l.gatehouse.p50, 3), f(l.gatehouse.p99, 3), plus(l.gatehouse.addedP50), plus(l.gatehouse.addedP99)],
    ])),
    ...ran('streaming', table('SSE, 200 chunks (p50 per run)', ['', 'ttfb ms', 'total ms', 'added ttfb', 'added total', 'paced gap p50', 'paced chunks'], [
      ['direct (mock)', f(st.direct.ttfb, 3), f(st.direct.total, 3), '', '', f(st.direct.pacedGapP50, 3), st.direct.pacedChunks],
      ['floor proxy', f(st.floor.ttfb, 3), f(st.floor.total, 3), plus(st.floor.addedTtfb), plus(st.floor.addedTotal), f(st.floor.pacedGapP50, 3), st.floor.pacedChunks],
      ['gatehouse', f(st.gatehouse.ttfb, 3), f(st.gatehouse.total, 3), plus(st.gatehouse.addedTtfb), plus(st.gatehouse.addedTotal), f(st.gatehouse.pacedGapP50, 3), st.gatehouse.pacedChunks],
    ])),
    ...ran('websocket', table('Responses API turn, 200 events: HTTP stream vs WebSocket relay (p50 per run)', ['', 'first byte/frame ms', 'total ms', 'added first', 'added total', 'failures'], (['http', 'socket'] as const).flatMap((k) => {
      const x = s.responses[k];
      const name = k === 'http' ? 'HTTP stream' : 'WebSocket';
      return [
        [`${name} direct (mock)`, f(x.direct.ttfb, 3), f(x.direct.total, 3), '', '', ''],
        [`${name} gatehouse`, f(x.gatehouse.ttfb, 3), f(x.gatehouse.total, 3), plus(x.addedTtfb), plus(x.addedTotal), x.failures],
      ];
    }))),
    ...ran('hold', table(`${h.gatehouse.streams.toLocaleString('en-US')} SSE streams held 10 s (worst run; KB/stream = (peak RSS - RSS before) / streams)`, ['', 'runs', 'complete', 'stalled', 'failed', 'max gap s', 'RSS before MB', 'peak RSS MB', 'KB/stream'], [
      ['floor proxy', h.floor.runs, h.floor.complete, h.floor.stalled, h.floor.failed, f(h.floor.maxGapS), f(h.floor.rssBeforeMb, 0), f(h.floor.peakRssMb, 0), f(h.floor.kbPerStream, 1)],
      ['gatehouse', h.gatehouse.runs, h.gatehouse.complete, h.gatehouse.stalled, h.gatehouse.failed, f(h.gatehouse.maxGapS), f(h.gatehouse.rssBeforeMb, 0), `${f(h.gatehouse.peakRssMb, 0)} (HWM ${f(h.gatehouse.hwmMb, 0)})`, f(h.gatehouse.kbPerStream, 1)],
    ])),
    ...ran('ssh', table('SSH, 100 concurrent fresh connections x whoami', ['', 'p50 ms', 'p99 ms', 'failures', 'one alone ms', 'CPU ms/session', 'client CPU ms/session'], (['floor', 'gatehouse'] as const).map((t) => {
      const x = s.ssh[t];
      return [t === 'floor' ? 'ssh2 floor' : 'gatehouse', f(x.p50, 1), f(x.p99, 1), x.failures, f(x.alone, 1), f(x.cpuMsPerSession, 2), f(x.clientCpuMsPerSession, 2)];
    }))),
    ...ran('metrics', table('counting (in-process, median of runs)', ['', 'ns/request', 'ms/scrape'], [['Metrics.gatewayRequest', f(s.counting.nsPerRequest, 0), f(s.counting.renderMs, 2)]])),
    table('targets', ['', 'result', 'numbers'], s.targets.map((x) => [x.name, x.met === 'n/a' ? 'n/a' : x.met ? 'met' : 'NOT met', x.detail])),
  ];
  return parts.join('\n\n');
}
