// Runs ssh-audit (Debian's package) against a test server and reads its verdicts, whichever
// version is installed: 3.x puts each algorithm's fail/warn/info notes in its JSON; 2.x (Debian 12
// ships 2.5.0) lists only the names there, so its text report (`-l warn`: warnings and failures
// only) is read for the verdicts. Exit status, both versions: 0 good, 1 connection error,
// 2 a warning, 3 a failure.
import { spawn, spawnSync } from 'node:child_process';

export const hasSshAudit = spawnSync('ssh-audit', ['-h']).error === undefined;

export interface Finding {
  level: 'fail' | 'warn';
  algorithm: string;
  text: string;
}

export interface AuditReport {
  status: number | null;
  /** Offered names by kind, as ssh-audit saw them in the server's KEXINIT. */
  kex: string[];
  key: string[];
  enc: string[];
  mac: string[];
  compression: string[];
  findings: Finding[];
}

function runAudit(args: string[]): Promise<{ stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh-audit', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.resume();
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`ssh-audit ${args.join(' ')}: deadline`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, status });
    });
  });
}

type Entry = string | { algorithm: string; notes?: { fail?: string[]; warn?: string[] } };

export async function audit(port: number): Promise<AuditReport> {
  const target = ['-t', '10', '-p', String(port), '127.0.0.1'];
  const { stdout, status } = await runAudit(['-j', ...target]);
  const json = JSON.parse(stdout) as Record<'kex' | 'key' | 'enc' | 'mac', Entry[]> & { compression: string[] };
  const names = (list: Entry[] = []) => list.map((e) => (typeof e === 'string' ? e : e.algorithm));
  const report: AuditReport = { status, kex: names(json.kex), key: names(json.key), enc: names(json.enc), mac: names(json.mac), compression: json.compression, findings: [] };
  const entries = [...json.kex, ...json.key, ...json.enc, ...json.mac];
  if (entries.some((e) => typeof e === 'object' && e.notes)) {
    for (const e of entries) {
      if (typeof e === 'string' || !e.notes) continue;
      for (const level of ['fail', 'warn'] as const) for (const text of e.notes[level] ?? []) report.findings.push({ level, algorithm: e.algorithm, text });
    }
  } else {
    report.findings = parseText((await runAudit(['-n', '-l', 'warn', ...target])).stdout);
  }
  return report;
}

/** "(kex) name  -- [warn] text", then "`- [fail] text" lines that belong to the same algorithm. */
function parseText(text: string): Finding[] {
  const findings: Finding[] = [];
  let algorithm = '';
  for (const line of text.split('\n')) {
    const head = /^\((kex|key|enc|mac)\) (\S+)/.exec(line);
    if (head) algorithm = head[2];
    const verdict = /\[(fail|warn)\] (.*)$/.exec(line);
    if (verdict && (head || line.trimStart().startsWith('`-'))) findings.push({ level: verdict[1] as 'fail' | 'warn', algorithm, text: verdict[2].trim() });
  }
  return findings;
}
