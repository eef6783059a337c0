// ChatGPT account helpers for tests (issue 13): a ChatgptAccounts on a running gatehouse's
// database (as a second instance would hold one), and a device-code login against the mock.
import { Changes } from '../../src/core/changes.js';
import { ChatgptAccounts, type ChatgptAccount } from '../../src/core/chatgpt/accounts.js';
import * as issuer from '../../src/core/chatgpt/issuer.js';
import { loadSecretKey, Sealer } from '../../src/core/secrets.js';
import { ChangeFeed } from '../../src/db/changeFeed.js';
import { openDatabase, type Db } from '../../src/db/open.js';
import type { Log } from '../../src/log.js';
import { startMockChatgpt, type MockChatgpt, type MockIdentity } from '../fixtures/mockChatgpt.js';
import { startTestGatehouse, type TestGatehouse } from './gatehouse.js';
import { signUp } from './ssh.js';

export interface ChatgptService {
  db: Db;
  changes: Changes;
  accounts: ChatgptAccounts;
  logLines: string[];
  userId(name: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A ChatgptAccounts of its own on the gatehouse's database, secret key and ChatGPT settings. With
 * `feed` (PostgreSQL), it hears every writer's changes as an instance does (db/changeFeed.ts).
 */
export async function chatgptService(gh: TestGatehouse, options: { feed?: boolean } = {}): Promise<ChatgptService> {
  const changes = new Changes();
  const db = await openDatabase(gh.config.database, { changes });
  const logLines: string[] = [];
  const log: Log = { debug: () => {}, child: () => log, info: (m) => void logLines.push(m), warn: (m) => void logLines.push(`WARN ${m}`), error: (m) => void logLines.push(`ERROR ${m}`) };
  const target = gh.config.database;
  const feed = options.feed && target.kind === 'postgres' ? await ChangeFeed.start({ url: target.url, db, changes, log, checkMs: 1000 }) : undefined;
  const accounts = new ChatgptAccounts(db, new Sealer(loadSecretKey(gh.config.secretKey, gh.dataDir)), gh.config.chatgpt, changes, log);
  return {
    db,
    changes,
    accounts,
    logLines,
    userId: async (name) => (await db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id,
    close: async () => {
      await accounts.close();
      await feed?.stop();
      await db.destroy();
    },
  };
}

/** The device flow against the mock, approved as `identity`: the issuer's tokens (not stored). */
export async function mockLogin(gpt: MockChatgpt, cfg: issuer.IssuerConfig, identity: MockIdentity): Promise<issuer.IssuedTokens> {
  const code = await issuer.requestUserCode(cfg);
  gpt.approve(code.userCode, identity);
  return issuer.exchangeCode(cfg, await issuer.awaitApproval(cfg, code, { timeoutMs: 5000 }));
}

/** mockLogin, then connect as `name` for `userId`. */
export async function connectAccount(gpt: MockChatgpt, accounts: ChatgptAccounts, userId: number, name: string, identity: MockIdentity): Promise<ChatgptAccount> {
  return accounts.connect(userId, name, await mockLogin(gpt, accounts.issuer, identity));
}

/** Environment pointing a gatehouse at the mock ChatGPT. */
export function chatgptEnv(gpt: MockChatgpt): Record<string, string> {
  return { GATEHOUSE_CHATGPT_ISSUER: gpt.issuerUrl, GATEHOUSE_CHATGPT_BACKEND: gpt.backendUrl };
}

export interface AccountsBench {
  gpt: MockChatgpt;
  gh: TestGatehouse;
  svc: ChatgptService;
  accounts: ChatgptAccounts;
  alice: number;
  bob: number;
  stop(): Promise<void>;
}

/** A gatehouse on `databaseEnv` with the mock ChatGPT, users alice and bob, and a ChatgptAccounts of the test's own. */
export async function accountsWithAliceAndBob(databaseEnv: Record<string, string>): Promise<AccountsBench> {
  const gpt = await startMockChatgpt({ accessTtlS: 3600 });
  const gh = await startTestGatehouse({ ...databaseEnv, ...chatgptEnv(gpt) });
  await signUp(gh.sshPort, 'alice');
  await signUp(gh.sshPort, 'bob');
  const svc = await chatgptService(gh);
  const stop = async () => {
    await svc.close();
    await gh.stop();
    await gpt.close();
  };
  return { gpt, gh, svc, accounts: svc.accounts, alice: await svc.userId('alice'), bob: await svc.userId('bob'), stop };
}
