// Ingest status banner: after login, reads /readyz and says plainly which ingest front is closed,
// limited to the local host, or down, and how to open it (the same text as the start-up log).
// Re-checked every minute, so a drachtio-server that drops shows up without a reload.
import { t } from './i18n.js';

const STATES = new Set(['closed', 'local-only', 'down']);
const FRONTS = ['sip', 'forks', 'audiosocket'];
let timer;
let last = [];

function draw() {
  const el = document.getElementById('ingest-banner');
  if (!el) return;
  el.replaceChildren();
  for (const s of last) {
    const line = document.createElement('div');
    line.dataset.front = s.front;
    line.dataset.state = s.state;
    line.textContent = `${t(`ingest.${s.front}`)} ${t(`ingest.state.${s.state}`)}${s.how ? ` — ${s.how}` : ''}`;
    el.append(line);
  }
  el.hidden = last.length === 0;
}

async function check() {
  try {
    const res = await fetch('/readyz', { credentials: 'same-origin', cache: 'no-store' });
    const body = await res.json();
    const checks = body.checks ?? {};
    last = FRONTS.filter((f) => checks[f] && STATES.has(checks[f].state)).map((f) => ({ front: f, state: checks[f].state, how: checks[f].how }));
  } catch {
    // Unreachable health endpoint: the live status already says offline.
  }
  draw();
}

export function startIngestBanner() {
  stopIngestBanner();
  void check();
  timer = setInterval(check, 60_000);
}

export function stopIngestBanner() {
  clearInterval(timer);
  last = [];
  draw();
}

export const redrawIngestBanner = draw;
