// One SSH command over a fresh ssh2 connection, like `ssh -p PORT host COMMAND`, with a deadline.
import ssh2 from 'ssh2';
import type { ParsedKey, PublicKeyAuthMethod } from 'ssh2';
import { fastSigningKey } from '../src/ssh/keyObjects.js';

/** Parsed once, signing on a KeyObject: the client's own signing must not be what the SSH rows measure. */
const parsedKeys = new Map<string, ParsedKey>();
function clientKey(privateKey: string): ParsedKey {
  let key = parsedKeys.get(privateKey);
  if (!key) {
    const parsed = fastSigningKey(privateKey);
    if (parsed instanceof Error) throw parsed;
    parsedKeys.set(privateKey, (key = parsed));
  }
  return key;
}

export interface SshResult {
  stdout: string;
  stderr: string;
  code: number | null;
}

export function sshExec(port: number, privateKey: string, command: string, deadlineMs = 15_000): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const timer = setTimeout(() => {
      client.destroy();
      reject(new Error(`ssh deadline: ${command}`));
    }, deadlineMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      client.destroy();
      reject(err);
    };
    client.on('error', fail);
    // TCP_NODELAY on the client, so that what remains is the server's own latency.
    client.on('connect', () => client.setNoDelay(true));
    client.on('ready', () => {
      client.exec(command, (err, stream) => {
        if (err) return fail(err);
        let stdout = '';
        let stderr = '';
        let code: number | null = null;
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.on('exit', (c: number | null) => (code = c));
        stream.on('close', () => {
          clearTimeout(timer);
          client.end();
          resolve({ stdout, stderr, code });
        });
      });
    });
    client.connect({ host: '127.0.0.1', port, username: 'bench', authHandler: [{ type: 'publickey', username: 'bench', key: clientKey(privateKey) } as PublicKeyAuthMethod], readyTimeout: deadlineMs });
  });
}

/** Like sshExec, but a non-zero exit is an error carrying stderr. */
export async function sshOk(port: number, privateKey: string, command: string): Promise<string> {
  const r = await sshExec(port, privateKey, command);
  if (r.code !== 0) throw new Error(`ssh "${command}" exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}
