// Run as a child process by feed.test.ts: starts a change feed, cuts its listener, stops it while
// it waits to reconnect, closes the database, and returns. If anything were left open (a timer,
// a socket), this process would not exit and the test would fail at its deadline.
import pg from 'pg';
import { Changes } from '../../src/core/changes.js';
import { ChangeFeed } from '../../src/db/changeFeed.js';
import { openDatabase } from '../../src/db/open.js';

const url = process.argv[2];
const db = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
let lost!: () => void;
const warned = new Promise<void>((resolve) => (lost = resolve));
const feed = await ChangeFeed.start({ url, db, changes: new Changes(), checkMs: 50, log: { warn: (m) => m.startsWith('change listener lost') && lost() } });
const killer = new pg.Client({ connectionString: url });
await killer.connect();
await killer.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
await killer.end();
await warned;
await feed.stop();
await db.destroy();
console.log('stopped while reconnecting');
