import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The labelled understanding corpus is data other parts are measured on, so its validator is tested here:
// it must pass the corpus in the repo and reject broken copies with a message that says what is wrong.
const corpus = fileURLToPath(new URL('../../corpus/understanding/', import.meta.url));
const validator = join(corpus, 'validate.mjs');

function run(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [validator, dir], { timeout: 60_000 }, (e, stdout, stderr) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : -1) : 0, stdout, stderr });
    });
  });
}

function copyCorpus(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-corpus-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(corpus, 'en'), join(dir, 'en'), { recursive: true });
  return dir;
}
const readRows = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
const writeRows = (file: string, rows: unknown[]): void =>
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');

t.test('the corpus in the repo is valid and its counts are printed', async (t) => {
  const r = await run(corpus);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /\[en\] utterances=\d+ \(dev=\d+ heldout=\d+\)/);
  t.match(r.stdout, /corpus OK/);
});

t.test('an unchanged copy of the English corpus is valid', async (t) => {
  const r = await run(copyCorpus(t));
  t.equal(r.code, 0, r.stderr);
});

t.test('a heldout sentence copied into dev is reported as overlap', async (t) => {
  const dir = copyCorpus(t);
  const held = readRows(join(dir, 'en/heldout.jsonl'));
  appendFileSync(join(dir, 'en/dev.jsonl'), JSON.stringify({ ...held[0], id: 'en-dev-9999' }) + '\n');
  const r = await run(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /en\/heldout\.jsonl:1: same text as .*dev\.jsonl:\d+ \(dev\/heldout overlap\)/);
});

t.test('a near-duplicate (one word changed) across the split is reported with its Jaccard', async (t) => {
  const dir = copyCorpus(t);
  const held = readRows(join(dir, 'en/heldout.jsonl'));
  // Pick a long sentence so one changed word keeps the token Jaccard above 0.8.
  const long = held.findIndex((u) => String(u.text).split(' ').length >= 14);
  t.ok(long >= 0, 'the heldout set has a sentence of 14+ words');
  const words = String(held[long].text).split(' ');
  words[words.length - 1] = 'zebra';
  appendFileSync(join(dir, 'en/dev.jsonl'), JSON.stringify({ ...held[long], id: 'en-dev-9999', text: words.join(' ') }) + '\n');
  const r = await run(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`heldout\\.jsonl:${long + 1}: near-duplicate of .*dev\\.jsonl:\\d+ \\(token Jaccard 0\\.\\d\\d >= 0\\.8\\)`));
});

t.test('bad labels, duplicate ids, punctuation and too few rows are each reported', async (t) => {
  const dir = copyCorpus(t);
  const dev = readRows(join(dir, 'en/dev.jsonl'));
  dev[0].polarity = 'angry';
  dev[1].categories = ['complaint', 'refund'];
  dev[2].id = dev[3].id;
  dev[4].text = 'Why was I charged?';
  writeRows(join(dir, 'en/dev.jsonl'), dev.slice(0, 300));
  const r = await run(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /dev\.jsonl:1: polarity "angry" not one of negative\|neutral\|positive/);
  t.match(r.stderr, /dev\.jsonl:2: category "refund" not one of/);
  t.match(r.stderr, /dev\.jsonl:4: duplicate id en-dev-0004/);
  t.match(r.stderr, /dev\.jsonl:5: en text must be lowercase ASR style without punctuation/);
  t.match(r.stderr, /dev\.jsonl: 300 utterances, need >= 400/);
  t.match(r.stderr, /\d+ error\(s\)/);
});

t.test('inconsistent call labels in a conversation are reported', async (t) => {
  const dir = copyCorpus(t);
  const file = join(dir, 'en/conversations-heldout.jsonl');
  const convs = readRows(file) as { utterances: unknown[]; call: Record<string, unknown> }[];
  convs[0].call.worst = convs[0].utterances.length;
  convs[1].call.endsNegative = !(convs[1].call.endsNegative as boolean);
  writeRows(file, convs);
  const r = await run(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /conversations-heldout\.jsonl:1: call\.worst \d+ is not an utterance index/);
  t.match(r.stderr, /conversations-heldout\.jsonl:2: call\.endsNegative (true|false) disagrees with call\.end/);
});

t.test('a missing file and unparsable JSON are reported', async (t) => {
  const dir = copyCorpus(t);
  rmSync(join(dir, 'en/conversations-dev.jsonl'));
  appendFileSync(join(dir, 'en/heldout.jsonl'), '{"id": "en-heldout-x",\n');
  const r = await run(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /conversations-dev\.jsonl: missing/);
  t.match(r.stderr, /heldout\.jsonl:\d+: not valid JSON/);
});

t.test('dev-c: a heldout sentence copied into dev-c is rejected by location, without printing the heldout text', async (t) => {
  const dir = copyCorpus(t);
  const held = readRows(join(dir, 'en/heldout.jsonl'));
  const text = String(held[0].text);
  appendFileSync(join(dir, 'en/dev-c.jsonl'), JSON.stringify({ ...held[0], id: 'en-devc-9999' }) + '\n');
  const r = await run(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /en\/dev-c\.jsonl:\d+: same text as heldout item \d+ \(dev-c\/heldout overlap\)/);
  t.notOk(r.stderr.includes(text) || r.stdout.includes(text), 'heldout text is not printed');
});

t.test('dev-c: wrong id prefix and bad labels are reported; counts are printed', async (t) => {
  const dir = copyCorpus(t);
  const rows = readRows(join(dir, 'en/dev-c.jsonl'));
  const ok = await run(dir);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /\[en dev-c\] utterances=\d+/);
  rows[0] = { ...rows[0], id: 'en-dev-7777', polarity: 'bad' };
  writeRows(join(dir, 'en/dev-c.jsonl'), rows);
  const r = await run(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /id en-dev-7777 should start with en-devc-/);
  t.match(r.stderr, /polarity "bad"/);
});
