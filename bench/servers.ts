// Starts everything under test, each in its own process pinned to the server CPU: the mock
// upstream, the floor proxy, the SSH floor, gatehouse, a second gatehouse with GATEHOUSE_METERING=off,
// and (when PostgreSQL is installed) a third on PostgreSQL instead of SQLite.
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBenchGatehouse, type BenchGatehouse } from './gatehouse.js';
import { startBenchPostgres } from './postgres.js';
import { SERVER_CPU, spawnPinned, stopChild, waitForLines } from './procs.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface Servers {
  mock: { child: ChildProcess; origin: string };
  floor: { child: ChildProcess; origin: string };
  sshFloor: { child: ChildProcess; port: number };
  gatehouse: BenchGatehouse;
  meteringOff: BenchGatehouse;
  /** Gatehouse on PostgreSQL; undefined when PostgreSQL is not installed. */
  postgres?: BenchGatehouse;
  stop(): Promise<void>;
}

async function startNodeServer(file: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawnPinned(SERVER_CPU, [process.execPath, path.join(here, file), ...args]);
  const [m] = await waitForLines(child, [ready]);
  return { child, origin: `http://127.0.0.1:${m[1]}` };
}

/** The floor proxy in a process of its own (the held streams get one they leave behind). */
export function startFloorProcess(mockOrigin: string): Promise<{ child: ChildProcess; origin: string }> {
  return startNodeServer('floor.js', [mockOrigin], /floor listening on (\d+)/);
}

export async function startServers(key: { public: string; private: string }): Promise<Servers> {
  const started: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of started.reverse()) await s().catch(() => {});
  };
  try {
    const mock = await startNodeServer('mock.js', [], /mock listening on (\d+)/);
    started.push(() => stopChild(mock.child));
    const floor = await startFloorProcess(mock.origin);
    started.push(() => stopChild(floor.child));
    const sshFloor = await startNodeServer('sshFloor.js', [], /ssh floor listening on (\d+)/);
    started.push(() => stopChild(sshFloor.child));
    const options = { mockOrigin: mock.origin, publicKey: key.public, privateKey: key.private };
    const gatehouse = await startBenchGatehouse(options);
    started.push(() => gatehouse.stop());
    const meteringOff = await startBenchGatehouse({ ...options, env: { GATEHOUSE_METERING: 'off' } });
    started.push(() => meteringOff.stop());
    const database = await startBenchPostgres();
    let postgres: BenchGatehouse | undefined;
    if (database) {
      started.push(async () => database.stop());
      postgres = await startBenchGatehouse({ ...options, env: { GATEHOUSE_DATABASE_URL: database.url } });
      started.push(() => postgres!.stop());
    }
    return { mock, floor, sshFloor: { child: sshFloor.child, port: Number(new URL(sshFloor.origin).port) }, gatehouse, meteringOff, postgres, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
