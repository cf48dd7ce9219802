// Topic discovery by meaning: with the real embedded server's vectors, paraphrases that share no
// content word form one topic; without vectors the keyword clustering cannot see it.
import { existsSync } from 'node:fs';
import t from 'tap';
import { TopicDiscovery } from '../../../src/analysis/topics.js';
import { EMBEDDED_MODEL, EmbeddedServer, HttpEmbedder, embeddedBinary } from '../../../src/analysis/semantic/index.js';

const installed = existsSync(embeddedBinary());
if (!installed && process.env.CI) t.fail('the embedded server must be installed in CI (scripts/setup-embeddings.sh)');

const SAME = [
  'you took the money from my card two times',
  'i was billed double for one order',
  'there are two identical payments on my statement',
  'my account got debited twice for the same purchase',
];
const OTHER = [
  'what time does the branch open on saturday',
  'i would like to change my home address',
  'the parcel has not arrived yet',
  'can you tell me my data allowance',
  'my password reset email never came',
  '请问营业厅几点开门',
];

t.test('paraphrases without a shared word make one topic when vectors are there', { skip: installed ? false : 'embedded server not installed (scripts/setup-embeddings.sh)', timeout: 120_000 }, async (t) => {
  const s = new EmbeddedServer();
  t.teardown(() => s.close());
  await s.ready(60_000);
  const e = new HttpEmbedder({ url: () => s.url(), model: EMBEDDED_MODEL, timeoutMs: 30_000, batchSize: 16, cacheSize: 100 });
  t.teardown(() => e.close());
  const texts = [...SAME, ...OTHER];
  const vecs = await e.embed(texts);
  const plain = new TopicDiscovery();
  const meaning = new TopicDiscovery();
  texts.forEach((x, i) => {
    plain.add(`c${i}`, x, i);
    meaning.add(`c${i}`, x, i, vecs[i]);
  });
  t.same(plain.topics({ minSize: 3 }), [], 'no content word is shared by three utterances');
  const topics = meaning.topics({ minSize: 3 });
  t.equal(topics.length, 1, 'one topic by meaning');
  const ids = topics[0]?.examples.map((x) => x.utteranceId).sort();
  t.same(ids?.filter((id) => id !== undefined && id >= SAME.length), [], 'no unrelated utterance in it');
  t.ok(topics[0]?.terms.length, 'labelled with its most characteristic words');
  t.ok((ids?.length ?? 0) >= 3, `at least three of the four paraphrases (${ids?.join(',')}); terms ${topics[0]?.terms.join(', ')}`);
});
