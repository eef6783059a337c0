// Frozen: never edit a migration that has shipped; add a new one.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Facts about the installation as a whole, one row each; the first is `secret_check`, a value
  // sealed with GATEHOUSE_SECRET_KEY by which an instance with another key knows it (core/secretCheck.ts).
  await db.schema
    .createTable('installation')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'varchar(32)')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('installation').execute();
}
