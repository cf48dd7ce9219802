/// <reference lib="dom" />
// The console's channel selector in headless Chromium over a real server and SQLite file: on the
// calls list, the alarms inbox and the dashboard (its 24-hour summary and its 14-day panels),
// choosing "chat" asks the API for chat only and shows only chat conversations; the selector speaks
// both languages.
import { existsSync } from 'node:fs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { CHROMIUM, launch } from './helpers/browser.js';
import { PASSWORD, startServer } from './helpers/server.js';
import type { Store } from '../../src/store/types.js';

const H = 3_600_000;

function seed(store: Store, now: number) {
  const calls: [string, 'voice' | 'chat' | 'email', number][] = [
    ['voice-1', 'voice', now - 5 * H],
    ['chat-1', 'chat', now - 4 * H],
    ['voice-2', 'voice', now - 3 * H],
    ['chat-2', 'chat', now - 2 * H],
    ['mail-1', 'email', now - H],
  ];
  for (const [id, channel, at] of calls) {
    store.upsertCall({ callId: id, ingest: channel === 'voice' ? 'siprec' : 'conversation', externalId: id, startedAt: at, agentId: 'a1', queue: 'q', channel });
    store.addCallEvent({ callId: id, kind: 'category', tMs: 100, data: { category: channel === 'chat' ? 'billing' : 'refund' } });
    store.endCall(id, 'ended', at + 60_000);
  }
  store.flush();
  store.insertAlarm({ callId: 'chat-1', rule: 'anger', severity: 'warning', state: 'open', message: 'chat anger', raisedAt: now - 4 * H + 1000, agentId: 'a1' });
  store.insertAlarm({ callId: 'voice-1', rule: 'anger', severity: 'critical', state: 'open', message: 'voice anger', raisedAt: now - 5 * H + 1000, agentId: 'a1' });
}

async function logIn(page: Page, base: string) {
  await page.goto(base);
  await page.fill('#login-username', 'viewer');
  await page.fill('#login-password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForSelector('#live-status[data-state="connected"]');
}

const channels = (page: Page, sel: string) => page.$$eval(sel, (els) => els.map((e) => (e as HTMLElement).dataset.channel ?? ''));

t.test('choosing "chat" filters the calls list, the alarms inbox and the dashboard', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  const s = await startServer(t);
  seed(s.store, Date.now());
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await logIn(page, s.base);

  await page.click('#nav-calls');
  await page.waitForSelector('[data-testid="call-row"][data-call-id="mail-1"]');
  t.same(await channels(page, '[data-testid="call-row"]'), ['email', 'chat', 'voice', 'chat', 'voice'], 'all channels, newest first');
  const asked = page.waitForRequest((r) => r.url().includes('/api/v1/calls?') && r.url().includes('channel=chat'));
  await page.selectOption('#calls-channel', 'chat');
  await asked;
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="call-row"]').length === 2);
  t.same(await channels(page, '[data-testid="call-row"]'), ['chat', 'chat'], 'chat only');
  t.same(await page.$$eval('[data-testid="call-row"]', (els) => els.map((e) => (e as HTMLElement).dataset.callId)), ['chat-2', 'chat-1']);
  t.equal(await page.textContent('[data-testid="call-row"] .channel-tag'), 'Web chat');
  await page.selectOption('#calls-channel', 'sms');
  await page.waitForSelector('#call-list .empty:has-text("No calls match.")');
  await page.selectOption('#calls-channel', '');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="call-row"]').length === 5);

  await page.click('#nav-alarms');
  await page.waitForSelector('[data-testid="alarm-row"]:has-text("voice anger")');
  t.equal(await page.locator('[data-testid="alarm-row"]').count(), 2);
  await page.selectOption('#filter-channel', 'chat');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="alarm-row"]').length === 1);
  t.match(await page.textContent('[data-testid="alarm-row"]'), /chat anger/);

  await page.click('#nav-dashboard');
  await page.waitForSelector('[data-testid="kpi-calls"] strong:has-text("5")');
  await page.selectOption('#dash-channel', 'chat');
  await page.waitForSelector('#dash-summary[data-channel="chat"] [data-testid="kpi-calls"] strong:has-text("2")');
  t.equal(await page.textContent('#dash-summary [data-testid="kpi-open-alarms"] strong'), '1', "the chat call's alarm only");
  // The 14-day panels follow the same selector: the category heat map has the chat category only.
  const heatIds = () => page.$$eval('#insights[data-channel="chat"] [data-testid="category-heat"] tr th[title]', (els) => els.map((e) => e.getAttribute('title')));
  await page.waitForSelector('#insights[data-channel="chat"] [data-testid="category-heat"]');
  t.same(await heatIds(), ['billing'], 'heat map of the chats');
  const heatCalls = await page.$$eval('#insights [data-testid="category-heat"] td', (els) => els.reduce((n, e) => n + Number(e.textContent || 0), 0));
  t.equal(heatCalls, 2, 'two chats with the category');
  const askedAll = page.waitForRequest((r) => r.url().includes('/api/v1/insights?') && !r.url().includes('channel='));
  await page.selectOption('#dash-channel', '');
  await askedAll;
  await page.waitForSelector('#insights[data-channel=""] [data-testid="category-heat"]');
  t.same((await page.$$eval('#insights [data-testid="category-heat"] tr th[title]', (els) => els.map((e) => e.getAttribute('title')))).sort(), ['billing', 'refund'], 'every channel again');
  t.match(await page.textContent('#dashboard'), /The 14-day panels below follow the channel chosen here/);
  t.same(errors, [], 'no script errors');
});

t.test('the channel selector in Chinese', { skip: !existsSync(CHROMIUM) && 'chromium not installed' }, async (t) => {
  const s = await startServer(t);
  seed(s.store, Date.now());
  const browser = await launch(t);
  const context = await browser.newContext({ locale: 'zh-CN' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await logIn(page, s.base);
  await page.click('#nav-calls');
  await page.waitForSelector('[data-testid="call-row"]');
  t.equal(await page.textContent('#nav-calls'), '通话');
  t.same(await page.$$eval('#calls-channel option', (els) => els.map((e) => e.textContent)), ['全部渠道', '语音', '网页聊天', '微信', 'App', '邮件', '短信']);
  t.match(await page.textContent('label.filter:has(#calls-channel)'), /^渠道/);
  await page.selectOption('#calls-channel', 'chat');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="call-row"]').length === 2);
  t.same(await channels(page, '[data-testid="call-row"]'), ['chat', 'chat']);
  t.equal(await page.textContent('[data-testid="call-row"] .channel-tag'), '网页聊天');
  await page.click('#nav-dashboard');
  await page.selectOption('#dash-channel', 'chat');
  await page.waitForSelector('#insights[data-channel="chat"] [data-testid="category-heat"]');
  t.match(await page.textContent('#dashboard'), /下方 14 天面板随此处所选渠道变化/, 'the note in Chinese');
});
