// reusedQuery (issue 18): a lookup compiled once per database and rerun with other parameters
// answers exactly as the query built anew does, on both dialects; a query whose parameters are
// not the ones it is run with is refused on its first run rather than reused wrongly.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAccount } from '../../src/core/accounts.js';
import { parsePublicKey } from '../../src/core/publicKey.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import { reusedQuery } from '../../src/db/reusedQuery.js';
import { findKeyByFingerprint, listKeys } from '../../src/db/sshKeys.js';
import { findUserById } from '../../src/db/users.js';
import { DATABASES } from '../helpers/databases.js';
import { tempDir } from '../helpers/gatehouse.js';
import { newKey } from '../helpers/ssh.js';

for (const database of DATABASES) describe(`reusedQuery (${database.name})`, () => {
  let db: Db;
  const people: { id: number; fingerprint: string }[] = [];

  before(async () => {
    const url = (await database.env()).GATEHOUSE_DATABASE_URL;
    db = await openDatabase(url ? { kind: 'postgres', url, poolSize: 4 } : path.join(tempDir(), 'gatehouse.db'));
    for (const name of ['alice', 'bob', 'carol']) {
      const key = parsePublicKey(newKey().public);
      const user = await createAccount(db, { name, key });
      people.push({ id: user.id, fingerprint: key.fingerprint });
    }
  });

  after(() => db?.destroy());

  it('issue 18: the login lookups, reused, answer each parameter as a query built anew does', async () => {
    for (let round = 0; round < 2; round++) {
      for (const p of people) {
        const key = await findKeyByFingerprint(db, p.fingerprint);
        assert.deepEqual(key, await db.selectFrom('ssh_keys').selectAll().where('fingerprint', '=', p.fingerprint).executeTakeFirst());
        assert.equal(key?.user_id, p.id);
        assert.deepEqual(await listKeys(db, p.id), await db.selectFrom('ssh_keys').selectAll().where('user_id', '=', p.id).orderBy('id').execute());
        assert.equal((await findUserById(db, p.id))?.id, p.id);
      }
    }
    assert.equal(await findKeyByFingerprint(db, 'SHA256:nobody'), undefined);
    assert.equal(await findUserById(db, 987654), undefined);
    assert.deepEqual(await listKeys(db, 987654), []);
  });

  it('issue 18: a query with a parameter of its own is refused, not rerun with the wrong ones', async () => {
    const limited = reusedQuery((d, id: number) => d.selectFrom('users').selectAll().where('id', '=', id).limit(1));
    await assert.rejects(limited(db, people[0].id), /parameters are not the ones/);
  });
});
