// `earshot import` as an operator runs it (the built CLI) on conversation files: detected by
// extension or content, rejected lines printed with their line numbers, a re-import a duplicate.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import { CARD_DIGITS, CARD_TYPED, EN_CHAT, jsonl } from '../ingest/conversations/fixtures.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first (scripts/test.sh does)`);
});

t.test('earshot import FILE.jsonl and a chat export without an extension', async (t) => {
  const dir = t.testdir();
  const dataDir = path.join(dir, 'data');
  const run = (files: string[]) =>
    spawnSync(process.execPath, [cli, 'import', ...files], { env: { ...process.env, EARSHOT_LOG_LEVEL: 'warn', EARSHOT_DATA_DIR: dataDir, EARSHOT_SPEECH_WORKERS: '1' }, encoding: 'utf8', timeout: 120_000 });
  const chats = path.join(dir, 'chats.jsonl');
  writeFileSync(chats, jsonl(EN_CHAT) + '{"conversation":"x","channel":"fax","at":1764900000000,"role":"agent","text":"t"}\n');
  const noExt = path.join(dir, 'export');
  writeFileSync(noExt, 'conversation,time,role,text\ncsv-9,2025-12-05T02:00:00Z,customer,hello there\n');
  const r = run([chats, noExt]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /chats\.jsonl: jsonl: 7 messages in 1 conversations, 0 already stored, 1 lines rejected/);
  t.match(r.stdout, /export: csv: 1 messages in 1 conversations/);
  t.match(r.stderr, /chats\.jsonl:9: rejected \(channel\)/);
  t.notOk(r.stderr.includes(CARD_TYPED) || r.stdout.includes(CARD_TYPED), 'no card number on the terminal');
  const again = run([chats]);
  t.equal(again.status, 0, again.stderr);
  t.match(again.stdout, /already imported/);
  const db = new Database(path.join(dataDir, 'earshot.db'), { readonly: true });
  t.teardown(() => db.close());
  t.equal(db.prepare(`SELECT COUNT(*) FROM calls WHERE ingest = 'conversation'`).pluck().get(), 2);
  const text = (db.prepare('SELECT text FROM utterances').pluck().all() as string[]).join('\n');
  t.notOk(text.includes(CARD_DIGITS) || text.includes(CARD_TYPED), 'card redacted before storage');
});
