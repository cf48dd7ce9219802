// Export formats people already have, turned into interchange records (checked by parse.ts like any
// line). Each yields `{ at: position, record }`: a line number for JSONL and CSV, the item's index
// (1-based) in a JSON export, so a rejection always says where.
import { parse as parseCsv } from 'csv-parse/sync';
import type { Channel } from '../../call/types.js';
import type { Party } from '../../store/repos/index.js';

export type SourceFormat = 'jsonl' | 'amazon-connect' | 'genesys' | 'csv';

export interface Positioned {
  /** Line number (JSONL, CSV) or item number (JSON exports). */
  line: number;
  /** A record for parseRecord, or the raw line text (JSONL) still to be parsed. */
  record?: unknown;
  raw?: string;
  /** Set when the position could not even be read (a broken CSV row). */
  error?: string;
}

/** Which format a file is, from its name and first bytes. */
export function detectFormat(text: string, fileName = ''): SourceFormat {
  const name = fileName.toLowerCase();
  if (name.endsWith('.csv')) return 'csv';
  if (name.endsWith('.jsonl') || name.endsWith('.ndjson')) return 'jsonl';
  const head = text.trimStart();
  if (head.startsWith('{')) {
    // A whole-file JSON document (an export) parses as one value; JSONL does not (unless one line).
    try {
      const v = JSON.parse(text) as Record<string, unknown>;
      if (Array.isArray(v.Transcript) && ('ContactId' in v || 'Participants' in v)) return 'amazon-connect';
      if (Array.isArray(v.transcripts) && 'conversationId' in v) return 'genesys';
    } catch {
      // JSONL
    }
    return 'jsonl';
  }
  if (/^\ufeff?conversation\s*,/iu.test(head)) return 'csv';
  return 'jsonl';
}

export function* jsonlLines(text: string): Generator<Positioned> {
  const lines = text.split(/\r?\n/u);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    yield { line: i + 1, raw: lines[i] };
  }
}

// Amazon Connect chat transcript (the JSON Connect writes to S3 for a chat contact, the same items
// as the Participant Service's GetTranscript): Transcript[] of Item {AbsoluteTime, Content,
// ContentType, Id, Type MESSAGE|EVENT|..., ParticipantRole AGENT|CUSTOMER|SYSTEM|CUSTOM_BOT|SUPERVISOR}.
const CONNECT_ROLES: Record<string, Party> = { CUSTOMER: 'customer', AGENT: 'agent', SUPERVISOR: 'agent', SYSTEM: 'bot', CUSTOM_BOT: 'bot' };

export function* amazonConnect(doc: Record<string, unknown>): Generator<Positioned> {
  const conversation = typeof doc.ContactId === 'string' ? doc.ContactId : typeof doc.InitialContactId === 'string' ? doc.InitialContactId : undefined;
  const items = doc.Transcript as unknown[];
  let lastAt: unknown;
  for (let i = 0; i < items.length; i++) {
    const it = (items[i] ?? {}) as Record<string, unknown>;
    const line = i + 1;
    if (it.Type === 'EVENT' || it.Type === 'CONNECTION_ACK' || it.Type === 'TYPING' || it.Type === 'MESSAGEDELIVERED' || it.Type === 'MESSAGEREAD') {
      if (it.ContentType === 'application/vnd.amazonaws.connect.event.chat.ended') yield { line, record: { conversation, end: true, at: it.AbsoluteTime } };
      continue;
    }
    if (it.Type !== 'MESSAGE' && it.Type !== undefined) continue; // attachments: no text to analyse
    if (typeof it.ContentType === 'string' && !/^text\/(plain|markdown)/u.test(it.ContentType)) continue;
    lastAt = it.AbsoluteTime ?? lastAt;
    const role = typeof it.ParticipantRole === 'string' ? CONNECT_ROLES[it.ParticipantRole] ?? it.ParticipantRole : undefined;
    yield { line, record: { conversation, channel: 'chat', at: it.AbsoluteTime, role, text: it.Content, id: it.Id } };
  }
  // A stored transcript is of a finished chat.
  yield { line: items.length + 1, record: { conversation, end: true, ...(lastAt !== undefined ? { at: lastAt } : {}) } };
}

// Genesys Cloud Speech and Text Analytics transcript (the JSON behind
// GET /api/v2/speechandtextanalytics/conversations/{id}/communications/{cid}/transcripturl):
// transcripts[].phrases[] {text, startTimeMs, duration.milliseconds, participantPurpose}.
const GENESYS_MEDIA: Record<string, Channel> = { call: 'voice', callback: 'voice', chat: 'chat', email: 'email', message: 'app', sms: 'sms' };

function genesysParty(p: unknown): Party | unknown {
  if (typeof p !== 'string') return p;
  const s = p.toLowerCase();
  if (s === 'external' || s === 'customer') return 'customer';
  if (s === 'internal' || s === 'agent' || s === 'user') return 'agent';
  if (s === 'ivr' || s === 'acd' || s === 'bot' || s === 'workflow' || s === 'virtualagent') return 'bot';
  return p;
}

export function* genesys(doc: Record<string, unknown>): Generator<Positioned> {
  const conversation = doc.conversationId;
  const channel = typeof doc.mediaType === 'string' ? GENESYS_MEDIA[doc.mediaType.toLowerCase()] ?? doc.mediaType : 'voice';
  let n = 0;
  let last: number | undefined;
  for (const [ti, tr] of (doc.transcripts as unknown[]).entries()) {
    const t = (tr ?? {}) as Record<string, unknown>;
    const phrases = Array.isArray(t.phrases) ? t.phrases : [];
    for (const [pi, ph] of phrases.entries()) {
      const p = (ph ?? {}) as Record<string, unknown>;
      n++;
      const start = p.startTimeMs;
      const dur = (p.duration as Record<string, unknown> | undefined)?.milliseconds;
      const endAt = typeof start === 'number' && typeof dur === 'number' ? start + dur : undefined;
      if (typeof start === 'number') last = Math.max(last ?? 0, endAt ?? start);
      const id = `${typeof t.transcriptId === 'string' ? t.transcriptId : ti}:${typeof p.phraseIndex === 'number' ? p.phraseIndex : pi}`;
      const lang = typeof t.language === 'string' ? t.language.slice(0, 16) : undefined;
      yield { line: n, record: { conversation, channel, at: start, ...(endAt !== undefined ? { endAt } : {}), role: genesysParty(p.participantPurpose), text: p.text, id, ...(lang ? { lang } : {}) } };
    }
  }
  yield { line: n + 1, record: { conversation, end: true, ...(last !== undefined ? { at: last } : {}) } };
}

/** Generic CSV with a header: conversation,time,role,text (optional: channel, id, agent, queue, customer, endTime). */
export function* csv(text: string): Generator<Positioned> {
  const skipped: Positioned[] = [];
  const rows = parseCsv(text, {
    columns: (h: string[]) => h.map((c) => c.trim().replace(/^\ufeff/u, '').toLowerCase()),
    info: true,
    skip_empty_lines: true,
    relax_column_count: false,
    skip_records_with_error: true,
    on_skip: (err) => void skipped.push({ line: typeof err?.lines === 'number' ? err.lines : 0, error: 'malformed CSV row' }),
  }) as { record: Record<string, string>; info: { lines: number } }[];
  yield* skipped;
  for (const { record: r, info } of rows) {
    const at = /^\d+$/u.test(r.time ?? '') ? Number(r.time) : r.time;
    const endAt = r.endtime === undefined || r.endtime === '' ? undefined : /^\d+$/u.test(r.endtime) ? Number(r.endtime) : r.endtime;
    const rec: Record<string, unknown> = { conversation: r.conversation, channel: r.channel || 'chat', at, role: r.role, text: r.text };
    if (endAt !== undefined) rec.endAt = endAt;
    for (const k of ['id', 'agent', 'queue', 'customer'] as const) if (r[k]) rec[k] = r[k];
    yield { line: info.lines, record: rec };
  }
}

/** The positioned records of a whole file in any supported format. */
export function recordsOf(text: string, format: SourceFormat): Iterable<Positioned> {
  switch (format) {
    case 'jsonl':
      return jsonlLines(text);
    case 'csv':
      return csv(text);
    case 'amazon-connect':
      return amazonConnect(JSON.parse(text) as Record<string, unknown>);
    case 'genesys':
      return genesys(JSON.parse(text) as Record<string, unknown>);
  }
}
