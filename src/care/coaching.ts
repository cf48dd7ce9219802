import type { CoachingCall, CoachingRepo, CoachingUtterance } from '../store/repos/coaching.js';

// Coaching material from the stored (redacted) transcripts: what pulls an agent's scores down, and
// "what the best agents say" — phrases the top agents use in the same situations that the others
// rarely do. Pure computation over one read of calls, utterances and holds.

export type Situation = 'after-complaint' | 'before-hold' | 'closing';
export const SITUATIONS: Situation[] = ['after-complaint', 'before-hold', 'closing'];

export interface CoachingOptions {
  since: number;
  /** Newest calls read (bounded work). */
  maxCalls?: number;
  /** Share of ranked agents that counts as "best" (0.1 = top decile, at least one agent). */
  topShare?: number;
  /** Agents with fewer finished calls are not ranked. */
  minCalls?: number;
  /** Phrases per situation. */
  limit?: number;
}

export interface AgentRank {
  agentId: string;
  calls: number;
  qa: number | null;
  /** Share of calls where the customer did not end negative. */
  resolution: number;
  nps: number | null;
  /** Mean percentile (0-1) over the figures the agent has. */
  rank: number;
}

export interface Example {
  utteranceId: number;
  callId: string;
  text: string;
}

export interface Phrase {
  phrase: string;
  /** Log-odds ratio (top vs others, +0.5 prior) divided by its standard error. */
  score: number;
  topUses: number;
  otherUses: number;
  /** Share of the group's utterances in the situation that contain the phrase. */
  topShare: number;
  otherShare: number;
  topAgents: number;
  examples: Example[];
}

const COMPLAINT = /^complaint|^billing-dispute|^customer-angry/u;
const ALPHA = 0.5;
const MAX_EXAMPLES = 2;

function parse<T>(s: string | null, dflt: T): T {
  if (!s) return dflt;
  try {
    return (JSON.parse(s) as T) ?? dflt;
  } catch {
    return dflt;
  }
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** QA (mean scorecard score), resolution and NPS per agent, ranked by mean percentile, best first. */
export function rankAgents(calls: CoachingCall[], minCalls = 5): AgentRank[] {
  const by = new Map<string, CoachingCall[]>();
  for (const c of calls) by.set(c.agentId, [...(by.get(c.agentId) ?? []), c]);
  const rows = [...by].filter(([, cs]) => cs.length >= minCalls).map(([agentId, cs]) => {
    const qa = mean(cs.flatMap((c) => parse<{ score: number | null }[]>(c.qa, []).map((q) => q.score).filter((x): x is number => typeof x === 'number')));
    const nps = mean(cs.map((c) => c.nps).filter((x): x is number => x !== null));
    return { agentId, calls: cs.length, qa, resolution: cs.filter((c) => c.negativeEnd !== 1).length / cs.length, nps, rank: 0 };
  });
  const pct = (key: 'qa' | 'resolution' | 'nps') => {
    const vals = rows.filter((r) => r[key] !== null).map((r) => r[key] as number);
    return (v: number | null) => (v === null || vals.length < 2 ? null : vals.filter((x) => x < v).length / (vals.length - 1));
  };
  const p = { qa: pct('qa'), resolution: pct('resolution'), nps: pct('nps') };
  for (const r of rows) r.rank = mean([p.qa(r.qa), p.resolution(r.resolution), p.nps(r.nps)].filter((x): x is number => x !== null)) ?? 0;
  return rows.sort((a, b) => b.rank - a.rank || b.calls - a.calls || a.agentId.localeCompare(b.agentId));
}

const HAN = /\p{Script=Han}/u;

/** Word 2-4-grams of Latin-script text and character 2-4-grams of Chinese; redaction markers dropped. */
export function phrasesOf(text: string): Set<string> {
  const out = new Set<string>();
  const clean = text.toLowerCase().replace(/\[[^\]]*\]|<[^>]*>|‹[^›]*›/gu, ' ');
  for (const run of clean.match(/\p{Script=Han}+/gu) ?? []) {
    const chars = [...run];
    for (let n = 2; n <= 4; n++) for (let i = 0; i + n <= chars.length; i++) out.add(chars.slice(i, i + n).join(''));
  }
  const words = clean.split(/[^\p{L}\p{N}']+/u).filter((w) => w && !HAN.test(w));
  // Single words ("your", "i") are too common to be a way of saying something.
  for (let n = 2; n <= 4; n++) for (let i = 0; i + n <= words.length; i++) out.add(words.slice(i, i + n).join(' '));
  return out;
}

/** Agent utterances in each situation, per call. */
export function situationsOf(utts: CoachingUtterance[], holds: { callId: string; tMs: number }[]): Map<Situation, CoachingUtterance[]> {
  const out = new Map<Situation, CoachingUtterance[]>(SITUATIONS.map((s) => [s, []]));
  const byCall = new Map<string, CoachingUtterance[]>();
  for (const u of utts) byCall.set(u.callId, [...(byCall.get(u.callId) ?? []), u]);
  const holdsOf = new Map<string, number[]>();
  for (const h of holds) holdsOf.set(h.callId, [...(holdsOf.get(h.callId) ?? []), h.tMs]);
  for (const [callId, list] of byCall) {
    let afterComplaint = 0;
    for (const u of list) {
      if (u.role === 'customer') {
        if (u.sentiment <= -0.3 || parse<string[]>(u.categories, []).some((c) => COMPLAINT.test(c))) afterComplaint = 2;
        continue;
      }
      if (u.role !== 'agent') continue;
      if (afterComplaint > 0) {
        out.get('after-complaint')!.push(u);
        afterComplaint--;
      }
      if ((holdsOf.get(callId) ?? []).some((t) => u.startMs <= t && t - u.endMs <= 20_000)) out.get('before-hold')!.push(u);
    }
    out.get('closing')!.push(...list.filter((u) => u.role === 'agent').slice(-2));
  }
  return out;
}

export interface BestAgentPhrases {
  agents: AgentRank[];
  topAgents: string[];
  situations: { situation: Situation; topUtterances: number; otherUtterances: number; phrases: Phrase[] }[];
}

/**
 * "What the best agents say": per situation, phrases used by the top agents (topShare of the
 * ranked agents) and rarely by the others, scored by the log-odds ratio over its standard error.
 * A phrase must come from at least two top agents (one if there is only one), at least three
 * times, and be at least three times as common among the top agents' utterances.
 */
export function bestAgentPhrases(repo: CoachingRepo, opts: CoachingOptions): BestAgentPhrases {
  const calls = repo.calls(opts.since, opts.maxCalls ?? 5000);
  const agents = rankAgents(calls, opts.minCalls ?? 5);
  if (agents.length < 2) return { agents, topAgents: [], situations: SITUATIONS.map((situation) => ({ situation, topUtterances: 0, otherUtterances: 0, phrases: [] })) };
  const topN = Math.max(1, Math.ceil(agents.length * (opts.topShare ?? 0.1)));
  const top = new Set(agents.slice(0, topN).map((a) => a.agentId));
  const ranked = new Set(agents.map((a) => a.agentId));
  const agentOf = new Map(calls.map((c) => [c.id, c.agentId]));
  const ids = calls.filter((c) => ranked.has(c.agentId)).map((c) => c.id);
  const sits = situationsOf(repo.utterances(ids), repo.holds(ids));
  const minAgents = Math.min(2, top.size);
  return {
    agents,
    topAgents: [...top],
    situations: SITUATIONS.map((situation) => {
      const list = sits.get(situation) ?? [];
      const stats = new Map<string, { a: number; b: number; agents: Set<string>; ex: CoachingUtterance[] }>();
      let A = 0;
      let B = 0;
      for (const u of list) {
        const agent = agentOf.get(u.callId) as string;
        const isTop = top.has(agent);
        if (isTop) A++;
        else B++;
        for (const p of phrasesOf(u.text)) {
          let s = stats.get(p);
          if (!s) stats.set(p, (s = { a: 0, b: 0, agents: new Set(), ex: [] }));
          if (isTop) {
            s.a++;
            s.agents.add(agent);
            if (s.ex.length < MAX_EXAMPLES) s.ex.push(u);
          } else s.b++;
        }
      }
      const scored: Phrase[] = [];
      for (const [phrase, s] of stats) {
        if (s.a < 3 || s.agents.size < minAgents) continue;
        const topShare = s.a / Math.max(1, A);
        const otherShare = s.b / Math.max(1, B);
        if (topShare < 3 * otherShare) continue;
        const lo = Math.log((s.a + ALPHA) / (A - s.a + ALPHA)) - Math.log((s.b + ALPHA) / (B - s.b + ALPHA));
        const se = Math.sqrt(1 / (s.a + ALPHA) + 1 / (A - s.a + ALPHA) + 1 / (s.b + ALPHA) + 1 / (B - s.b + ALPHA));
        scored.push({ phrase, score: Math.round((lo / se) * 100) / 100, topUses: s.a, otherUses: s.b, topShare: round(topShare), otherShare: round(otherShare), topAgents: s.agents.size, examples: s.ex.map((u) => ({ utteranceId: u.id, callId: u.callId, text: u.text })) });
      }
      scored.sort((x, y) => y.score - x.score || y.phrase.length - x.phrase.length || x.phrase.localeCompare(y.phrase));
      // A phrase inside a kept one (or holding it) says the same thing again.
      const kept: Phrase[] = [];
      for (const p of scored) {
        if (kept.length >= (opts.limit ?? 20)) break;
        const same = kept.find((k) => together(p, k));
        if (same) {
          // The same sentence seen through another window: widen the kept phrase to cover both.
          same.phrase = span(same.phrase, p.phrase, same.examples[0]?.text ?? '') ?? same.phrase;
          continue;
        }
        if (kept.some((k) => overlaps(p.phrase, k.phrase))) continue;
        kept.push(p);
      }
      return { situation, topUtterances: A, otherUtterances: B, phrases: kept };
    }),
  };
}

/** Word (or Chinese character) pairs of a phrase. */
function pairs(p: string): Set<string> {
  const units = HAN.test(p) ? [...p.replace(/\s+/gu, '')] : p.split(' ');
  return new Set(units.slice(1).map((u, i) => `${units[i]} ${u}`));
}

/** Two phrases that share a word pair are two windows on one way of saying it: one is enough. */
function overlaps(a: string, b: string): boolean {
  const pb = pairs(b);
  return [...pairs(a)].some((x) => pb.has(x));
}

/**
 * Two windows of one sentence ("may i place you" and "a brief hold while" of "may i place you on a
 * brief hold while i check your account"): used exactly as often, by both groups, in the same first
 * example. One of them says it; the others would only list the sentence piece by piece.
 */
function together(a: Phrase, b: Phrase): boolean {
  return a.topUses === b.topUses && a.otherUses === b.otherUses && a.examples[0]?.utteranceId === b.examples[0]?.utteranceId && a.examples[0]?.text === b.examples[0]?.text;
}

/** The stretch of `text` (words, or Chinese characters) from the first of a and b to the end of the last; at most 12 units. */
function span(a: string, b: string, text: string): string | undefined {
  const clean = text.toLowerCase().replace(/\[[^\]]*\]|<[^>]*>|‹[^›]*›/gu, ' ');
  if (HAN.test(a)) {
    const run = (clean.match(/\p{Script=Han}+/gu) ?? []).find((r) => r.includes(a) && r.includes(b));
    if (!run) return undefined;
    const from = Math.min(run.indexOf(a), run.indexOf(b));
    const to = Math.max(run.indexOf(a) + a.length, run.indexOf(b) + b.length);
    return to - from <= 12 ? run.slice(from, to) : undefined;
  }
  const words = clean.split(/[^\p{L}\p{N}']+/u).filter((w) => w && !HAN.test(w));
  const at = (p: string) => {
    const w = p.split(' ');
    for (let i = 0; i + w.length <= words.length; i++) if (w.every((x, k) => words[i + k] === x)) return [i, i + w.length];
    return undefined;
  };
  const x = at(a);
  const y = at(b);
  if (!x || !y) return undefined;
  const from = Math.min(x[0], y[0]);
  const to = Math.max(x[1], y[1]);
  return to - from <= 12 ? words.slice(from, to).join(' ') : undefined;
}

const round = (x: number) => Math.round(x * 1000) / 1000;

export interface AgentCoaching {
  agentId: string;
  calls: number;
  /** QA items the agent fails more often than the site, weighted, worst first. */
  qaItems: { scorecard: string; item: string; label: string; failRate: number; siteFailRate: number; calls: number; examples: Example[] }[];
  /** Categories on the agent's calls that end negative (or score lower NPS) more than the agent's other calls. */
  categories: { id: string; calls: number; negativeEndShare: number; otherNegativeEndShare: number; npsWith: number | null; npsWithout: number | null; examples: Example[] }[];
}

/** What pulls one agent's QA and NPS down, with example (redacted) utterances. */
export function agentCoaching(repo: CoachingRepo, agentId: string, opts: CoachingOptions): AgentCoaching {
  const calls = repo.calls(opts.since, opts.maxCalls ?? 5000);
  const mine = calls.filter((c) => c.agentId === agentId);
  type Item = { scorecard: string; id: string; label: string; weight: number; passed: boolean | null; evidence: { utteranceId?: number }[] };
  const items = (c: CoachingCall) => parse<{ scorecard: string; items: Item[] }[]>(c.qa, []).flatMap((q) => (q.items ?? []).map((i) => ({ ...i, scorecard: q.scorecard })));
  const rate = (cs: CoachingCall[]) => {
    const m = new Map<string, { fail: number; n: number; label: string; weight: number; ev: number[] }>();
    for (const c of cs) {
      for (const i of items(c)) {
        if (i.passed === null || i.passed === undefined) continue;
        const k = `${i.scorecard}\u0000${i.id}`;
        const s = m.get(k) ?? { fail: 0, n: 0, label: i.label, weight: i.weight ?? 1, ev: [] };
        s.n++;
        if (!i.passed) {
          s.fail++;
          for (const e of i.evidence ?? []) if (e.utteranceId !== undefined && s.ev.length < MAX_EXAMPLES) s.ev.push(e.utteranceId);
        }
        m.set(k, s);
      }
    }
    return m;
  };
  const site = rate(calls);
  const own = rate(mine);
  const utts = repo.utterances(mine.map((c) => c.id));
  const byId = new Map(utts.map((u) => [u.id, u]));
  const ex = (u: CoachingUtterance): Example => ({ utteranceId: u.id, callId: u.callId, text: u.text });
  const qaItems = [...own]
    .map(([k, s]) => {
      const [scorecard, item] = k.split('\u0000');
      const all = site.get(k) ?? s;
      return { scorecard, item, label: s.label, failRate: round(s.fail / s.n), siteFailRate: round(all.fail / all.n), calls: s.n, weight: s.weight, examples: s.ev.map((id) => byId.get(id)).filter((u): u is CoachingUtterance => !!u).map(ex) };
    })
    .filter((r) => r.failRate > r.siteFailRate)
    .sort((a, b) => (b.failRate - b.siteFailRate) * b.weight - (a.failRate - a.siteFailRate) * a.weight)
    .map(({ weight: _w, ...r }) => r);

  const catsOf = new Map(mine.map((c) => [c.id, Object.keys(parse<Record<string, number>>(c.categories, {}))]));
  const allCats = new Set([...catsOf.values()].flat());
  const negShare = (cs: CoachingCall[]) => (cs.length ? cs.filter((c) => c.negativeEnd === 1).length / cs.length : 0);
  const npsOf = (cs: CoachingCall[]) => mean(cs.map((c) => c.nps).filter((x): x is number => x !== null));
  const categories = [...allCats]
    .map((id) => {
      const withIt = mine.filter((c) => catsOf.get(c.id)?.includes(id));
      const without = mine.filter((c) => !catsOf.get(c.id)?.includes(id));
      const examples = utts.filter((u) => parse<string[]>(u.categories, []).includes(id)).slice(0, MAX_EXAMPLES).map(ex);
      return { id, calls: withIt.length, negativeEndShare: round(negShare(withIt)), otherNegativeEndShare: round(negShare(without)), npsWith: npsOf(withIt), npsWithout: npsOf(without), examples };
    })
    .filter((r) => r.negativeEndShare > r.otherNegativeEndShare || (r.npsWith !== null && r.npsWithout !== null && r.npsWith < r.npsWithout))
    .sort((a, b) => (b.negativeEndShare - b.otherNegativeEndShare) * b.calls - (a.negativeEndShare - a.otherNegativeEndShare) * a.calls || a.id.localeCompare(b.id));
  return { agentId, calls: mine.length, qaItems, categories };
}
