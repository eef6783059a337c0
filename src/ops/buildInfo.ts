// The version gatehouse_build_info reports: package.json's, found once by walking up from this
// file (it runs from src/ under tsx-like tools and from dist/src/ when built).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let version: string | undefined;

export function buildVersion(): string {
  if (version !== undefined) return version;
  version = 'unknown';
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; ) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'gatehouse' && typeof pkg.version === 'string') return (version = pkg.version.slice(0, 32));
    } catch {
      // no package.json here: look further up
    }
    const up = path.dirname(dir);
    if (up === dir) return version;
    dir = up;
  }
}
