// Issue 17.6 and the house rule "one event loop serves everyone": while hostile clients trickle
// an endless URL and an endless header into the web listener, a signed-in bystander is answered
// at once; the hostile requests are cut (431) once they pass the header cap, never buffered whole.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestGatehouse, type TestGatehouse } from '../helpers/gatehouse.js';
import { signUp } from '../helpers/ssh.js';
import { signIn, whoIs, type SignedIn } from '../helpers/web.js';

/** A client that sends `start`, then `fill` a packet at a time, each after the last was written. */
class Trickler {
  private readonly socket: net.Socket;
  sent = 0;
  answer = '';
  readonly closed: Promise<void>;

  constructor(port: number, private readonly start: string, private readonly fill: string) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d) => (this.answer += d.toString('latin1')));
    this.socket.on('error', () => {}); // a reset after the cut: the answer is what counts
    this.closed = new Promise((resolve) => this.socket.on('close', () => resolve()));
  }

  /** Writes until `bytes` have gone, or the server has answered or closed. */
  async until(bytes: number): Promise<void> {
    if (this.sent === 0) await this.write(this.start);
    while (this.sent < bytes && !this.socket.destroyed && this.answer === '') await this.write(this.fill);
  }

  private write(text: string): Promise<void> {
    this.sent += text.length;
    return new Promise((resolve) => this.socket.write(text, () => resolve()));
  }

  end(): void {
    this.socket.destroy();
  }
}

describe('web listener under hostile clients', { timeout: 30_000 }, () => {
  let gh: TestGatehouse;
  let bob: SignedIn;
  before(async () => {
    gh = await startTestGatehouse();
    bob = await signIn(gh.sshPort, gh.webPort!, await signUp(gh.sshPort, 'bob'));
  });
  after(() => gh?.stop());

  it('issue 17.6: a bystander is answered while hostile clients trickle a huge URL and a huge header', async () => {
    const packet = 'A'.repeat(256);
    const hostile = [
      new Trickler(gh.webPort!, 'GET /auth/verify?token=', packet),
      new Trickler(gh.webPort!, `GET /auth/session HTTP/1.1\r\nHost: x\r\nCookie: ${bob.cookie}; pad=`, packet),
      new Trickler(gh.webPort!, 'GET /models HTTP/1.1\r\nHost: x\r\nX-Pad: ', packet),
    ];
    try {
      // Half way to the 16 KiB header cap: each is held open, read, and not yet refused.
      await Promise.all(hostile.map((h) => h.until(8 * 1024)));
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        assert.equal(await whoIs(gh.webPort!, bob.cookie), 'bob');
        const ms = performance.now() - started;
        assert.ok(ms < 2_000, `the bystander waited ${Math.round(ms)} ms`);
      }
      // On past the cap, then silence: each is refused and its connection closed by the server
      // (had it buffered on, it would wait for the rest, and this would hit the suite's deadline).
      await Promise.all(hostile.map((h) => h.until(64 * 1024)));
      await Promise.all(hostile.map((h) => h.closed));
      for (const h of hostile) assert.match(h.answer, /^HTTP\/1\.1 431 /, `refused: ${h.answer.slice(0, 40)}`);
      assert.equal(await whoIs(gh.webPort!, bob.cookie), 'bob');
    } finally {
      hostile.forEach((h) => h.end());
    }
  });
});
