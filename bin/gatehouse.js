#!/usr/bin/env node
// Thin launcher: the compiled operator CLI lives in dist/ (built by `npm ci` via the prepare script).
import v8 from 'node:v8';

// V8 lets the old generation grow to up to 4x what survived its last full GC before collecting
// again. Held streams live for minutes and die all at once, so a gateway at 10,000 streams (~140 MB
// live) grew run by run to 600-800 MB of mostly dead streams (bench hold phase: peak RSS 387 -> 601
// -> 802 MB over three runs of 9,900 on one process). 1.5x keeps it at ~380 MB every run, for
// more frequent (mostly concurrent) full GCs: see README, Limits, for the CPU it costs. Set here,
// before anything is allocated, so that it applies however the process is started
// (`npm start`, `gatehouse serve`); the flag is read at each GC, so setting it at run time works.
v8.setFlagsFromString('--heap-growing-percent=50');

await import('../dist/src/main.js');
