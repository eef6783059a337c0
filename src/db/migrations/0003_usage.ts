// Frozen: never edit a migration that has shipped; add a new one. (The portable.ts helpers
// leave its SQLite schema exactly as shipped; they only spell it for PostgreSQL too.)
import type { Kysely } from 'kysely';
import { withId, microsType } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  // One row per gateway request. Names are copied (vm_name, integration_name) so reports stay
  // readable after a VM or integration is renamed or removed.
  await db.schema
    .createTable('usage')
    .$call(withId(db, true))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('month', 'varchar(7)', (c) => c.notNull()) // YYYY-MM (UTC), the credit period
    .addColumn('request_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('vm_id', 'integer')
    .addColumn('vm_name', 'varchar(52)')
    .addColumn('api_key_id', 'integer')
    .addColumn('api_key_name', 'varchar(64)')
    .addColumn('integration_id', 'integer')
    .addColumn('integration_name', 'varchar(63)', (c) => c.notNull())
    .addColumn('provider', 'varchar(32)', (c) => c.notNull())
    .addColumn('model', 'varchar(128)', (c) => c.notNull())
    .addColumn('source', 'varchar(16)', (c) => c.notNull())
    .addColumn('api', 'varchar(32)', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('input_tokens', 'integer', (c) => c.notNull())
    .addColumn('output_tokens', 'integer', (c) => c.notNull())
    .addColumn('cache_read_tokens', 'integer', (c) => c.notNull())
    .addColumn('cache_write_tokens', 'integer', (c) => c.notNull())
    .addColumn('cost_micros', microsType(db), (c) => c.notNull())
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('ttfb_ms', 'integer')
    .addColumn('session_id', 'varchar(128)')
    .execute();
  await db.schema.createIndex('usage_user_month').on('usage').columns(['user_id', 'month']).execute();

  await db.schema
    .createTable('credit_grants')
    .$call(withId(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('month', 'varchar(7)', (c) => c.notNull())
    .addColumn('micros', microsType(db), (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('granted_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('credit_grants').execute();
  await db.schema.dropTable('usage').execute();
}
