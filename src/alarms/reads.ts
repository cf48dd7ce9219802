// The alarm rule editor's dry run as a read-pool task (src/store/read-pool.ts): stored calls replayed
// through the alarm engine in a worker thread, off the loop that carries RTP and SIP. Validated
// alarm rules are plain data, so they cross the thread as they are. The composition root registers
// this module (`stageTasks`); without it the route replays on the loop.
import type Database from 'better-sqlite3';
import type { ReadPool } from '../store/read-pool.js';
import { alarmDryRun, type AlarmDryRun } from './dry-run.js';
import type { AlarmRule } from './rules.js';

/** This module, for `stageTasks` and `ReadPool.serves`. */
export const ALARM_READS = new URL(import.meta.url);

export interface AlarmDryRunArgs { rules: AlarmRule[]; report: string[]; since: number }

export const READS = {
  'alarms.dryRun': (db: Database.Database, a: AlarmDryRunArgs): AlarmDryRun => alarmDryRun(db, a.rules, a.report, a.since),
};

export const poolAlarmDryRun = (reads: ReadPool, a: AlarmDryRunArgs) => reads.runNamed('alarms.dryRun', a) as Promise<AlarmDryRun>;
