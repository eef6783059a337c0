// Frozen: never edit a migration that has shipped; add a new one.
import { sql, type Kysely } from 'kysely';
import { microsType } from './portable.js';

export async function up(db: Kysely<any>): Promise<void> {
  // One row per (user, month, instance): the slice of the user's monthly balance an instance has
  // leased (outstanding: budget it may spend, reserved or in rows not yet written) and the cost of
  // the usage rows it has written (spent, kept in the same transaction as the rows). A top-up then
  // sums a handful of lease rows instead of a month of usage rows. Times are ISO strings.
  await db.schema
    .createTable('credit_leases')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('month', 'varchar(7)', (c) => c.notNull())
    .addColumn('instance', 'varchar(32)', (c) => c.notNull())
    .addColumn('outstanding_micros', microsType(db), (c) => c.notNull())
    .addColumn('spent_micros', microsType(db), (c) => c.notNull())
    .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
    .addPrimaryKeyConstraint('credit_leases_pk', ['user_id', 'month', 'instance'])
    .execute();
  await db.schema.createIndex('credit_leases_instance').on('credit_leases').columns(['instance', 'month']).execute();
  // Usage written before leases existed: one expired lease row per user and month carries its cost.
  await sql`INSERT INTO credit_leases (user_id, month, instance, outstanding_micros, spent_micros, expires_at)
    SELECT user_id, month, 'before-leases', 0, sum(cost_micros), '' FROM usage GROUP BY user_id, month`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('credit_leases').execute();
}
