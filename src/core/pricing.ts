// Prices are USD per 1M tokens, costs integer micro-dollars: one token at $P per 1M costs P micros.
import type { ModelPrice } from './catalog.js';
import type { Usage } from '../providers/usage.js';

export function costMicros(price: ModelPrice, u: Usage): number {
  return Math.round(u.input * price.input + u.output * price.output + u.cacheRead * price.cache_read + u.cacheWrite * price.cache_write);
}

/**
 * What to reserve before a charged request: its input at the dearest input price (it may all be
 * written to cache), bounded by the body size (about two bytes per token at the very least), plus
 * its full output cap. Settled to the actual cost when the request ends.
 */
export function estimateMicros(price: ModelPrice, bodyBytes: number, maxOutput: number): number {
  const inputTokens = Math.ceil(bodyBytes / 2);
  return Math.ceil(inputTokens * Math.max(price.input, price.cache_write) + maxOutput * price.output);
}

export function formatUsd(micros: number): string {
  const dollars = micros / 1_000_000;
  return `$${dollars.toFixed(Math.abs(dollars) < 1 && dollars !== 0 ? 4 : 2)}`;
}
