#!/usr/bin/env node
// Thin launcher: the compiled operator CLI lives in dist/ (built by `npm ci` via the prepare script).
import v8 from 'node:v8';

// V8 lets the old generation grow to up to 4x what survived its last full GC before collecting
// again. Held streams live for minutes and die all at once, so a gateway at 10,000 streams (~150 MB
// live) could grow run by run to 600-800 MB of mostly dead streams (bench hold phase, 9,900 streams
// three times on one process: peak RSS 387 -> 601 -> 802 MB; not a leak, a full GC leaves ~62 MB
// after each run). At 1.5x the worst of four such bench runs was 433 MB, and the gateway's CPU per
// run of held streams did not change (8.3-9.9 s with, 8.4-11.8 s without); 1.2x held 337 MB but
// cost ~40% more CPU. Set here, before anything is allocated, so that it applies however the
// process is started (`npm start`, `gatehouse serve`); V8 reads it at each GC.
v8.setFlagsFromString('--heap-growing-percent=50');

await import('../dist/src/main.js');
