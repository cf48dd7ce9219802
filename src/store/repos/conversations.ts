import type Database from 'better-sqlite3';
import { npsOf } from '../../call/nps.js';
import type { Channel } from '../../call/types.js';
import { SurveysRepo } from './surveys.js';

export type Party = 'customer' | 'agent' | 'bot';

export interface StoredMessage {
  msgKey: string;
  party: Party;
  at: number;
  endAt?: number;
  seq: number;
}

export interface ConversationFilter {
  channel?: Channel;
  limit?: number;
}

/**
 * Conversations (calls rows with a channel) and their message index. Message text lives in
 * `utterances`, written redacted by the analysis path like any utterance; this index only holds
 * what idempotency and the text KPIs need (key, party, times), never text.
 */
export class ConversationsRepo {
  readonly #find: Database.Statement;
  readonly #insert: Database.Statement;
  readonly #has: Database.Statement;
  readonly #messages: Database.Statement;
  readonly #list: Database.Statement;
  readonly #mix: Database.Statement;
  readonly #transcript: Database.Statement;

  constructor(private readonly db: Database.Database) {
    // Ordered so a call stored under a suffixed external id (an id reused, see insertCallReused)
    // never shadows the first one.
    this.#find = db.prepare(`SELECT id, state, channel, started_at AS startedAt FROM calls WHERE ingest = 'conversation' AND external_id = ? LIMIT 1`);
    this.#insert = db.prepare('INSERT OR IGNORE INTO conversation_messages (call_id, msg_key, party, at, end_at, seq) VALUES (?,?,?,?,?,?)');
    this.#has = db.prepare('SELECT 1 FROM conversation_messages WHERE call_id = ? AND msg_key = ?').pluck();
    this.#messages = db.prepare('SELECT msg_key AS msgKey, party, at, end_at AS endAt, seq FROM conversation_messages WHERE call_id = ? ORDER BY at, rowid');
    // Channel null = all; the conversations index (calls_channel) serves the filtered case.
    this.#list = db.prepare(
      `SELECT c.id AS callId, c.channel, c.external_id AS conversation, c.started_at AS startedAt, c.ended_at AS endedAt, c.state,
              c.agent_id AS agentId, c.queue, (SELECT COUNT(*) FROM conversation_messages m WHERE m.call_id = c.id) AS messages
         FROM calls c WHERE (@channel IS NULL OR c.channel = @channel) ORDER BY c.started_at DESC LIMIT @limit`,
    );
    this.#mix = db.prepare('SELECT channel, COUNT(*) AS n FROM calls WHERE started_at >= ? AND started_at < ? GROUP BY channel ORDER BY channel');
    this.#transcript = db.prepare(
      `SELECT m.party, m.at, m.end_at AS endAt, u.text, u.lang, u.sentiment, u.emotion, u.categories, u.redactions
         FROM conversation_messages m JOIN legs l ON l.call_id = m.call_id AND l.label = m.party
         JOIN utterances u ON u.leg_id = l.id AND u.seq = m.seq
        WHERE m.call_id = ? ORDER BY m.at, m.rowid`,
    );
  }

  /** The stored conversation of a source's conversation id, if any. */
  find(externalId: string): { id: string; state: string; channel: Channel; startedAt: number } | undefined {
    return this.#find.get(externalId) as { id: string; state: string; channel: Channel; startedAt: number } | undefined;
  }

  /**
   * Deletes a conversation cut by a restart (state interrupted) with its messages, utterances and
   * events (cascade; its alarms are unlinked, as for a discarded audio import), so a re-run of the
   * unfinished import redoes it whole. False when there is no such conversation.
   */
  discardCut(callId: string): boolean {
    return this.db.prepare("DELETE FROM calls WHERE id = ? AND ingest = 'conversation' AND state = 'interrupted'").run(callId).changes === 1;
  }

  /** Records a message; false when (call, key) is already there (the message is a duplicate). */
  addMessage(callId: string, m: StoredMessage): boolean {
    return this.#insert.run(callId, m.msgKey, m.party, m.at, m.endAt ?? null, m.seq).changes === 1;
  }

  hasMessage(callId: string, msgKey: string): boolean {
    return this.#has.get(callId, msgKey) !== undefined;
  }

  messages(callId: string): StoredMessage[] {
    return (this.#messages.all(callId) as (StoredMessage & { endAt: number | null })[]).map((r) => ({ ...r, endAt: r.endAt ?? undefined }));
  }

  /** Newest first; calls (channel voice) included, so one list shows every channel side by side. */
  list(f: ConversationFilter = {}): { callId: string; channel: Channel; conversation: string; startedAt: number; endedAt: number | null; state: string; agentId: string | null; queue: string | null; messages: number }[] {
    return this.#list.all({ channel: f.channel ?? null, limit: f.limit ?? 100 }) as ReturnType<ConversationsRepo['list']>;
  }

  /** Conversations (calls included) per channel started in [from, to). */
  channelMix(from: number, to: number): { channel: Channel; conversations: number }[] {
    return (this.#mix.all(from, to) as { channel: Channel; n: number }[]).map((r) => ({ channel: r.channel, conversations: r.n }));
  }

  /**
   * NPS per channel of the contact each survey is linked to ('unlinked': no contact found). A survey
   * is linked to its call at arrival (by call id, or the customer's latest contact by hashed
   * customer: src/kpi/surveys.ts); its channel is that contact's. Whole days from survey_days
   * (channel since migration 014), the partial days at the ends from the answers.
   */
  npsByChannel(from: number, to: number): { channel: Channel | 'unlinked'; responses: number; promoters: number; detractors: number; nps: number }[] {
    const by = new Map<string, { responses: number; promoters: number; detractors: number }>();
    for (const r of SurveysRepo.for(this.db).npsDays('channel', from, to)) {
      if (r.kind !== 'nps') continue;
      const key = r.key === '(unknown)' ? 'unlinked' : r.key;
      const g = by.get(key) ?? by.set(key, { responses: 0, promoters: 0, detractors: 0 }).get(key)!;
      g.responses += r.n;
      g.promoters += r.promoters;
      g.detractors += r.detractors;
    }
    return [...by]
      .filter(([, g]) => g.responses > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([channel, g]) => ({ channel: channel as Channel | 'unlinked', ...g, nps: npsOf(g.promoters, g.detractors, g.responses)! }));
  }

  /** The chat transcript view: messages in order with their (redacted) text and analysis. */
  transcript(callId: string): { party: Party; at: number; endAt?: number; text: string; lang: string; sentiment: number; emotion: string; categories: string[]; redactions: number }[] {
    return (this.#transcript.all(callId) as Record<string, unknown>[]).map((r) => ({
      party: r.party as Party,
      at: r.at as number,
      ...(r.endAt != null ? { endAt: r.endAt as number } : {}),
      text: r.text as string,
      lang: r.lang as string,
      sentiment: r.sentiment as number,
      emotion: r.emotion as string,
      categories: safeList(r.categories),
      redactions: r.redactions as number,
    }));
  }
}

function safeList(v: unknown): string[] {
  try {
    const x: unknown = JSON.parse(String(v));
    return Array.isArray(x) ? x.map(String) : [];
  } catch {
    return [];
  }
}
