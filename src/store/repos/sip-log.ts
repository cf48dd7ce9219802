import type Database from 'better-sqlite3';

/** One SIP message of a dialog as the per-call SIP log keeps it: no AOR, number or body. */
export interface SipLogEntry {
  sipCallId: string;
  /** The call's id once the dialog has one. */
  callId?: string;
  at: number;
  dir: 'in' | 'out';
  method: string;
  status?: number;
  reason?: string;
  /** The other side's address:port. */
  peer: string;
  transport: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' | 'drachtio';
}

export interface SipLogRow extends SipLogEntry {
  id: number;
}

/** Rows kept per dialog: a retransmission storm or a looping SRC cannot fill the disk. */
export const SIP_LOG_MAX_PER_DIALOG = 200;

const toRow = (r: Record<string, unknown>): SipLogRow => ({
  id: r.id as number,
  sipCallId: r.sip_call_id as string,
  callId: (r.call_id as string | null) ?? undefined,
  at: r.at as number,
  dir: r.dir as SipLogRow['dir'],
  method: r.method as string,
  status: (r.status as number | null) ?? undefined,
  reason: (r.reason as string | null) ?? undefined,
  peer: r.peer as string,
  transport: r.transport as SipLogRow['transport'],
});

const SQL = {
  // Bounded per dialog: past the cap a row is dropped (the caller counts it).
  append: `INSERT INTO sip_log (sip_call_id, call_id, at, dir, method, status, reason, peer, transport)
           SELECT @sipCallId, @callId, @at, @dir, @method, @status, @reason, @peer, @transport
           WHERE (SELECT COUNT(*) FROM sip_log WHERE sip_call_id = @sipCallId) < @max`,
  // Messages logged before the call existed (INVITE, 100 Trying) join it.
  link: 'UPDATE sip_log SET call_id = ? WHERE sip_call_id = ? AND call_id IS NULL',
  // A call's history: its own rows, and any of its dialog's rows not yet linked.
  ofCall: `SELECT * FROM sip_log WHERE call_id = @id OR (sip_call_id = @sip AND call_id IS NULL) ORDER BY id`,
  ofDialog: 'SELECT * FROM sip_log WHERE sip_call_id = ? ORDER BY id',
  // The newest SIPREC call of a dialog; `~%` catches a reused Call-ID's suffixed external id.
  callOfDialog: "SELECT id FROM calls WHERE ingest = 'siprec' AND (external_id = ? OR external_id LIKE ? || '~%') ORDER BY started_at DESC LIMIT 1",
  purgeCalls: 'DELETE FROM sip_log WHERE call_id IN (SELECT value FROM json_each(?))',
  // Dialogs that never had a call (rejected INVITEs, stray OPTIONS) age out with the calls window.
  purgeOrphans: 'DELETE FROM sip_log WHERE rowid IN (SELECT rowid FROM sip_log WHERE call_id IS NULL AND at < ? LIMIT ?)',
} as const;

/**
 * The per-call SIP log (migration 010). Statements are prepared on first use: a CLI that only
 * reads, or a node without SIP, never prepares the writes.
 */
export class SipLogRepo {
  readonly #stmts = new Map<keyof typeof SQL, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  #st(name: keyof typeof SQL): Database.Statement {
    let s = this.#stmts.get(name);
    if (!s) this.#stmts.set(name, (s = this.db.prepare(SQL[name])));
    return s;
  }

  /** Appends in one transaction; returns how many were dropped by the per-dialog cap. */
  append(entries: SipLogEntry[], max = SIP_LOG_MAX_PER_DIALOG): number {
    const st = this.#st('append');
    const link = this.#st('link');
    let dropped = 0;
    this.db.transaction(() => {
      const linked = new Set<string>();
      for (const e of entries) {
        if (e.callId && !linked.has(e.sipCallId)) {
          linked.add(e.sipCallId);
          link.run(e.callId, e.sipCallId);
        }
        const r = st.run({ sipCallId: e.sipCallId, callId: e.callId ?? null, at: e.at, dir: e.dir, method: e.method, status: e.status ?? null, reason: e.reason ?? null, peer: e.peer, transport: e.transport, max });
        if (r.changes === 0) dropped++;
      }
    })();
    return dropped;
  }

  /** The SIP history of a call (its id and its dialog's Call-ID), oldest first. */
  ofCall(callId: string, sipCallId: string): SipLogRow[] {
    return (this.#st('ofCall').all({ id: callId, sip: sipCallId }) as Record<string, unknown>[]).map(toRow);
  }

  /** A dialog's rows by its SIP Call-ID (e.g. a rejected INVITE, which has no call). */
  ofDialog(sipCallId: string): SipLogRow[] {
    return (this.#st('ofDialog').all(sipCallId) as Record<string, unknown>[]).map(toRow);
  }

  /** The id of the newest SIPREC call recorded for a SIP Call-ID. */
  callOfDialog(sipCallId: string): string | undefined {
    return (this.#st('callOfDialog').get(sipCallId, sipCallId) as { id: string } | undefined)?.id;
  }

  /** Deletes the rows of these calls (a JSON array of ids); used by the retention purge. */
  purgeCalls(idsJson: string): number {
    return this.#st('purgeCalls').run(idsJson).changes;
  }

  /** Deletes up to `limit` rows that never joined a call and are older than `before`. */
  purgeOrphans(before: number, limit: number): number {
    return this.#st('purgeOrphans').run(before, limit).changes;
  }
}
