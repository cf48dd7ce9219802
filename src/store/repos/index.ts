import type Database from 'better-sqlite3';
import { AlarmsRepo } from './alarms.js';
import { CasesRepo } from './cases.js';
import { CoachingRepo } from './coaching.js';
import { DashboardRepo } from './dashboard.js';
import { DemoRepo } from './demo.js';
import { ConversationsRepo } from './conversations.js';
import { KpiRepo } from './kpi.js';
import { RecordingsRepo } from './recordings.js';
import { ReportsRepo } from './reports.js';
import { RulePacksRepo } from './rule-packs.js';
import { SyncRepo } from './sync.js';
import { SyncBatchRepo } from './sync-batch.js';
import { UsersRepo } from './users.js';
import { WebhookOutboxRepo } from './webhook-outbox.js';

/**
 * The repositories over the store's connection, one per domain (see docs/architecture.md, "The store
 * boundary"). Built once at open, so each statement is prepared once.
 */
export function createRepos(db: Database.Database) {
  return { alarms: new AlarmsRepo(db), cases: new CasesRepo(db), coaching: new CoachingRepo(db), demo: new DemoRepo(db), kpi: new KpiRepo(db), users: new UsersRepo(db), webhookOutbox: new WebhookOutboxRepo(db), sync: new SyncRepo(db), syncBatch: SyncBatchRepo.for(db), recordings: new RecordingsRepo(db), conversations: new ConversationsRepo(db),
    // The web's (made per connection: the web's functions that still take a connection share them).
    dashboard: DashboardRepo.for(db), reports: ReportsRepo.for(db), rulePacks: RulePacksRepo.for(db) };
}

export type Repos = ReturnType<typeof createRepos>;
export { AlarmsRepo, CasesRepo, CoachingRepo, ConversationsRepo, DemoRepo, KpiRepo, RecordingsRepo, SyncBatchRepo, SyncRepo, UsersRepo, WebhookOutboxRepo };
export { DashboardRepo, ReportsRepo, RulePacksRepo };
export type { Party, StoredMessage } from './conversations.js';
