// Frozen: never edit a migration that has shipped; add a new one.
// Connected ChatGPT accounts (issue 13). Only chatgpt_accounts is watched (topic 'chatgpt': a
// login, a removal, an account that needs a new login). Token refreshes and usage windows go to
// their own tables, which no trigger watches: a refresh must not rebuild every instance's caches.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';
import { microsType, withId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('chatgpt_accounts')
    .$call(withId(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(32)', (c) => c.notNull())
    .addColumn('email', 'varchar(254)')
    .addColumn('plan', 'varchar(32)')
    .addColumn('chatgpt_account_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull()) // ok | needs_login
    .addColumn('state_reason', 'varchar(64)')
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('chatgpt_accounts_owner_name', ['user_id', 'name'])
    .execute();

  // AES-256-GCM of {access_token, refresh_token} bound to "chatgpt:<account id>:tokens" (core/secrets.ts).
  // generation goes up by one with every write: how a refresher learns someone else refreshed.
  await db.schema
    .createTable('chatgpt_tokens')
    .addColumn('account_id', 'integer', (c) => c.primaryKey().references('chatgpt_accounts.id').onDelete('cascade'))
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('access_expires_at', 'varchar(32)')
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('refreshed_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  // The plan's latest usage windows, as the backend reported them (reset times in unix seconds).
  const seconds = microsType(db); // 64-bit on both
  const percent = dialectOf(db) === 'postgres' ? 'double precision' : 'real'; // PostgreSQL's real is 4 bytes
  await db.schema
    .createTable('chatgpt_windows')
    .addColumn('account_id', 'integer', (c) => c.primaryKey().references('chatgpt_accounts.id').onDelete('cascade'))
    .addColumn('primary_used_percent', percent)
    .addColumn('primary_window_minutes', 'integer')
    .addColumn('primary_reset_at', seconds)
    .addColumn('secondary_used_percent', percent)
    .addColumn('secondary_window_minutes', 'integer')
    .addColumn('secondary_reset_at', seconds)
    .addColumn('observed_at', 'varchar(32)', (c) => c.notNull())
    .execute();

  if (dialectOf(db) === 'postgres') {
    // As migration 0006 does for the other watched tables.
    await sql`
      CREATE TRIGGER gatehouse_changes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chatgpt_accounts
      FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_notify_change('chatgpt')`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['chatgpt_windows', 'chatgpt_tokens', 'chatgpt_accounts']) await db.schema.dropTable(t).execute();
}
