// Issue 11, "Limits a shared service needs", SSH: failed logins are slowed per source address,
// and only failures are: a key that verifies is accepted at once, even from that address.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ssh2 from 'ssh2';
import { startTestGatehouse, tempDir, type TestGatehouse } from '../helpers/gatehouse.js';
import { newKey, signUp, type KeyPair } from '../helpers/ssh.js';
import { execFrom, failPasswords, within } from './limitsHelpers.js';

describe('issue 11: failed SSH logins are slowed per address', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    gh = await startTestGatehouse({ GATEHOUSE_SSH_AUTH_FREE_FAILURES: '2', GATEHOUSE_SSH_AUTH_DELAY_MS: '1500' });
    alice = await signUp(gh.sshPort, 'alice');
  });
  after(() => gh.stop());

  it('past the free failures a refusal waits; another address, and a good key from the same one, do not', async () => {
    let others: Promise<unknown> | undefined;
    let thirdSent = 0;
    const loginsDone: number[] = [];
    const took = await failPasswords(gh.sshPort, '127.0.0.6', 3, (i) => {
      if (i !== 2) return;
      thirdSent = performance.now();
      // The third failure is being held: honest logins meanwhile answer at once.
      others = Promise.all(
        ['127.0.0.7', '127.0.0.6'].map(async (from) => {
          const r = await execFrom(gh.sshPort, alice, from, 'whoami --json');
          assert.equal(r.code, 0, r.stderr);
          loginsDone.push(performance.now());
        }),
      );
    });
    await others;
    assert.equal(took.length, 3);
    assert.ok(took[0] < 1000 && took[1] < 1000, `free failures answered at once: ${took.map(Math.round)}`);
    assert.ok(took[2] >= 1450, `third failure delayed: ${Math.round(took[2])} ms`);
    const thirdAnswered = thirdSent + took[2];
    assert.ok(loginsDone.length === 2 && loginsDone.every((t) => t < thirdAnswered), 'both logins finished while the third refusal was held');
    // alice's success from 127.0.0.6 did not clear its record: the next failure there still waits.
    const next = await failPasswords(gh.sshPort, '127.0.0.6', 1);
    assert.ok(next[0] >= 1450, `still delayed after a success: ${Math.round(next[0])} ms`);
  });
});

/** An agent that shows one key and signs with another: the signature never verifies. */
class ImpostorAgent extends ssh2.BaseAgent {
  constructor(private readonly shown: KeyPair) {
    super();
  }
  override getIdentities(cb: (err: Error | undefined, keys?: ssh2.ParsedKey[]) => void): void {
    cb(undefined, [ssh2.utils.parseKey(this.shown.public) as ssh2.ParsedKey]);
  }
  override sign(_key: ssh2.ParsedKey, data: Buffer, options: unknown, cb?: (err: Error | undefined, signature?: Buffer) => void): void {
    const callback = (typeof options === 'function' ? options : cb) as (err: Error | undefined, signature?: Buffer) => void;
    callback(undefined, (ssh2.utils.parseKey(newKey().private) as ssh2.ParsedKey).sign(data));
  }
}

/** One login from `from`: how it ended ('ready' or the error) and how long it took. */
function timed(from: string, port: number, options: Partial<ssh2.ConnectConfig>): Promise<{ ms: number; result: string }> {
  const started = performance.now();
  return within(
    new Promise((resolve) => {
      const client = new ssh2.Client();
      const done = (result: string) => {
        client.end();
        resolve({ ms: performance.now() - started, result });
      };
      client.on('ready', () => done('ready')).on('error', (err) => done(err.message));
      client.connect({ host: '127.0.0.1', port, localAddress: from, username: 'x', readyTimeout: 10_000, ...options });
    }),
    `login from ${from}`,
  );
}

describe('issue 11: what counts as a failed SSH login', () => {
  let gh: TestGatehouse;
  let alice: KeyPair;
  before(async () => {
    const dataDir = tempDir();
    const open = await startTestGatehouse({}, dataDir);
    alice = await signUp(open.sshPort, 'alice');
    await open.stop();
    gh = await startTestGatehouse({ GATEHOUSE_SIGNUP: 'closed', GATEHOUSE_SSH_AUTH_FREE_FAILURES: '1', GATEHOUSE_SSH_AUTH_DELAY_MS: '1500' }, dataDir);
  });
  after(() => gh.stop());

  it('a signature that does not verify counts; a good one is never delayed', async () => {
    const first = await timed('127.0.0.12', gh.sshPort, { agent: new ImpostorAgent(alice) });
    assert.notEqual(first.result, 'ready');
    const second = await timed('127.0.0.12', gh.sshPort, { agent: new ImpostorAgent(alice) });
    assert.notEqual(second.result, 'ready');
    assert.ok(second.ms >= 1450, `second bad signature delayed: ${Math.round(second.ms)} ms`);
    const good = await timed('127.0.0.12', gh.sshPort, { privateKey: alice.private });
    assert.equal(good.result, 'ready');
    assert.ok(good.ms < 1450, `a good key is not delayed: ${Math.round(good.ms)} ms`);
  });

  it('an unknown key where sign-up is closed counts, and is still told why', async () => {
    const stranger = newKey();
    const first = await execFrom(gh.sshPort, stranger, '127.0.0.13', 'whoami');
    assert.match(first.stderr, /sign-up is closed/);
    const started = performance.now();
    const second = await execFrom(gh.sshPort, stranger, '127.0.0.13', 'whoami');
    assert.match(second.stderr, /sign-up is closed/);
    assert.ok(performance.now() - started >= 1450, 'the second stranger login waited');
  });
});
