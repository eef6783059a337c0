// Frozen: never edit a migration that has shipped; add a new one.
// Web sign-in (issue 17): one-time links printed by `browser`, and the sessions they start. Only a
// SHA-256 of each token and session id is stored: a copy of the database opens no session. No
// trigger and no change topic: no instance caches these rows, each request reads its own.
import type { Kysely } from 'kysely';
import { withId } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('web_links')
    .$call(withId(db))
    .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('used_at', 'varchar(32)')
    .execute();
  await db.schema
    .createTable('web_sessions')
    .$call(withId(db))
    .addColumn('session_hash', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .execute();
  // Pruning deletes by expiry; deleting a user deletes by user_id (PostgreSQL indexes no foreign key).
  for (const table of ['web_links', 'web_sessions']) {
    await db.schema.createIndex(`${table}_expires`).on(table).column('expires_at').execute();
    await db.schema.createIndex(`${table}_user`).on(table).column('user_id').execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['web_sessions', 'web_links']) await db.schema.dropTable(table).execute();
}
