import type Database from 'better-sqlite3';
import { AlarmReplayRepo } from './alarm-replay.js';
import { AlarmRulesRepo } from './alarm-rules.js';
import { AlarmsRepo } from './alarms.js';
import { CasesRepo } from './cases.js';
import { CoachingRepo } from './coaching.js';
import { DemoRepo } from './demo.js';
import { ConversationsRepo } from './conversations.js';
import { KpiRepo } from './kpi.js';
import { RecordingsRepo } from './recordings.js';
import { SyncRepo } from './sync.js';
import { SyncBatchRepo } from './sync-batch.js';
import { UsersRepo } from './users.js';
import { WebhookOutboxRepo } from './webhook-outbox.js';

/**
 * The repositories over the store's connection, one per domain (see docs/architecture.md, "The store
 * boundary"). Built once at open, so each statement is prepared once.
 */
export function createRepos(db: Database.Database) {
  return { alarms: new AlarmsRepo(db), alarmRules: AlarmRulesRepo.for(db), alarmReplay: AlarmReplayRepo.for(db), cases: new CasesRepo(db), coaching: new CoachingRepo(db), demo: new DemoRepo(db), kpi: new KpiRepo(db), users: new UsersRepo(db), webhookOutbox: new WebhookOutboxRepo(db), sync: new SyncRepo(db), syncBatch: SyncBatchRepo.for(db), recordings: new RecordingsRepo(db), conversations: new ConversationsRepo(db) };
}

export type Repos = ReturnType<typeof createRepos>;
export { AlarmReplayRepo, AlarmRulesRepo, AlarmsRepo, CasesRepo, CoachingRepo, ConversationsRepo, DemoRepo, KpiRepo, RecordingsRepo, SyncBatchRepo, SyncRepo, UsersRepo, WebhookOutboxRepo };
export type { Party, StoredMessage } from './conversations.js';
