// Frozen: never edit a migration that has shipped; add a new one.
// PostgreSQL only: every write to a watched table, by any writer (another instance, `gatehouse
// user add`, an operator's psql), sends NOTIFY gatehouse_changes '<topic>:<n>' where n comes
// from gatehouse_change_seq. NOTIFY is transactional: it is delivered at commit, and never for a
// rolled-back write, so no instance rebuilds from rows that are not committed. The sequence is
// the fleet's change version: db/changeFeed.ts polls it to find notifications it missed.
// Statement-level triggers: one notification per statement, however many rows it touched.
// On SQLite one instance serves a file, and db/changePublisher.ts publishes its writes; another
// process's (`gatehouse user add` beside it) needs no notice: sign-in looks keys up afresh.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/** A copy, as of this migration, of the table → topic map in db/changePublisher.ts. */
const WATCHED: [table: string, topic: string][] = [
  ['users', 'users'],
  ['ssh_keys', 'users'],
  ['vms', 'vms'],
  ['vm_tags', 'vms'],
  ['integrations', 'integrations'],
  ['integration_secrets', 'integrations'],
  ['attachments', 'integrations'],
  ['api_keys', 'keys'],
  ['user_limits', 'limits'],
  ['credit_grants', 'credits'],
];

export async function up(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  await sql`CREATE SEQUENCE gatehouse_change_seq`.execute(db);
  await sql`
    CREATE FUNCTION gatehouse_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('gatehouse_changes', TG_ARGV[0] || ':' || nextval('gatehouse_change_seq'));
      RETURN NULL;
    END
    $$`.execute(db);
  for (const [table, topic] of WATCHED) {
    await sql`
      CREATE TRIGGER gatehouse_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change(${sql.lit(topic)})`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  for (const [table] of WATCHED) await sql`DROP TRIGGER gatehouse_changes ON ${sql.table(table)}`.execute(db);
  await sql`DROP FUNCTION gatehouse_notify_change()`.execute(db);
  await sql`DROP SEQUENCE gatehouse_change_seq`.execute(db);
}
