// Issue 17.5: charts in the terminal. `usage --chart` draws the month's cost per day as bars,
// one line a day, fitted to the PTY's width (80 columns without one, and then no color);
// `credits` shows a bar; --json is unchanged. Real gateway traffic through the mock upstream.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatUsd } from '../../src/core/pricing.js';
import { exec, openShell, type KeyPair } from '../helpers/ssh.js';
import { closeAgents, ok, okJson, send, startWorld, userWithVm, type World } from '../metering/helpers.js';

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const visible = (line: string) => [...line.replace(ANSI, '')].length;

describe('usage --chart and the credits bar (issue 17)', () => {
  let world: World;
  let alice: KeyPair;
  const today = new Date().toISOString().slice(0, 10);
  const month = today.slice(0, 7);
  const [y, m] = month.split('-').map(Number);
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();

  before(async () => {
    world = await startWorld();
    alice = await userWithVm(world.gh, 'alice', '127.0.0.2', 'devbox');
    const usage = { 'x-mock-scenario': JSON.stringify({ usage: { input: 1000, output: 500, cacheRead: 0, cacheWrite: 0 } }) };
    const r = await send(world.gh.gatewayPort, '/gateway/llm/anthropic/v1/messages', { model: 'claude-sonnet-5-5', max_tokens: 10, messages: [] }, { from: '127.0.0.2', headers: { 'anthropic-version': '2023-06-01', ...usage } });
    assert.equal(r.status, 200, r.body);
  });
  after(async () => {
    closeAgents();
    await world.stop();
  });

  /** The day lines of a chart: `MM-DD  bar  value`, one per day of the month. */
  function dayLines(out: string): string[] {
    const lines = out.replace(/\r\n/g, '\n').trimEnd().split('\n');
    assert.match(lines[0].replace(ANSI, ''), new RegExp(`^Cost per day, ${month}  \\(total \\$`));
    return lines.slice(1);
  }

  it('exec without a PTY: plain text, one line a day, 80 columns, today at full width with its cost as `usage --group day`', async () => {
    const byDay = await okJson(world.gh.sshPort, alice, 'usage --group day');
    const out = await ok(world.gh.sshPort, alice, 'usage --chart');
    assert.doesNotMatch(out, /\x1b/, 'no color without a PTY');
    const lines = dayLines(out);
    assert.equal(lines.length, daysInMonth);
    const todays = lines.find((l) => l.startsWith(today.slice(5)))!;
    assert.ok(todays.includes(formatUsd(byDay.rows[0].cost_micros)), todays);
    assert.match(todays, /^\d\d-\d\d  █+ /, 'the dearest day is a full bar');
    assert.equal(visible(todays), 79, 'fitted to 80 columns');
    for (const line of lines) {
      assert.ok(visible(line) <= 80, line);
      if (line !== todays) assert.match(line, /^\d\d-\d\d\s+-$/, 'a day without usage: no bar, "-"');
    }
  });

  it('exec with a PTY: fitted to the width the PTY reports (100 columns)', async () => {
    const r = await exec(world.gh.sshPort, alice, 'usage --chart', { pty: true });
    assert.equal(r.code, 0, r.stdout);
    const lines = dayLines(r.stdout);
    assert.equal(lines.length, daysInMonth);
    assert.equal(Math.max(...lines.map(visible)), 99);
  });

  it('the interactive prompt: fitted to its terminal (60 columns)', async () => {
    const term = await openShell(world.gh.sshPort, alice, { cols: 60, rows: 50 });
    try {
      await term.waitForPrompt();
      const screen = await term.run('usage --chart\r');
      const bars = screen.split('\n').filter((l) => /^\d\d-\d\d  /.test(l));
      assert.equal(bars.length, daysInMonth, screen);
      assert.equal(Math.max(...bars.map(visible)), 59, screen);
    } finally {
      term.type('exit\r');
      await term.waitClosed();
    }
  });

  it('--json is the usage report, unchanged', async () => {
    assert.deepEqual(await okJson(world.gh.sshPort, alice, 'usage --chart'), await okJson(world.gh.sshPort, alice, 'usage'));
  });

  it('credits shows a bar: used against allocation plus granted; --json unchanged', async () => {
    const c = await okJson(world.gh.sshPort, alice, 'credits');
    const out = await ok(world.gh.sshPort, alice, 'credits');
    const bar = out.split('\n').find((l) => /^[█░]{30}  /.test(l));
    assert.ok(bar, out);
    const available = c.allocation_micros + c.granted_micros;
    assert.ok(bar.endsWith(`${Math.round((c.used_micros / available) * 100)}% of ${formatUsd(available)}`), bar);
    assert.deepEqual(Object.keys(c).sort(), ['allocation_micros', 'allocation_usd', 'granted_micros', 'granted_usd', 'month', 'remaining_micros', 'remaining_usd', 'reserved_micros', 'resets_at', 'used_micros', 'used_usd']);
  });
});
