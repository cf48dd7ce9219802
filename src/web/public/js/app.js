// Console shell: session check, hash routing, top bar (language, alarm count, critical cue).
import { api, setCsrf, setUnauthorizedHandler } from './api.js';
import { beep } from './dom.js';
import { applyStatic, getLang, onLangChange, setLang, t } from './i18n.js';
import { loadCategoryNames } from './categories.js';
import { startIngestBanner, stopIngestBanner, redrawIngestBanner } from './ingest-banner.js';
import { LiveClient } from './live.js';
import { LiveState } from './state.js';
import * as alarmsView from './views/alarms.js';
import * as callView from './views/call-detail.js';
import * as callsView from './views/calls.js';
import * as casesView from './views/cases.js';
import * as conversationsView from './views/conversations.js';
import * as dashboardView from './views/dashboard.js';
import * as loginView from './views/login.js';
import * as reportsView from './views/reports.js';
import * as rulesView from './views/rules.js';
import * as wallboardView from './views/wallboard.js';

const live = new LiveClient();
const state = new LiveState(live);
const ctx = { live, state, session: null, navigate: (hash) => (location.hash = hash) };
const view = document.getElementById('view');
let cleanup = () => {};

const routes = [
  [/^#\/wallboard$/, wallboardView],
  [/^#\/alarms$/, alarmsView],
  [/^#\/dashboard$/, dashboardView],
  [/^#\/cases$/, casesView],
  [/^#\/calls$/, callsView],
  [/^#\/calls\/([A-Za-z0-9._:-]+)$/, callView],
  [/^#\/conversations(?:\/([A-Za-z0-9._:-]+))?$/, conversationsView],
  [/^#\/reports$/, reportsView],
  [/^#\/rules(?:\/([a-z0-9-]+))?$/, rulesView],
];

async function loadSession() {
  try {
    const me = await api('/auth/me');
    setCsrf(me.csrf);
    ctx.session = me;
  } catch {
    ctx.session = null;
  }
}

function render() {
  cleanup();
  cleanup = () => {};
  view.replaceChildren();
  const topbar = document.getElementById('topbar');
  if (!ctx.session) {
    topbar.hidden = true;
    cleanup = loginView.render(view, { onLogin }) || cleanup;
    return;
  }
  topbar.hidden = false;
  document.getElementById('whoami').textContent = `${ctx.session.user} · ${t(`userRole.${ctx.session.role}`)}`;
  const hash = location.hash || '#/wallboard';
  for (const [re, mod] of routes) {
    const m = hash.match(re);
    if (m) {
      for (const a of document.querySelectorAll('#topbar nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
      cleanup = mod.render(view, ctx, ...m.slice(1)) || cleanup;
      return;
    }
  }
  location.hash = '#/wallboard';
}

async function onLogin(me) {
  setCsrf(me.csrf);
  ctx.session = me;
  await Promise.all([startLive(), loadCategoryNames(true)]);
  if (!location.hash || location.hash === '#/login') location.hash = '#/wallboard';
  else render();
}

async function startLive() {
  live.start();
  startIngestBanner();
  try {
    const { alarms } = await api('/alarms?state=open&limit=1000');
    state.seedAlarms(alarms);
  } catch {
    // The inbox fetches again when opened.
  }
}

function updateAlarmCount() {
  const el = document.getElementById('alarm-count');
  const n = state.openAlarmCount();
  el.textContent = String(n);
  el.classList.toggle('hot', n > 0);
}

// A new critical alarm: banner + beep, whatever view is open.
state.subscribe((msg) => {
  if (msg.type === 'alarm' || msg.type === 'alarm.updated' || msg.type === 'seeded-alarms') updateAlarmCount();
  if (msg.type === 'alarm' && msg.data.severity === 'critical' && msg.data.state === 'open') {
    const banner = document.getElementById('critical-banner');
    banner.textContent = t('alarms.newCritical', { message: msg.data.message });
    banner.hidden = false;
    banner.classList.remove('flash');
    void banner.offsetWidth; // restart the animation
    banner.classList.add('flash');
    clearTimeout(banner._timer);
    banner._timer = setTimeout(() => (banner.hidden = true), 8000);
    beep();
  }
});

let liveState = 'connecting';
function drawLiveStatus() {
  const el = document.getElementById('live-status');
  el.dataset.state = liveState;
  el.textContent = t(liveState === 'connected' ? 'live.connected' : liveState === 'connecting' ? 'live.connecting' : 'live.offline');
}
live.onStatus((s) => {
  liveState = s;
  drawLiveStatus();
});

setUnauthorizedHandler(() => {
  if (!ctx.session) return;
  ctx.session = null;
  live.stop();
  stopIngestBanner();
  render();
});

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('/auth/logout', { method: 'POST', body: {} });
  } catch {
    // The session may already be gone; the console logs out either way.
  }
  ctx.session = null;
  live.stop();
  stopIngestBanner();
  state.calls.clear();
  state.alarms.clear();
  location.hash = '#/login';
  render();
});

const langSelect = document.getElementById('lang');
langSelect.value = getLang();
langSelect.addEventListener('change', () => setLang(langSelect.value));
onLangChange(() => {
  langSelect.value = getLang();
  updateAlarmCount();
  drawLiveStatus();
  redrawIngestBanner();
  render();
});

window.addEventListener('hashchange', render);
applyStatic();
await loadSession();
if (ctx.session) await Promise.all([startLive(), loadCategoryNames()]);
render();
