// The console's Conversations page in a real browser (Debian's chromium via playwright-core) against
// the real appliance: channel mix, NPS by channel, the channel filter, and the chat transcript view
// with the typed card number shown redacted.
import t from 'tap';
import path from 'node:path';
import pino from 'pino';
import { existsSync } from 'node:fs';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import { createUser } from '../../src/web/index.js';
import { CHROMIUM, launch } from './helpers/browser.js';
import { CARD_DIGITS, CARD_TYPED, EN_CHAT, ZH_CHAT, jsonl } from '../ingest/conversations/fixtures.js';
import { dbOf } from '../helpers/db.js';
import { recordSurvey } from '../../src/kpi/index.js';

t.test('conversations page: mix, NPS by channel, filter, transcript', { skip: existsSync(CHROMIUM) ? false : 'no /usr/bin/chromium', timeout: 120_000 }, async (t) => {
  const dir = t.testdir();
  const appliance = await startAppliance(validateConfig({ dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 1 } }), { log: pino({ level: 'silent' }), sweepMs: 0 });
  t.teardown(() => appliance.close());
  const p = appliance.pipeline;
  // Recent times so the 30-day mix includes them.
  const shift = Date.now() - 3_600_000 - EN_CHAT[0].at!;
  const move = (rows: readonly Record<string, unknown>[]) => rows.map((r) => (typeof r.at === 'number' ? { ...r, at: r.at + shift } : r));
  await p.conversations.importText(jsonl([...move(EN_CHAT), ...move(ZH_CHAT)]));
  await p.calls.idle();
  await p.analysis.idle();
  p.store.flush();
  createUser(dbOf(p.store), { username: 'sup', role: 'supervisor', password: 'conversation console pw' });
  // NPS answers tied to the two chats, one on a whole day inside the 30-day range (read from
  // survey_days) and the others today (read from the answers).
  const ids = Object.fromEntries(dbOf(p.store).prepare("SELECT channel, id FROM calls WHERE ingest = 'conversation'").all().map((r) => [(r as { channel: string }).channel, (r as { id: string }).id]));
  const now = Date.now();
  for (const [ch, score, at] of [['chat', 10, now - 3 * 86_400_000], ['chat', 9, now - 60_000], ['chat', 4, now - 60_000], ['wechat', 2, now - 60_000]] as const) {
    recordSurvey(dbOf(p.store), { callId: ids[ch], kind: 'nps', score, receivedAt: at }, { now, repeatWindowDays: 7 });
  }

  const browser = await launch(t);
  const page = await (await browser.newContext()).newPage();
  await page.goto(appliance.url);
  await page.fill('#login-username', 'sup');
  await page.fill('#login-password', 'conversation console pw');
  await page.click('#login-submit');
  await page.waitForSelector('#topbar:not([hidden])');
  await page.goto(`${appliance.url}/#/conversations`);
  await page.waitForSelector('[data-testid="conversation-row"]');
  t.equal(await page.locator('[data-testid="conversation-row"]').count(), 2);
  t.match(await page.locator('#channel-mix').innerText(), /Web chat[\s\S]*1[\s\S]*WeChat[\s\S]*1/u);
  // NPS by channel: chat 2 promoters + 1 detractor of 3 = 33.3, WeChat 1 detractor = -100.
  await page.waitForSelector('#channel-nps [data-channel="wechat"]');
  t.match(await page.locator('#channel-nps [data-channel="chat"]').innerText(), /NPS 33\.3[\s\S]*3/u);
  t.match(await page.locator('#channel-nps [data-channel="wechat"]').innerText(), /NPS -100[\s\S]*1/u);
  await page.selectOption('#filter-channel', 'wechat');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="conversation-row"]').length === 1);
  t.equal(await page.locator('[data-testid="conversation-row"]').first().getAttribute('data-channel'), 'wechat');
  await page.selectOption('#filter-channel', 'chat');
  await page.waitForFunction(() => document.querySelector('[data-testid="conversation-row"]')?.getAttribute('data-channel') === 'chat');
  await page.locator('[data-testid="conversation-row"]').first().click();
  await page.waitForSelector('#chat-transcript .bubble');
  t.same(await page.locator('#chat-transcript .bubble').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.party)), ['customer', 'bot', 'agent', 'customer', 'agent', 'customer', 'agent']);
  const text = await page.locator('#chat-transcript').innerText();
  t.match(text, /My card is/u);
  t.notOk(text.includes(CARD_TYPED) || text.includes(CARD_DIGITS), 'the card is shown redacted');
});
