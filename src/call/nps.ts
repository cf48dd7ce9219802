/** The standard NPS bands: 9–10 promoter, 7–8 passive, 0–6 detractor. SQL twins in src/store/sql.ts. */
export const NPS_PROMOTER_MIN = 9;
export const NPS_PASSIVE_MIN = 7;

export type NpsClass = 'promoter' | 'passive' | 'detractor';

export function npsClass(score: number): NpsClass {
  return score >= NPS_PROMOTER_MIN ? 'promoter' : score >= NPS_PASSIVE_MIN ? 'passive' : 'detractor';
}

/** %promoters − %detractors from counts, one decimal (−100..100); null without responses. */
export function npsOf(promoters: number, detractors: number, responses: number): number | null {
  return responses ? Math.round(((promoters - detractors) / responses) * 1000) / 10 : null;
}

/** %promoters − %detractors of a list of scores, one decimal; null for none. */
export function npsScore(scores: readonly number[]): number | null {
  if (!scores.length) return null;
  let p = 0;
  let d = 0;
  for (const s of scores) {
    const c = npsClass(s);
    if (c === 'promoter') p++;
    else if (c === 'detractor') d++;
  }
  return npsOf(p, d, scores.length);
}
