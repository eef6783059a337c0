// Frozen: never edit a migration that has shipped; add a new one. (The portable.ts helpers
// leave its SQLite schema exactly as shipped; they only spell it for PostgreSQL too.)
import type { Kysely } from 'kysely';
import { withId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  // Only a keyed hash of each key is stored, and a short prefix to recognise it by.
  await db.schema
    .createTable('api_keys')
    .$call(withId(db))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(64)', (c) => c.notNull())
    .addColumn('prefix', 'varchar(16)', (c) => c.notNull())
    .addColumn('hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('integrations', 'text') // JSON list of integration ids (renames keep the scope); null: all of the user's
    .addColumn('models', 'text') // JSON list of model globs; null: any
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)')
    .addColumn('last_used_at', 'varchar(32)')
    .addUniqueConstraint('api_keys_owner_name', ['user_id', 'name'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_keys').execute();
}
