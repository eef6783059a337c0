// One label tuple of a prom-client Histogram, observed without prom-client's per-call work.
// A bound child (histogram.labels(...).observe) still builds a label hash string, a value object and
// validates the labels on every observation: about 600 ns, twice per gateway request. A cell holds
// the tuple's own entry instead and adds to it exactly as prom-client 15's observe does (sum,
// count, the first bucket whose bound holds the value; +Inf is derived from count at scrape).
// prom-client is pinned (15.1.3); if its entries ever change shape, the cell falls back to the child.
import type { Histogram } from 'prom-client';

export interface Observer {
  observe(value: number): void;
}

interface Entry {
  labels: Record<string, string>;
  bucketValues: Record<string, number>;
  sum: number;
  count: number;
}

interface Internals {
  hashMap?: Record<string, Entry>;
  upperBounds?: number[];
}

export function histogramCell(histogram: Histogram, labels: Record<string, string>): Observer {
  const internals = histogram as unknown as Internals;
  const find = () => Object.values(internals.hashMap ?? {}).find((e) => sameLabels(e.labels, labels));
  let entry = find();
  if (!entry) {
    histogram.zero(labels);
    entry = find();
  }
  const bounds = internals.upperBounds;
  if (!entry || !bounds || typeof entry.sum !== 'number' || typeof entry.count !== 'number' || !bounds.every((b) => typeof entry!.bucketValues?.[b] === 'number')) {
    return histogram.labels(labels);
  }
  const e = entry;
  const keys = bounds.map(String); // the entry's bucket keys, as prom-client made them
  return {
    observe(value: number): void {
      if (!Number.isFinite(value)) return;
      e.sum += value;
      e.count += 1;
      for (let i = 0; i < bounds.length; i++) {
        if (value <= bounds[i]) {
          e.bucketValues[keys[i]] += 1;
          return;
        }
      }
    },
  };
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  if (!a) return false;
  const keys = Object.keys(b);
  return keys.length === Object.keys(a).length && keys.every((k) => a[k] === b[k]);
}
