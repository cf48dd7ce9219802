import t from 'tap';
import { indexDictionary, kwsFiles, MAX_PHRASES, parsePhrases } from '../../src/speech/keyword-phrases.js';

const DICT = 'cancel K AE N S AH L\nmy M AY\naccount AH K AW N T\nmanager M AE N AH JH ER\nmanager(2) M AE N IH JH ER\n';

t.test('phrase lines: thresholds, comments, case, duplicates, unknown words named with their line', async (t) => {
  const dict = indexDictionary(DICT);
  const list = parsePhrases('# churn\nCancel my   account /1e-25/\ncancel my account\nmanager\nmy zzqx account\ncancel / 2 /\nbad;line\n', (w) => dict.has(w));
  t.same(list.phrases, [{ text: 'cancel my account', threshold: 1e-25 }, { text: 'manager' }]);
  t.same(list.skipped.map((s) => s.line), [5, 6, 7]);
  t.match(list.skipped[0]!.reason, /zzqx/);
  t.match(list.skipped[1]!.reason, /between 0 and 1/);
  const files = kwsFiles(list, dict, 1e-20);
  t.equal(files.kws, 'cancel my account /1e-25/\nmanager /1e-20/\n');
  t.same(files.dict.trim().split('\n').map((l) => l.split(' ')[0]), ['account', 'cancel', 'manager', 'manager(2)', 'my'], 'only the words used, alternates kept');
});

t.test('a list with nothing usable is an error with a code; a long list is capped', async (t) => {
  t.throws(() => parsePhrases('zzqx\n', () => false), { code: 'EARSHOT_ERR_KEYWORD_LIST' });
  t.throws(() => parsePhrases('', () => true), { code: 'EARSHOT_ERR_KEYWORD_LIST' });
  const many = Array.from({ length: MAX_PHRASES + 3 }, (_, i) => 'w'.repeat(i + 1)).join('\n');
  const list = parsePhrases(many.replace(/w/g, 'a'), () => true);
  t.equal(list.phrases.length, MAX_PHRASES);
  t.equal(list.skipped.length, 3);
});
