import type Database from 'better-sqlite3';
import { parse as parseCsv } from 'csv-parse/sync';
import { AlarmError } from '../alarms/errors.js';
import { SurveysRepo } from '../store/repos/surveys.js';

export interface SurveyInput {
  callId?: string;
  customerHash?: string;
  kind: 'nps' | 'csat';
  score: number;
  /** Epoch ms; defaults to now. */
  receivedAt?: number;
}

export interface SurveyRow {
  id: number;
  callId: string | null;
  customerHash: string | null;
  kind: 'nps' | 'csat';
  score: number;
  receivedAt: number;
  source: string;
}

export interface SurveyOptions {
  now: number;
  repeatWindowDays: number;
  source?: 'api' | 'csv';
}

/** The store's `repos.surveys`, or a connection to take it from (tests). */
export type SurveysSource = SurveysRepo | Database.Database;
export const surveysOf = (src: SurveysSource): SurveysRepo => (src instanceof SurveysRepo ? src : SurveysRepo.for(src));

const ID = /^[A-Za-z0-9][A-Za-z0-9_:.-]{0,127}$/;
const bad = (reason: string, msg: string) => new AlarmError('EARSHOT_ERR_BAD_INPUT', [msg], reason);

/**
 * Validates and stores one survey answer. A survey names its call, or only the customer: then it
 * is tied to that customer's latest call in the repeat window before it arrived (if any), so
 * NPS by agent/queue still sees it. Throws EARSHOT_ERR_BAD_INPUT (reason = metric label) or
 * EARSHOT_ERR_NOT_FOUND for an unknown call.
 */
export function recordSurvey(src: SurveysSource, input: SurveyInput, opts: SurveyOptions): SurveyRow {
  const { kind, score } = input;
  if (kind !== 'nps' && kind !== 'csat') throw bad('survey-kind', `kind must be "nps" or "csat"`);
  if (!Number.isInteger(score)) throw bad('survey-score', `score must be an integer`);
  if (kind === 'nps' && (score < 0 || score > 10)) throw bad('survey-score', `an NPS score is 0-10, got ${score}`);
  if (kind === 'csat' && (score < 1 || score > 5)) throw bad('survey-score', `a CSAT score is 1-5, got ${score}`);
  if (input.callId === undefined && input.customerHash === undefined) throw bad('survey-target', 'give callId or customerHash');
  if (input.callId !== undefined && !ID.test(input.callId)) throw bad('survey-call-id', 'callId is not a call id');
  if (input.customerHash !== undefined && !ID.test(input.customerHash)) throw bad('survey-customer', 'customerHash is not a customer hash');
  const at = input.receivedAt ?? opts.now;
  if (!Number.isSafeInteger(at) || at <= 0) throw bad('survey-time', 'receivedAt must be epoch milliseconds');

  const repo = surveysOf(src);
  let callId: string | null = input.callId ?? null;
  let hash: string | null = input.customerHash ?? null;
  if (callId) {
    const customer = repo.callCustomer(callId);
    if (customer === undefined) throw new AlarmError('EARSHOT_ERR_NOT_FOUND', ['no such call'], 'survey-call-unknown');
    if (hash && customer && hash !== customer) throw bad('survey-mismatch', 'customerHash does not match the call');
    hash ??= customer;
  } else {
    callId = repo.latestCallOf(hash!, at, at - opts.repeatWindowDays * 86_400_000) ?? null;
  }
  const source = opts.source ?? 'api';
  const id = repo.insert({ callId, customerHash: hash, kind, score, receivedAt: at, source });
  return { id, callId, customerHash: hash, kind, score, receivedAt: at, source };
}

export interface ImportResult {
  imported: number;
  /** 1-based CSV line numbers (header = line 1) with the reason; values are not echoed back. */
  rejected: { line: number; reason: string; message: string }[];
}

const COLUMNS = ['call_id', 'customer_hash', 'kind', 'score', 'received_at'];
export const MAX_IMPORT_ROWS = 100_000;

/**
 * Imports survey answers from CSV with a header row: kind, score and call_id and/or
 * customer_hash; received_at (epoch ms or ISO 8601) optional. Good rows are stored in one
 * transaction, bad rows are reported by line and reason and skipped.
 */
export function importSurveysCsv(src: SurveysSource, text: string, opts: SurveyOptions, onReject?: (reason: string) => void): ImportResult {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), skip_empty_lines: true, trim: true, bom: true, to_line: MAX_IMPORT_ROWS + 1 });
  } catch (err) {
    throw bad('csv', `not valid CSV: ${(err as Error).message.split('\n')[0].slice(0, 200)}`);
  }
  const header = records.length ? Object.keys(records[0]) : [];
  const unknown = header.filter((h) => !COLUMNS.includes(h));
  if (unknown.length) throw bad('csv-header', `unknown column(s) ${unknown.join(', ')}; allowed: ${COLUMNS.join(', ')}`);
  const result: ImportResult = { imported: 0, rejected: [] };
  const repo = surveysOf(src);
  repo.transaction(() => {
    records.forEach((rec, i) => {
      const line = i + 2;
      try {
        const at = rec.received_at ? parseTime(rec.received_at) : undefined;
        recordSurvey(
          repo,
          {
            callId: rec.call_id || undefined,
            customerHash: rec.customer_hash || undefined,
            kind: rec.kind as SurveyInput['kind'],
            score: /^-?\d+$/.test(rec.score ?? '') ? Number(rec.score) : NaN,
            receivedAt: at,
          },
          { ...opts, source: 'csv' },
        );
        result.imported++;
      } catch (err) {
        if (!(err instanceof AlarmError)) throw err;
        result.rejected.push({ line, reason: err.reason, message: err.message });
        onReject?.(err.reason);
      }
    });
  });
  return result;
}

function parseTime(s: string): number {
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isSafeInteger(t) || t <= 0) throw bad('survey-time', 'received_at must be epoch ms or ISO 8601');
  return t;
}
