import type Database from 'better-sqlite3';

/**
 * Every statement the store runs, prepared once at open. Positional parameters: they bind fastest
 * and the hot-path writers call these thousands of times a second.
 */
export function prepareStatements(db: Database.Database) {
  const p = (sql: string) => db.prepare(sql);
  return {
    // Hot path (queued through the writer).
    upsertCall: p(
      `INSERT INTO calls (id, ingest, external_id, started_at, agent_id, queue, customer_hash, source, channel) VALUES (?,?,?,?,?,?,?,?,?)
       ON CONFLICT(id) DO UPDATE SET agent_id = COALESCE(excluded.agent_id, agent_id),
         queue = COALESCE(excluded.queue, queue), customer_hash = COALESCE(excluded.customer_hash, customer_hash)`,
    ),
    // A reused (ingest, external id) — a SIP Call-ID seen again, an import retried — keeps the new
    // call and all its children: the new row's external id gets its call id appended.
    insertCallReused: p(
      `INSERT INTO calls (id, ingest, external_id, started_at, agent_id, queue, customer_hash, source, channel) VALUES (?,?,?,?,?,?,?,?,?)`,
    ),
    endCall: p(
      // Parameters: state, endedAt, endedAt, summary, reason, id. The first end (the registry's) names
      // the reason; the KPI stage's later write with the summary keeps it.
      `UPDATE calls SET state = ?, ended_at = ?, duration_ms = MAX(0, ? - started_at), summary = COALESCE(?, summary),
         end_reason = COALESCE(?, end_reason)
       WHERE id = ?`,
    ),
    upsertLeg: p(
      `INSERT INTO legs (id, call_id, role, label, codec) VALUES (?,?,?,?,?)
       ON CONFLICT(id) DO UPDATE SET role = excluded.role, label = excluded.label, codec = COALESCE(excluded.codec, codec)`,
    ),
    // Merged, not replaced: RTP (packets, loss, MOS) and speech (level, clipping) report separately.
    legStats: p("UPDATE legs SET stats = json_patch(COALESCE(stats, '{}'), ?) WHERE id = ?"),
    insertUtterance: p(
      `INSERT INTO utterances (id, call_id, leg_id, role, seq, start_ms, end_ms, text, lang, sentiment, emotion, emotion_conf, categories, redactions)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
    ),
    insertEvent: p('INSERT INTO call_events (id, call_id, leg_id, kind, t_ms, data) VALUES (?,?,?,?,?,?)'),
    importProgress: p("UPDATE imports SET progress_ms = ? WHERE sha256 = ? AND state = 'running'"),

    // Rare writes, committed at once.
    insertAlarm: p(
      `INSERT INTO alarms (call_id, agent_id, rule, severity, state, message, evidence, raised_at) VALUES (?,?,?,?,?,?,?,?)`,
    ),
    // The state guard makes a transition atomic even against another connection (a CLI).
    ackAlarm: p("UPDATE alarms SET state = 'acked', acked_by = ?, acked_at = ?, ack_comment = ? WHERE id = ? AND state = 'open'"),
    resolveAlarm: p(
      "UPDATE alarms SET state = 'resolved', resolved_by = ?, resolved_at = ?, resolve_comment = ? WHERE id = ? AND state IN ('open', 'acked')",
    ),
    escalateAlarm: p('UPDATE alarms SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL'),
    audit: p('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?,?,?,?,?)'),
    startImport: p(
      `INSERT INTO imports (sha256, call_id, file_name, state, progress_ms, started_at) VALUES (?,?,?,'running',0,?)
       ON CONFLICT(sha256) DO UPDATE SET call_id = excluded.call_id, file_name = excluded.file_name, state = 'running',
         progress_ms = 0, started_at = excluded.started_at, finished_at = NULL, error = NULL`,
    ),
    finishImport: p('UPDATE imports SET state = ?, call_id = COALESCE(?, call_id), finished_at = ?, error = ? WHERE sha256 = ?'),
    // `~%` also catches a call stored under a suffixed external id (see insertCallReused).
    discardImportCalls: p("DELETE FROM calls WHERE ingest = 'import' AND (external_id = @sha OR external_id LIKE @sha || '~%')"),
    discardImport: p('DELETE FROM imports WHERE sha256 = ?'),

    // Reads.
    getCall: p('SELECT * FROM calls WHERE id = ?'),
    legsOf: p('SELECT * FROM legs WHERE call_id = ? ORDER BY rowid'),
    utterancesOf: p('SELECT * FROM utterances WHERE call_id = ? ORDER BY start_ms, id'),
    eventsOf: p('SELECT * FROM call_events WHERE call_id = ? ORDER BY t_ms, id'),
    getAlarm: p('SELECT * FROM alarms WHERE id = ?'),
    listAlarms: p(
      `SELECT * FROM alarms WHERE (@callId IS NULL OR call_id = @callId) AND (@state IS NULL OR state = @state)
       ORDER BY raised_at DESC, id DESC LIMIT @limit`,
    ),
    findImport: p('SELECT * FROM imports WHERE sha256 = ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
