// QA scorecards: weighted checks over a finished call, each citing the utterances behind it.
// A scorecard lives in a rule file under "scorecard:" and refers to rules by id.
import type { EmotionLabel } from '../../call/types.js';
import type { EvidenceRef } from './evaluate.js';
import { EMOTIONS, ID, isObj, type Checker, type Path } from './parse.js';
import type { QaCheck, QaItem, Scorecard } from './types.js';

export interface QaItemResult {
  id: string;
  label: string;
  weight: number;
  /** null: the item did not apply to this call. */
  passed: boolean | null;
  evidence: EvidenceRef[];
}

export interface QaResult {
  scorecard: string;
  /** 0–100 over the items that applied; null if none did. */
  score: number | null;
  items: QaItemResult[];
}

/** What scoring needs to know about the call. */
export interface QaFacts {
  evidence(ruleId: string): EvidenceRef[];
  hit: Set<string>;
  end?: EmotionLabel;
  /** A typed conversation (chat, messaging, e-mail): items marked `audio` do not apply. */
  typed?: boolean;
}

const MAX_ITEMS = 100;

function check(c: Checker, v: unknown, path: Path): QaCheck | undefined {
  if (!isObj(v) || Object.keys(v).length !== 1) return c.fail(path, 'a QA check is one of {hit: rule}, {noHit: rule}, {end: [emotions]}');
  if (!c.closed(v, path, ['hit', 'noHit', 'end'])) return undefined;
  if (v.end !== undefined) {
    const list = typeof v.end === 'string' ? [v.end] : v.end;
    if (!Array.isArray(list) || !list.length) return c.fail([...path, 'end'], `end must be one or a list of ${EMOTIONS.join(', ')}`);
    const labels = list.map((e, i) => c.oneOf(e, [...path, 'end', i], EMOTIONS, 'end'));
    return labels.every((l) => l) ? { end: labels as EmotionLabel[] } : undefined;
  }
  const key = v.hit !== undefined ? 'hit' : 'noHit';
  const id = v[key];
  if (typeof id !== 'string' || !ID.test(id)) return c.fail([...path, key], `${key} must be a rule id`);
  return key === 'hit' ? { hit: id } : { noHit: id };
}

export function parseScorecard(c: Checker, v: unknown, source: string): Scorecard | undefined {
  const p: Path = ['scorecard'];
  c.ruleId = '';
  if (!isObj(v)) return c.fail(p, 'scorecard must be a mapping {id, name?, items: [...]}');
  if (typeof v.id !== 'string' || !ID.test(v.id)) return c.fail([...p, 'id'], `scorecard id must match ${ID.source}`);
  c.ruleId = `scorecard ${v.id}`;
  const before = c.errors.length;
  c.closed(v, p, ['id', 'name', 'items']);
  if (!Array.isArray(v.items) || !v.items.length || v.items.length > MAX_ITEMS) return c.fail([...p, 'items'], `items must be a list of 1–${MAX_ITEMS} checks`);
  const items: QaItem[] = [];
  const seen = new Set<string>();
  v.items.forEach((it, i) => {
    const ip = [...p, 'items', i];
    if (!isObj(it)) return c.fail(ip, 'an item is {id, label, weight, pass, applies?, audio?}');
    c.closed(it, ip, ['id', 'label', 'weight', 'pass', 'applies', 'audio']);
    if (it.audio !== undefined && typeof it.audio !== 'boolean') return c.fail([...ip, 'audio'], 'audio must be true or false');
    if (typeof it.id !== 'string' || !ID.test(it.id)) return c.fail([...ip, 'id'], 'item id must be a lower-case id');
    if (seen.has(it.id)) return c.fail([...ip, 'id'], `item id "${it.id}" used twice`);
    seen.add(it.id);
    if (typeof it.label !== 'string' || !it.label) return c.fail([...ip, 'label'], 'label must be a non-empty string');
    const weight = c.num(it.weight, [...ip, 'weight'], 0.1, 100);
    const pass = check(c, it.pass, [...ip, 'pass']);
    const applies = it.applies === undefined ? undefined : check(c, it.applies, [...ip, 'applies']);
    if (weight !== undefined && pass && (it.applies === undefined || applies)) items.push({ id: it.id, label: it.label, weight, pass, applies, ...(it.audio === true ? { audio: true } : {}) });
  });
  return c.errors.length === before ? { id: v.id, name: typeof v.name === 'string' ? v.name : undefined, items, source } : undefined;
}

/** Rule ids a scorecard refers to (checked against the set). */
export function scorecardRefs(card: Scorecard): string[] {
  return card.items.flatMap((i) => [i.pass, i.applies]).flatMap((c) => (c && 'hit' in c ? [c.hit] : c && 'noHit' in c ? [c.noHit] : []));
}

function holds(c: QaCheck, f: QaFacts): { ok: boolean; evidence: EvidenceRef[] } {
  if ('hit' in c) return { ok: f.hit.has(c.hit), evidence: f.evidence(c.hit) };
  if ('noHit' in c) return { ok: !f.hit.has(c.noHit), evidence: f.evidence(c.noHit) };
  return { ok: f.end !== undefined && c.end.includes(f.end), evidence: [] };
}

export function scoreCall(card: Scorecard, f: QaFacts): QaResult {
  let got = 0;
  let possible = 0;
  const items = card.items.map((it): QaItemResult => {
    if ((it.audio && f.typed) || (it.applies && !holds(it.applies, f).ok)) return { id: it.id, label: it.label, weight: it.weight, passed: null, evidence: [] };
    const r = holds(it.pass, f);
    possible += it.weight;
    if (r.ok) got += it.weight;
    return { id: it.id, label: it.label, weight: it.weight, passed: r.ok, evidence: r.evidence };
  });
  return { scorecard: card.id, score: possible ? Math.round((1000 * got) / possible) / 10 : null, items };
}
