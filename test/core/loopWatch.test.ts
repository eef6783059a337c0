// The event-loop watch (issue 11, "The event loop is watched"): a task holding the loop beyond the
// threshold is logged with what was in flight; the delay figures are exposed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LoopWatch } from '../../src/core/loopWatch.js';
import type { Log } from '../../src/log.js';

function capture(): { log: Log; warnings: string[]; next(): Promise<string> } {
  const warnings: string[] = [];
  let wake: ((line: string) => void) | undefined;
  const log: Log = {
    debug: () => {},
    child: () => log,
    info: () => {},
    error: () => {},
    warn: (m) => {
      warnings.push(m);
      wake?.(m);
    },
  };
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('deadline: no warning logged')), 2000);
      wake = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  return { log, warnings, next };
}

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('LoopWatch', () => {
  it('logs a stall beyond the threshold with the work in flight, oldest first, and records the delay', async () => {
    const { log, next } = capture();
    const watch = new LoopWatch(log, 100);
    try {
      const endA = watch.begin('gateway POST /v1/messages from vm alice-box');
      const endB = watch.begin('ssh alice: integrations list');
      const warned = next();
      block(250);
      const line = await warned;
      assert.match(line, /^event loop blocked for \d+ ms; in flight: gateway POST \/v1\/messages from vm alice-box \(\d+ ms\); ssh alice: integrations list \(\d+ ms\)$/);
      assert.ok(Number(/blocked for (\d+)/.exec(line)![1]) >= 150);
      endA();
      endB();
      const delay = watch.delay();
      assert.ok(delay.max >= 150, `max ${delay.max} ms`);
      assert.equal(delay.stalls, 1);
    } finally {
      watch.stop();
    }
  });

  it('says so when nothing was in flight, and stays quiet under the threshold', async () => {
    const { log, warnings, next } = capture();
    const watch = new LoopWatch(log, 150);
    try {
      block(20);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.deepEqual(warnings, []);
      const warned = next();
      block(300);
      assert.match(await warned, /in flight: nothing \(timers or I\/O callbacks\)$/);
    } finally {
      watch.stop();
    }
  });
});
