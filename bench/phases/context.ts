// What every phase gets: the load generator, the servers under test and the run settings.
import type { BenchGatehouse } from '../gatehouse.js';
import type { LoadGenerator } from '../loadClient.js';

export type TargetName = 'direct' | 'floor' | 'gatehouse';

export interface BenchContext {
  load: LoadGenerator;
  /** Origins (http://127.0.0.1:PORT) of the mock, the floor proxy and gatehouse. */
  origins: Record<TargetName, string> & { meteringOff: string; postgres?: string };
  pids: Record<TargetName | 'meteringOff' | 'sshFloor', number> & { postgres?: number };
  /** The simplest correct ssh2 server (bench/sshFloor.ts), what gatehouse's SSH is compared with. */
  sshFloorPort: number;
  gatehouse: BenchGatehouse;
  meteringOff: BenchGatehouse;
  privateKey: string;
  runs: number;
  /** Measured seconds of each throughput run. */
  seconds: number;
  localAddress: string;
  log(line: string): void;
}

export const TARGETS: TargetName[] = ['direct', 'floor', 'gatehouse'];
