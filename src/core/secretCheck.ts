// One secret for the fleet: stored provider keys are sealed with GATEHOUSE_SECRET_KEY, so an
// instance started with another key would fail later on every sealed key, request by request.
// Instead the database holds a check value sealed with the key it was set up with, and an
// instance whose key does not open it refuses to start. Neither key is ever printed.
import type { Db } from '../db/open.js';
import { installationValue, putInstallationValueOnce, someSealedSecrets } from '../db/installation.js';
import { GatehouseError } from '../errors.js';
import { integrationSecretContext, type Sealer } from './secrets.js';

const NAME = 'secret_check';
const PLAINTEXT = 'gatehouse secret check v1';
const CONTEXT = 'installation:secret-check';
/** Sealed keys tried on a database made before the check existed; one that opens is enough. */
const SAMPLE = 20;

function mismatch(): GatehouseError {
  return new GatehouseError('config', 'GATEHOUSE_SECRET_KEY: differs from the key this database was set up with; stored provider keys could not be opened', {
    hint: 'start every instance of a fleet with the same GATEHOUSE_SECRET_KEY, the one this database was set up with (without the setting, the key is the data dir\'s secret.key file)',
  });
}

function opens(sealer: Sealer, sealed: string, context: string): boolean {
  try {
    sealer.open(sealed, context); // AES-GCM: only the sealing key opens it
    return true;
  } catch {
    return false;
  }
}

/** Resolves when `sealer`'s key is the installation's; otherwise throws a config error naming the mismatch. */
export async function checkSecretKey(db: Db, sealer: Sealer): Promise<void> {
  let stored = await installationValue(db, NAME);
  if (stored === undefined) {
    // No check yet: a new database, or one made by a version before the check. The latter may
    // already hold sealed provider keys: store the check only if our key opens one of them, so
    // the first instance to upgrade cannot enshrine a wrong key. (Several instances may get here
    // at once: the first insert wins and the others check against it below.)
    const sample = await someSealedSecrets(db, SAMPLE);
    if (sample.length && !sample.some((s) => opens(sealer, s.sealed, integrationSecretContext(s.integration_id, s.provider)))) throw mismatch();
    stored = await putInstallationValueOnce(db, NAME, sealer.seal(PLAINTEXT, CONTEXT));
  }
  if (!opens(sealer, stored, CONTEXT)) throw mismatch();
}
