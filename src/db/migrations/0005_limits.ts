// Frozen: never edit a migration that has shipped; add a new one.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // An admin's per-user overrides of the installation's rate limits; null: the default. A user
  // without a row has the defaults. Plain integer and text columns: the same on PostgreSQL.
  await db.schema
    .createTable('user_limits')
    .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('rpm', 'integer')
    .addColumn('concurrent', 'integer')
    .addColumn('key_rpm', 'integer') // each of the user's API keys
    .addColumn('key_concurrent', 'integer')
    .addColumn('updated_by', 'varchar(64)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('user_limits').execute();
}
