// A command left running over real SSH: its output so far, keys sent while it runs, and its end.
// For commands that wait on something else (a device-code login) and may be cancelled meanwhile.
import type ssh2 from 'ssh2';
import { connect, type KeyPair } from './ssh.js';

export interface LiveExec {
  client: ssh2.Client;
  stream: ssh2.ClientChannel;
  stdout: string;
  stderr: string;
  code: number | null;
  /** Settles when the channel closes. */
  closed: Promise<void>;
  /** Resolves with stdout + stderr once they match, or rejects after the deadline with what came. */
  waitFor(pattern: RegExp, deadlineMs?: number): Promise<string>;
}

/** Starts `command` on a fresh connection; stdin stays open unless `eof` (then it ends at once, as `</dev/null`). */
export async function startExec(port: number, key: KeyPair, command: string, options: { pty?: boolean; eof?: boolean } = {}): Promise<LiveExec> {
  const client = await connect(port, key);
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    client.exec(command, { pty: options.pty ? { cols: 100, rows: 30, term: 'xterm-256color' } : undefined }, (err, s) => (err ? reject(err) : resolve(s))),
  );
  if (options.eof) stream.end();
  return follow(client, stream);
}

/** An interactive shell WITHOUT a PTY (`ssh -T host` with a terminal-less stdin); `input` is sent at once. */
export async function startPlainShell(port: number, key: KeyPair, input: string): Promise<LiveExec> {
  const client = await connect(port, key);
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) => client.shell(false, (err, s) => (err ? reject(err) : resolve(s))));
  const live = follow(client, stream);
  stream.write(input);
  return live;
}

function follow(client: ssh2.Client, stream: ssh2.ClientChannel): LiveExec {
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  let ended = false;
  const live: LiveExec = {
    client,
    stream,
    stdout: '',
    stderr: '',
    code: null,
    closed: new Promise<void>((resolve) =>
      stream.on('close', () => {
        ended = true;
        wake();
        resolve();
      }),
    ),
    waitFor: (pattern, deadlineMs = 10_000) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          const all = live.stdout + live.stderr;
          if (!pattern.test(all) && !ended) return;
          clearTimeout(timer);
          waiters.delete(check);
          if (pattern.test(all)) resolve(all);
          else reject(new Error(`closed before ${pattern}; output:\n${all}`));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`deadline waiting for ${pattern}; output:\n${live.stdout + live.stderr}`));
        }, deadlineMs);
        waiters.add(check);
        check();
      }),
  };
  stream.on('data', (d: Buffer) => ((live.stdout += d.toString()), wake()));
  stream.stderr.on('data', (d: Buffer) => ((live.stderr += d.toString()), wake()));
  stream.on('exit', (c: number | null) => (live.code = c));
  client.on('error', () => {});
  return live;
}
