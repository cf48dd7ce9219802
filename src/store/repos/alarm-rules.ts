import type Database from 'better-sqlite3';
import { perConnection } from './lazy.js';

/** An alarm rule file saved from the console (the `rules` table, kind 'alarm', id `alarm/<file id>`). */
export interface StoredAlarmRuleFile {
  id: string;
  version: number;
  body: string;
  updatedBy: string | null;
  updatedAt: number;
}

/** The alarm stage's rule files in the shared `rules` table. Statements prepared on first use, once. */
export class AlarmRulesRepo {
  #stored?: Database.Statement;

  /** The repository of a connection, made once per connection so its statements are prepared once. */
  static readonly for = perConnection((db) => new AlarmRulesRepo(db));

  constructor(private readonly db: Database.Database) {}

  /** Every stored alarm rule file, by file id. */
  stored(): StoredAlarmRuleFile[] {
    this.#stored ??= this.db.prepare(
      "SELECT substr(id, 7) AS id, version, body, updated_by AS updatedBy, updated_at AS updatedAt FROM rules WHERE kind = 'alarm' AND id LIKE 'alarm/%' ORDER BY id",
    );
    return this.#stored.all() as StoredAlarmRuleFile[];
  }
}
