// One call: both legs on a timeline, the redacted transcript, emotion curve, categories with the
// utterances that hit them, network quality and alarms. Opening it is audited by the server.
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtDuration, fmtTime, t } from '../i18n.js';
import { catName } from '../categories.js';
import { chart, COLORS } from '../charts.js';

const fmt = (v, digits = 0) => (typeof v === 'number' ? v.toFixed(digits) : '–');

function timeline(call) {
  const end = Math.max(1, ...call.utterances.map((u) => u.endMs), ...call.events.map((e) => e.tMs), call.durationMs || 0);
  const pct = (ms) => `${Math.min(100, (ms / end) * 100).toFixed(2)}%`;
  const lanes = call.legs.map((leg) =>
    h(
      'div',
      { class: 'lane' },
      h('span', { class: 'lane-label', text: `${t(`role.${leg.role}`)}` }),
      h(
        'div',
        { class: 'lane-track' },
        call.utterances
          .filter((u) => u.legId === leg.legId)
          .map((u) => h('span', { class: `seg emo-${u.emotion}`, title: `${fmtDuration(u.startMs)} ${t(`emotion.${u.emotion}`)}`, style: { left: pct(u.startMs), width: pct(Math.max(200, u.endMs - u.startMs)) } })),
        call.events
          .filter((e) => e.legId === leg.legId || (!e.legId && leg === call.legs[0]))
          .map((e) => h('span', { class: `mark kind-${e.kind}`, title: e.kind, style: { left: pct(e.tMs) } })),
      ),
    ),
  );
  return h('div', { class: 'timeline', 'data-testid': 'timeline' }, lanes, h('div', { class: 'axis muted small' }, h('span', { text: '0:00' }), h('span', { text: fmtDuration(end) })));
}

function transcript(call) {
  return h(
    'ol',
    { class: 'transcript full', 'data-testid': 'detail-transcript' },
    call.utterances.map((u) =>
      h(
        'li',
        { class: `utt role-${u.role}`, dataset: { uttId: u.id } },
        h('span', { class: 'ts muted', text: fmtDuration(u.startMs) }),
        h('span', { class: 'who', text: t(`role.${u.role}`) }),
        h('span', { class: `emo emo-${u.emotion}`, title: t(`emotion.${u.emotion}`) }),
        h('span', { class: 'text', text: u.text }),
        u.categories.length ? h('span', { class: 'badges' }, u.categories.map((c) => h('span', { class: 'badge cat', title: c, text: catName(c) }))) : null,
      ),
    ),
  );
}

const API = '/api/v1';

/** One player per leg (roles in recordings.playbackRoles), and what was muted in each; every play is audited server-side. */
function recordings(call, rec, players) {
  if (!rec.recordings.length) return null;
  const roleOf = (legId) => call.legs.find((l) => l.legId === legId)?.role || 'unknown';
  return h(
    'div',
    { class: 'card', 'data-testid': 'detail-recordings' },
    h('h2', { text: t('detail.recordings') }),
    rec.playable ? null : h('p', { class: 'muted small', text: t('detail.recordingNotAllowed') }),
    rec.recordings.map((r) => {
      const src = `${API}/calls/${encodeURIComponent(call.callId)}/recordings/${encodeURIComponent(r.legId)}`;
      let audio = null;
      if (rec.playable) {
        audio = h('audio', { controls: true, preload: 'none', src, 'data-testid': `player-${r.legId}` });
        players.set(r.legId, { audio, offsetMs: r.offsetMs });
      }
      const muted = r.muted.map((m) => `${fmtDuration(Math.max(0, m.startMs - r.offsetMs))}–${fmtDuration(Math.max(0, m.endMs - r.offsetMs))} ${t(`muted.${m.reason}`)}`);
      return h(
        'div',
        { class: 'recording' },
        h('strong', { text: `${t(`role.${roleOf(r.legId)}`)} · ${fmtDuration(r.durationMs)}` }),
        audio,
        rec.playable ? h('a', { href: `${src}?download=1`, class: 'ghost small', text: t('detail.download') }) : null,
        h('div', { class: 'muted small', text: muted.length ? `${t('detail.muted')}: ${muted.join(', ')}` : t('detail.nothingMuted') }),
      );
    }),
  );
}

/** Clicking an utterance plays its leg from the utterance's start. */
function seekOnClick(list, call, players) {
  list.addEventListener('click', (ev) => {
    const li = ev.target.closest('li.utt');
    if (!li) return;
    const u = call.utterances.find((x) => String(x.id) === li.dataset.uttId);
    const p = u && players.get(u.legId);
    if (!p) return;
    for (const other of players.values()) if (other !== p) other.audio.pause();
    p.audio.currentTime = Math.max(0, (u.startMs - p.offsetMs) / 1000);
    void p.audio.play().catch(() => {});
  });
}

function categories(call) {
  const hits = new Map();
  for (const u of call.utterances) for (const c of u.categories) hits.set(c, [...(hits.get(c) || []), u]);
  for (const e of call.events) {
    const c = e.kind === 'category' && e.data && (e.data.category || e.data.id);
    if (c && !hits.has(c)) hits.set(c, []);
  }
  if (!hits.size) return h('p', { class: 'muted', text: t('detail.noCategories') });
  return h(
    'dl',
    { class: 'cats', 'data-testid': 'detail-categories' },
    [...hits].map(([c, us]) => [h('dt', {}, h('span', { class: 'badge cat', title: c, text: catName(c) })), h('dd', {}, us.map((u) => h('div', { class: 'small' }, h('span', { class: 'muted', text: `${fmtDuration(u.startMs)} ${t(`role.${u.role}`)}: ` }), u.text)))]),
  );
}

function network(call) {
  return h(
    'table',
    { class: 'net', 'data-testid': 'detail-network' },
    h('thead', {}, h('tr', {}, ['detail.leg', 'detail.packets', 'detail.lost', 'detail.jitter', 'detail.mos', 'detail.level'].map((k) => h('th', { text: t(k) })))),
    h(
      'tbody',
      {},
      call.legs.map((l) => {
        const s = l.stats || {};
        const lossPct = s.packets ? ` (${((100 * (s.lost || 0)) / s.packets).toFixed(1)}%)` : '';
        return h('tr', {}, h('td', { text: `${t(`role.${l.role}`)} · ${l.label}` }), h('td', { text: fmt(s.packets) }), h('td', { text: `${fmt(s.lost)}${lossPct}` }), h('td', { text: fmt(s.jitterMs, 1) }), h('td', { text: fmt(s.mos, 2) }), h('td', { text: fmt(s.levelDb, 1) }));
      }),
    ),
  );
}

function alarmList(call) {
  if (!call.alarms.length) return h('p', { class: 'muted', text: t('detail.noAlarms') });
  return h(
    'ul',
    { class: 'plain' },
    call.alarms.map((a) => h('li', { class: `sev-${a.severity}` }, h('span', { class: `badge sev-${a.severity}`, text: t(`severity.${a.severity}`) }), ` ${a.message} · ${t(`state.${a.state}`)}`)),
  );
}

export function render(root, ctx, callId) {
  const charts = [];
  const page = h('section', { class: 'page detail', id: 'call-detail' });
  root.append(page);
  const players = new Map();
  Promise.all([api(`/calls/${encodeURIComponent(callId)}`), api(`/calls/${encodeURIComponent(callId)}/recordings`).catch(() => ({ recordings: [], playable: false }))])
    .then(([call, rec]) => {
      const list = transcript(call);
      const recCard = recordings(call, rec, players);
      seekOnClick(list, call, players);
      const canvas = h('canvas', { id: 'emotion-chart', 'data-testid': 'emotion-chart' });
      page.append(
        h('div', { class: 'view-head' }, h('a', { href: '#/wallboard', class: 'ghost', text: `← ${t('detail.back')}` }), h('h1', { text: `${t('detail.title')} · ${call.agentId || '—'} · ${call.queue || '—'}` })),
        h(
          'div',
          { class: 'facts' },
          [
            ['detail.ingest', call.ingest],
            ['detail.started', fmtTime(call.startedAt)],
            ['detail.duration', fmtDuration(call.durationMs ?? Date.now() - call.startedAt)],
            ['detail.state', t(`state.${call.state}`)],
          ].map(([k, v]) => h('div', { class: 'fact' }, h('span', { class: 'muted small', text: t(k) }), h('strong', { text: v }))),
        ),
        h('div', { class: 'card' }, h('h2', { text: t('detail.timeline') }), timeline(call)),
        recCard,
        h(
          'div',
          { class: 'cols' },
          h('div', { class: 'card' }, h('h2', { text: t('detail.transcript') }), list),
          h(
            'div',
            { class: 'stack' },
            h('div', { class: 'card' }, h('h2', { text: t('detail.emotion') }), h('div', { class: 'chart-box' }, canvas)),
            h('div', { class: 'card' }, h('h2', { text: t('detail.categories') }), categories(call)),
            h('div', { class: 'card' }, h('h2', { text: t('detail.network') }), network(call)),
            h('div', { class: 'card' }, h('h2', { text: t('detail.alarms') }), alarmList(call)),
          ),
        ),
      );
      const series = (role) => call.utterances.filter((u) => u.role === role).map((u) => ({ x: u.startMs / 1000, y: u.sentiment }));
      charts.push(
        chart(canvas, {
          type: 'line',
          data: {
            datasets: ['customer', 'agent'].map((role) => ({ label: t(`role.${role}`), data: series(role), borderColor: COLORS[role], backgroundColor: COLORS[role], tension: 0.3, pointRadius: 3 })),
          },
          options: { scales: { x: { type: 'linear', title: { display: true, text: 's' } }, y: { min: -1, max: 1 } } },
        }),
      );
    })
    .catch((err) => page.append(h('p', { class: 'error', text: err.status === 404 ? t('detail.notFound') : t('error.generic') })));
  return () => {
    charts.forEach((c) => c?.destroy());
    for (const p of players.values()) p.audio.pause();
  };
}
