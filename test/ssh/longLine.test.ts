// Issue 11.2: a long line typed at the prompt froze the whole server (node:readline's per-key work
// grew with the line). Each flood here is 1 MiB sent without paste markers; the line must be
// refused with a one-line message, the same session must go on, and another user must be answered
// within a second throughout. The hostile client runs in its own process (helpers/flooder.ts), so
// the event loop delay measured here is the server's (it runs in this process) plus bob's client.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it, type TestContext } from 'node:test';
import type ssh2 from 'ssh2';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import type { FloodJob } from '../helpers/flooder.js';
import { connect, exec, openShell, signUp, type KeyPair } from '../helpers/ssh.js';
import { KEYS, type ScriptedTerminal } from '../helpers/terminal.js';

const MiB = 1 << 20;
const REFUSED = /error: line too long \(at most 64 KiB\); it was not run/;

describe('issue 11.2: a long line typed at the prompt', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  let bob: KeyPair;
  const open: ScriptedTerminal[] = [];
  before(async () => {
    gh = await startTestGatehouse();
    alice = await signUp(gh.sshPort, 'alice');
    bob = await signUp(gh.sshPort, 'bob');
  });
  after(async () => {
    for (const t of open) t.close();
    await gh.stop();
  });

  async function shell(): Promise<ScriptedTerminal> {
    const term = await openShell(gh.sshPort, alice);
    open.push(term);
    await term.waitForPrompt();
    return term;
  }

  /** Checks the refusal, then the same session's next command, on the rendered screen. */
  async function refusedThenUsable(term: ScriptedTerminal, refused: RegExp): Promise<void> {
    await term.waitFor(() => refused.test(term.raw), 60_000);
    assert.match(await term.run('whoami --json\r', 10_000), /"name": "alice"/);
    assert.equal(term.closed, false);
  }

  /** While `running` is pending, bob runs whoami again and again; returns his slowest answer and the loop's stalls. */
  async function whileRunning(running: Promise<unknown>): Promise<{ slowest: number; count: number; maxDelay: number; p99: number }> {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    delay.enable();
    let over = false;
    const ended = running.finally(() => (over = true));
    const bobs: number[] = [];
    while (!over) {
      const started = performance.now();
      const r = await exec(gh.sshPort, bob, 'whoami --json');
      bobs.push(performance.now() - started);
      assert.equal(JSON.parse(r.stdout).name, 'bob');
    }
    await ended;
    delay.disable();
    return { slowest: Math.max(...bobs), count: bobs.length, maxDelay: delay.max / 1e6, p99: delay.percentile(99) / 1e6 };
  }

  /**
   * Runs a hostile client in its own process (so this process's event loop is the server's), and
   * while it floods, bob runs whoami again and again: each must answer within a second. Reports
   * the time to the refusal, bob's slowest answer and the event loop's longest stall.
   */
  async function flood(t: TestContext, job: Omit<FloodJob, 'port' | 'key'>): Promise<void> {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../helpers/flooder.js', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.end(JSON.stringify({ ...job, port: gh.sshPort, key: alice }));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const steps = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    assert.equal(JSON.parse((await steps.next()).value as string).step, 'flooding', 'the hostile client reached the prompt');
    const last = steps.next();
    const m = await whileRunning(last);
    const done = (await last).value as string | undefined;
    assert.equal(await exited, 0, 'the hostile client saw its line refused, then whoami answered');
    const { refusedMs } = JSON.parse(done!) as { refusedMs: number };
    t.diagnostic(`refused after ${refusedMs.toFixed(0)} ms; bob's whoami ×${m.count}, slowest ${m.slowest.toFixed(0)} ms; event loop max delay ${m.maxDelay.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms`);
    assert.ok(m.slowest < 1000, `bob waited ${m.slowest} ms`);
  }

  it('baseline, no flood: bob\'s whoami for one second, for comparison with the figures below', async (t) => {
    const m = await whileRunning(new Promise((resolve) => setTimeout(resolve, 1000)));
    t.diagnostic(`bob's whoami ×${m.count}, slowest ${m.slowest.toFixed(0)} ms; event loop max delay ${m.maxDelay.toFixed(1)} ms, p99 ${m.p99.toFixed(1)} ms`);
  });

  const line = (flood: string, packet?: number) => ({ flood: 'ls ' + flood + KEYS.enter, packet, refused: REFUSED.source });

  it('issue 11.2: `ls ` + 1 MiB of q + Enter is refused on screen; the session runs whoami next', async () => {
    const term = await shell();
    term.type('ls ' + 'q'.repeat(MiB) + KEYS.enter);
    await refusedThenUsable(term, REFUSED);
    assert.equal(term.raw.match(/line too long/g)?.length, 1);
    assert.doesNotMatch(term.screen(), /command not found/);
  });

  it('issue 11.2: an over-long line stays refused after ↑ and ↓ bring it back (the draft keeps its verdict)', async () => {
    const term = await shell();
    const refusals = () => term.raw.match(/line too long/g)?.length ?? 0;
    // ↑ then ↓ (or ↑↑ ↓↓) comes back to the draft, whatever the user's history holds.
    term.type('whoami ' + 'q'.repeat(70 * 1024) + KEYS.up + KEYS.down + KEYS.enter);
    await term.waitFor(() => refusals() === 1, 30_000);
    term.type('whoami ' + 'q'.repeat(70 * 1024) + KEYS.up + KEYS.up + KEYS.down + KEYS.down + KEYS.enter);
    await term.waitFor(() => refusals() === 2, 30_000);
    await term.waitForPrompt(10_000);
    assert.equal(term.raw.match(/error: /g)?.length, 2, 'no other error: the 64 KiB prefix never ran');
    assert.match(await term.run('whoami --json\r', 10_000), /"name": "alice"/);
  });

  it('issue 11.2: 1 MiB of q in one write, while another user runs whoami', (t) => flood(t, line('q'.repeat(MiB))));

  it('issue 11.2: the same flood split into 16 384 packets of 64 bytes', (t) => flood(t, line('q'.repeat(MiB), 64)));

  it('issue 11.2: a flood of ←/→ and characters in the middle of a long line', (t) => {
    const cycle = `${KEYS.left}x${KEYS.left}${KEYS.right}${KEYS.left}y`; // two characters inserted mid-line per cycle
    return flood(t, line('q'.repeat(20_000) + KEYS.left.repeat(10_000) + cycle.repeat(Math.floor(MiB / cycle.length))));
  });

  it('issue 11.2: a flood of Home/End with edits at both ends', (t) => {
    const cycle = `${KEYS.home}a${KEYS.end}b${KEYS.backspace}`;
    return flood(t, line(cycle.repeat(Math.floor(MiB / cycle.length))));
  });

  it('issue 11.2: a flood of keys typed and erased mid-line (the line never reaches the cap)', (t) => {
    const cycle = `x${KEYS.backspace}${KEYS.left}${KEYS.right}`;
    return flood(t, { flood: 'ls ' + 'q'.repeat(60_000) + KEYS.left.repeat(30_000) + cycle.repeat(Math.floor(MiB / cycle.length)) + KEYS.enter, refused: 'No VMs match' });
  });

  it('issue 11.2: a flood of ↑/↓ over a 60 000-character history entry', (t) =>
    flood(t, {
      setup: { keys: 'ls ' + 'h'.repeat(60_000) + KEYS.enter, marker: 'No VMs match' },
      flood: `${KEYS.up}${KEYS.down}x`.repeat(Math.floor(MiB / 7)) + KEYS.enter, // the draft grows past the cap
      refused: REFUSED.source,
    }));

  it('issue 11.2: a flood inside a secret question', (t) =>
    flood(t, {
      setup: { keys: 'integrations add llm --name flooded --anthropic=byok --anthropic-key=-\r', marker: 'Anthropic API key:' },
      flood: 'k'.repeat(MiB) + KEYS.enter,
      refused: 'error: answer too long \\(at most 64 KiB\\)',
    }));

  it('issue 11.2: a 1 MiB answer to a secret question is refused, not echoed; nothing is created', async () => {
    const term = await shell();
    term.type('integrations add llm --name flooded --anthropic=byok --anthropic-key=-\r');
    await term.waitFor(/Anthropic API key:$/);
    term.type('k'.repeat(MiB) + KEYS.enter);
    await refusedThenUsable(term, /error: answer too long \(at most 64 KiB\)/);
    assert.doesNotMatch(term.raw, /kkkk/, 'the secret is not echoed');
    assert.doesNotMatch((await exec(gh.sshPort, alice, 'integrations list')).stdout, /flooded/);
  });

  it('issue 11.2: without a PTY (ssh -T), a 1 MiB line is refused and the next line runs', async () => {
    const client = await connect(gh.sshPort, alice);
    try {
      const output = await new Promise<string>((resolve, reject) => {
        (client as ssh2.Client).shell(false, (err, stream) => {
          if (err) return reject(err);
          let text = '';
          stream.on('data', (d: Buffer) => (text += d));
          stream.stderr.on('data', (d: Buffer) => (text += d));
          stream.on('close', () => resolve(text));
          stream.end('ls ' + 'q'.repeat(MiB) + '\nwhoami --json\nexit\n');
        });
      });
      assert.match(output, REFUSED);
      assert.match(output, /"name": "alice"/);
      assert.doesNotMatch(output, /qqqq/);
    } finally {
      client.end();
    }
  });

  it('issue 11.2: ssh -t HOST … --anthropic-key=- with a 1 MiB answer is refused as too large', async () => {
    const started = performance.now();
    const r = await exec(gh.sshPort, alice, 'integrations add llm --name pty-flood --anthropic=byok --anthropic-key=-', { pty: true, stdin: 'k'.repeat(MiB) + '\r', eof: false });
    assert.ok(performance.now() - started < 10_000);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /input is too large \(at most 64 KiB\)/);
    assert.doesNotMatch(r.stdout, /kkkk/);
  });
});
