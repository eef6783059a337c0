// Gatehouse as the bench runs it: `node bin/gatehouse.js serve` in its own pinned process with a
// temporary data dir, every provider pointed at the mock, one user "bench" (added with the
// operator CLI) and one VM "benchvm" at 127.0.0.2 (registered over SSH).
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SERVER_CPU, spawnPinned, stopChild, waitForLines } from './procs.js';
import { sshOk } from './sshExec.js';

export const VM_ADDRESS = '127.0.0.2';
const BIN = path.resolve('bin/gatehouse.js');
const PROVIDERS = ['ANTHROPIC', 'OPENAI', 'FIREWORKS', 'GEMINI'];

export interface BenchGatehouse {
  child: ChildProcess;
  pid: number;
  sshPort: number;
  gatewayPort: number;
  dataDir: string;
  stop(): Promise<void>;
}

export interface GatehouseOptions {
  mockOrigin: string;
  publicKey: string;
  privateKey: string;
  /** Extra environment, e.g. GATEHOUSE_METERING=off. */
  env?: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[];
}

export async function startBenchGatehouse(o: GatehouseOptions): Promise<BenchGatehouse> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-bench-'));
  // One VM drives thousands of requests a second, 10,000 held streams and 100 SSH sessions at once: the
  // per-user rate limits, the per-address connection cap and the SSH caps are raised out of the way
  // (they are still checked on every request and connection, so their cost is measured).
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_MONTHLY_CREDITS: '100000000', GATEHOUSE_RATE_LIMIT_RPM: '1000000000', GATEHOUSE_RATE_LIMIT_CONCURRENT: '1000000', GATEHOUSE_SSH_MAX_SESSIONS_PER_USER: '100000', GATEHOUSE_SSH_MAX_UNAUTHENTICATED_PER_ADDRESS: '100000', GATEHOUSE_GATEWAY_MAX_CONNECTIONS_PER_ADDRESS: '100000', GATEHOUSE_ADMIN_LISTEN: '127.0.0.1:0', GATEHOUSE_WEB_LISTEN: '127.0.0.1:0', ...o.env };
  for (const p of PROVIDERS) {
    env[`GATEHOUSE_${p}_UPSTREAM`] = o.mockOrigin;
    env[`GATEHOUSE_${p}_API_KEY`] = `bench-operator-key-${p.toLowerCase()}`;
  }
  const keyFile = path.join(dataDir, 'bench.pub');
  fs.writeFileSync(keyFile, o.publicKey);
  execFileSync(process.execPath, [BIN, 'user', 'add', 'bench', '--key-file', keyFile, '--data-dir', dataDir], { env, stdio: 'pipe' });
  const args = [process.execPath, ...(o.nodeFlags ?? []), BIN, 'serve', '--ssh-listen', '127.0.0.1:0', '--gateway-listen', '127.0.0.1:0', '--data-dir', dataDir];
  const child = spawnPinned(SERVER_CPU, args, { env });
  // The `listening` JSON lines (issue 16), or main's older text lines.
  const [ssh, gateway] = await waitForLines(child, [/SSH control plane on 127\.0\.0\.1:(\d+)|"component":"ssh","listen":"127\.0\.0\.1:(\d+)"/, /gateway on http:\/\/127\.0\.0\.1:(\d+)|"component":"gateway","listen":"127\.0\.0\.1:(\d+)"/]);
  const stop = async () => {
    await stopChild(child, 20_000);
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  const gh: BenchGatehouse = { child, pid: child.pid!, sshPort: Number(ssh[1] ?? ssh[2]), gatewayPort: Number(gateway[1] ?? gateway[2]), dataDir, stop };
  try {
    await sshOk(gh.sshPort, o.privateKey, `new --name benchvm --address ${VM_ADDRESS}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return gh;
}

/** Requests recorded in this month's usage rows (flushes the writer first: see the usage command). */
export async function usageRequests(gh: BenchGatehouse, privateKey: string): Promise<number> {
  const report = JSON.parse(await sshOk(gh.sshPort, privateKey, 'usage --json'));
  return Number(report.total?.requests ?? 0);
}
