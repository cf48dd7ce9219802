// Paraphrases written for these tests (fixtures/paraphrases-*.tsv: polarity, speaker, text), in
// other words than the cue tables use, to check that the cues generalise beyond their examples.
// Every line must come out with its polarity; a miss names the line.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { NEG, POS } from '../../../src/analysis/emotion/fusion.js';
import { sentiment } from '../../../src/analysis/sentiment/index.js';

const pol = (s: number) => (s <= NEG ? 'neg' : s >= POS ? 'pos' : 'neu');

for (const lang of ['en', 'zh'] as const) {
  t.test(`${lang} paraphrases`, async (t) => {
    const lines = readFileSync(new URL(`./fixtures/paraphrases-${lang}.tsv`, import.meta.url), 'utf8').trim().split('\n');
    t.ok(lines.length >= 40, 'enough cases to mean something');
    for (const line of lines) {
      const [want, role, text] = line.split('\t');
      const s = sentiment(text, lang, role);
      t.equal(pol(s), want, `${want} [${role}] ${text} (${s})`);
    }
  });
}
