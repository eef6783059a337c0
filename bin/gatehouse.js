#!/usr/bin/env node
// Thin launcher: the compiled operator CLI lives in dist/ (built by `npm ci` via the prepare script).
import '../dist/src/main.js';
