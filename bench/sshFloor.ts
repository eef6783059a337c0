// The SSH floor: the simplest correct ssh2 server. It checks the client's signature (any key is
// welcome) and answers `whoami` with the user name, with none of gatehouse's accounts, database
// or shell. Its host key signs and client keys verify through the same KeyObject path as
// gatehouse's (src/ssh/keyObjects.ts), so the difference between the two is gatehouse's own
// work. It offers gatehouse's default algorithm lists (src/ssh/algorithms.ts), not ssh2's longer
// defaults: the bench's ssh2 client negotiates the same with either (curve25519-sha256@libssh.org,
// ssh-ed25519, aes128-gcm@openssh.com, checked by hand for issue 18), but a client that prefers
// another algorithm must not make the floor cheaper than gatehouse can be.
// Child process entry: `node sshFloor.js` prints "ssh floor listening on PORT".
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import ssh2 from 'ssh2';
import type { PublicKeyAuthContext } from 'ssh2';
import type { Config } from '../src/config.js';
import { checkKeyBlob } from '../src/core/publicKey.js';
import { serverAlgorithms } from '../src/ssh/algorithms.js';
import { generateEd25519 } from '../src/ssh/hostKeys.js';
import { fastSigningKey, verifySignature } from '../src/ssh/keyObjects.js';

export function startSshFloor(): Promise<ssh2.Server> {
  const hostKey = fastSigningKey(generateEd25519('ssh floor').private);
  if (hostKey instanceof Error) throw hostKey;
  const algorithms = serverAlgorithms({} as Config, [hostKey]); // no GATEHOUSE_SSH_* settings: the defaults
  const server = new ssh2.Server({ hostKeys: [{ key: hostKey }], algorithms }, (client) => {
    (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true); // as gatehouse does
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') return ctx.reject(['publickey']);
      const pk = ctx as PublicKeyAuthContext;
      if (!pk.signature || !pk.blob) return pk.accept();
      let type: string;
      try {
        type = checkKeyBlob(pk.key.data); // the blob's own type ("ssh-rsa" also for rsa-sha2-512)
      } catch {
        return pk.reject(['publickey']);
      }
      if (verifySignature(`${type} ${pk.key.data.toString('base64')}`, pk.blob, pk.signature, pk.hashAlgo)) pk.accept();
      else pk.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        accept().on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          if (info.command === 'whoami') channel.write('bench\n');
          else channel.stderr.write(`command not found: ${info.command}\n`);
          channel.exit(info.command === 'whoami' ? 0 : 127);
          channel.end();
        });
      });
    });
    client.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await startSshFloor();
  console.log(`ssh floor listening on ${(server.address() as AddressInfo).port}`);
}
