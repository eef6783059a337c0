// Frozen: never edit a migration that has shipped; add a new one.
// PostgreSQL only: an SSH login and an API key's use write last_used_at, which no cache holds.
// The 0006 triggers on those tables notified the whole fleet for it (every instance rebuilt its
// indexes on every login). Their UPDATE triggers now fire only when another column is set
// (UPDATE OF: the columns named in the statement's SET); db/changePublisher.ts skips the same writes.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/** Each table with its columns other than id and last_used_at, and its topic, as of this migration. */
const TABLES: [table: string, topic: string, columns: string[]][] = [
  ['ssh_keys', 'users', ['user_id', 'name', 'public_key', 'fingerprint', 'created_at']],
  ['api_keys', 'keys', ['user_id', 'name', 'prefix', 'hash', 'integrations', 'models', 'created_at', 'expires_at']],
];

export async function up(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  for (const [table, topic, columns] of TABLES) {
    await sql`DROP TRIGGER gatehouse_changes ON ${sql.table(table)}`.execute(db);
    await sql`
      CREATE TRIGGER gatehouse_changes AFTER INSERT OR DELETE OR TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change(${sql.lit(topic)})`.execute(db);
    await sql`
      CREATE TRIGGER gatehouse_changes_update AFTER UPDATE OF ${sql.join(columns.map((c) => sql.id(c)))} ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change(${sql.lit(topic)})`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  for (const [table, topic] of TABLES) {
    await sql`DROP TRIGGER gatehouse_changes_update ON ${sql.table(table)}`.execute(db);
    await sql`DROP TRIGGER gatehouse_changes ON ${sql.table(table)}`.execute(db);
    await sql`
      CREATE TRIGGER gatehouse_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change(${sql.lit(topic)})`.execute(db);
  }
}
