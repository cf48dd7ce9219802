import type Database from 'better-sqlite3';
import { AlarmReplayRepo } from './alarm-replay.js';
import { AlarmRulesRepo } from './alarm-rules.js';
import { AlarmsRepo } from './alarms.js';
import { CasesRepo } from './cases.js';
import { CoachingRepo } from './coaching.js';
import { DashboardRepo } from './dashboard.js';
import { DemoRepo } from './demo.js';
import { ConversationsRepo } from './conversations.js';
import { KpiRepo } from './kpi.js';
import { KpiRollupsRepo } from './kpi-rollups.js';
import { RecordingsRepo } from './recordings.js';
import { ReportsRepo } from './reports.js';
import { RiskRepo } from './risk.js';
import { RulePacksRepo } from './rule-packs.js';
import { SipLogRepo } from './sip-log.js';
import { SurveysRepo } from './surveys.js';
import { SyncRepo } from './sync.js';
import { SyncBatchRepo } from './sync-batch.js';
import { SyncCollectorRepo } from './sync-collector.js';
import { SyncOutboxRepo } from './sync-outbox.js';
import { UsersRepo } from './users.js';
import { WebhookOutboxRepo } from './webhook-outbox.js';

/**
 * The repositories over the store's connection, one per domain (see docs/architecture.md, "The store
 * boundary"). Built once at open, so each statement is prepared once.
 */
export function createRepos(db: Database.Database) {
  return { alarms: new AlarmsRepo(db), alarmRules: AlarmRulesRepo.for(db), alarmReplay: AlarmReplayRepo.for(db), cases: new CasesRepo(db), coaching: new CoachingRepo(db), demo: new DemoRepo(db), kpi: KpiRepo.for(db), users: new UsersRepo(db), webhookOutbox: new WebhookOutboxRepo(db), sync: new SyncRepo(db), syncBatch: SyncBatchRepo.for(db), syncOutbox: SyncOutboxRepo.for(db), recordings: new RecordingsRepo(db), conversations: new ConversationsRepo(db),
    // The KPI stage's rollups, surveys/NPS and customer risk (statements prepared on first use).
    kpiRollups: KpiRollupsRepo.for(db), surveys: SurveysRepo.for(db), risk: RiskRepo.for(db),
    // Each dialog's SIP history (both fronts), for `earshot calls show`.
    sipLog: new SipLogRepo(db),
    // The web's (made per connection: the web's functions that still take a connection share them).
    dashboard: DashboardRepo.for(db), reports: ReportsRepo.for(db), rulePacks: RulePacksRepo.for(db) };
}

export type Repos = ReturnType<typeof createRepos>;
export { KpiRollupsRepo, RiskRepo, SurveysRepo, SyncCollectorRepo };
export { AlarmReplayRepo, AlarmRulesRepo, AlarmsRepo, CasesRepo, CoachingRepo, ConversationsRepo, DemoRepo, KpiRepo, RecordingsRepo, SipLogRepo, SyncBatchRepo, SyncOutboxRepo, SyncRepo, UsersRepo, WebhookOutboxRepo };
export { DashboardRepo, ReportsRepo, RulePacksRepo };
export type { Party, StoredMessage } from './conversations.js';
export { SIP_LOG_MAX_PER_DIALOG, type SipLogEntry, type SipLogRow } from './sip-log.js';
