// Top self-time functions of a V8 .cpuprofile (written by `node --cpu-prof`): where gatehouse
// spends its CPU under load.
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  percent: number;
}

export function topSelfTime(file: string, top = 10): HotFunction[] {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const where = (n: ProfileNode) => `${n.callFrame.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '')}:${n.callFrame.lineNumber + 1}`;
  // Native and node: internals (writev, writeUtf8String …) say little alone: name the nearest
  // caller in application or library code.
  const label = (n: ProfileNode): string => {
    if (n.callFrame.url.startsWith('file:')) return where(n);
    for (let c = parent.get(n.id); c; c = parent.get(c.id)) {
      if (c.callFrame.url.startsWith('file:')) return `via ${c.callFrame.functionName || '(anonymous)'} ${where(c)}`;
    }
    return n.callFrame.url ? where(n) : '';
  };
  const self = new Map<string, HotFunction>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') return;
    total += micros; // busy time only
    const frame = node.callFrame;
    const where = label(node);
    const key = `${frame.functionName}@${where}`;
    const entry = self.get(key) ?? { name: frame.functionName || '(anonymous)', where, selfMs: 0, percent: 0 };
    entry.selfMs += micros / 1000;
    self.set(key, entry);
  });
  return [...self.values()]
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, top)
    .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), percent: Math.round((e.selfMs / (total / 1000)) * 1000) / 10 }));
}

/** The newest .cpuprofile in a directory. */
export function newestProfile(dir: string): string | undefined {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  return files.map((f) => path.join(dir, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}
