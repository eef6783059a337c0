// A hostile interactive client in its own process (issue 11.2): it floods the prompt over a real
// SSH PTY session, so the test process's event loop measures the server, not this client's own
// encryption of a mebibyte. Reads {port, key, flood, refused} as JSON on stdin; prints one JSON
// line per step: {"step":"flooding"}, then {"step":"done", refusedMs, whoamiOk}.
import ssh2 from 'ssh2';
import { connect, type KeyPair } from './ssh.js';

export interface FloodJob {
  port: number;
  key: KeyPair;
  /** Typed first, and waited for: `marker` must appear before the flood starts. */
  setup?: { keys: string; marker: string };
  /** The flood, as written; `packet` bytes per write when set (else one write). */
  flood: string;
  packet?: number;
  /** A regular expression source the refusal must match. */
  refused: string;
}

async function main(job: FloodJob): Promise<void> {
  const client = await connect(job.port, job.key);
  const stream = await new Promise<ssh2.ClientChannel>((resolve, reject) =>
    client.shell({ cols: 100, rows: 30, term: 'xterm-256color' }, (err, s) => (err ? reject(err) : resolve(s))),
  );
  let tail = ''; // the last few KiB received: enough to find a message, bounded however much echoes
  let waiter: (() => void) | undefined;
  stream.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-8192);
    waiter?.();
  });
  const until = (test: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`flooder deadline; last output: ${JSON.stringify(tail.slice(-300))}`)), 60_000);
      const check = () => {
        if (!test()) return;
        clearTimeout(timer);
        waiter = undefined;
        resolve();
      };
      waiter = check;
      check();
    });
  await until(() => tail.includes('gatehouse'));
  if (job.setup) {
    stream.write(job.setup.keys);
    await until(() => tail.includes(job.setup!.marker));
  }
  tail = '';
  const refused = new RegExp(job.refused);
  const started = performance.now();
  console.log(JSON.stringify({ step: 'flooding' }));
  await send(stream, job.flood, job.packet);
  await until(() => refused.test(tail));
  const refusedMs = performance.now() - started;
  stream.write('whoami --json\r');
  await until(() => /"name": "/.test(tail));
  console.log(JSON.stringify({ step: 'done', refusedMs }));
  stream.end();
  client.end();
}

/** Writes the flood, in packets when asked, yielding to the event loop as a remote client would. */
async function send(stream: ssh2.ClientChannel, text: string, packet?: number): Promise<void> {
  if (!packet) return void stream.write(text);
  for (let i = 0; i < text.length; i += packet) {
    if (!stream.write(text.slice(i, i + packet))) await new Promise((resolve) => stream.once('drain', resolve));
    if ((i / packet) % 256 === 255) await new Promise((resolve) => setImmediate(resolve));
  }
}

let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () =>
  main(JSON.parse(input) as FloodJob).catch((err) => {
    console.error(err);
    process.exit(1);
  }),
);
