// Active calls as tiles, updated live; clicking a tile opens that call's live transcript. Each tile
// names its channel (icon and label) so a chat or an e-mail thread never passes for a phone call.
import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { fmtDuration, t } from '../i18n.js';
import { catName } from '../categories.js';

const PARTIES = [
  ['customer', 'wall.customer'],
  ['agent', 'wall.agentParty'],
];

function meter(role, label, e) {
  const sentiment = e ? e.sentiment : 0;
  const pct = Math.round(((sentiment + 1) / 2) * 100);
  return h(
    'div',
    { class: 'meter', 'data-testid': `emotion-${role}`, dataset: { emotion: e ? e.emotion : 'none' } },
    h('span', { class: 'meter-label', text: label }),
    h('span', { class: 'meter-bar' }, h('span', { class: `meter-fill emo-${e ? e.emotion : 'none'}`, style: { width: `${pct}%` } })),
    h('span', { class: 'meter-value', text: e ? t(`emotion.${e.emotion}`) : '–' }),
  );
}

// One glyph per channel (decorative: the label next to it says the same in words).
const CHANNEL_ICONS = { voice: '☎', chat: '💬', wechat: '🗨', app: '📱', email: '✉', sms: '✆' };

function tile(c, selected, onOpen) {
  const sev = c.openAlarms ? c.maxSeverity || 'warning' : '';
  const channel = c.channel || 'voice';
  return h(
    'button',
    {
      type: 'button',
      class: `tile ${sev ? `sev-${sev}` : ''} ${selected ? 'selected' : ''}`,
      'data-testid': 'call-tile',
      dataset: { callId: c.callId, channel },
      onclick: () => onOpen(c.callId),
    },
    h(
      'div',
      { class: 'tile-head' },
      h(
        'span',
        { class: `channel-tag ch-${channel}`, 'data-testid': 'tile-channel', title: t(`channel.${channel}`) },
        h('span', { class: 'channel-icon', 'aria-hidden': 'true', text: CHANNEL_ICONS[channel] || '' }),
        h('span', { class: 'channel-label', text: t(`channel.${channel}`) }),
      ),
      h('span', { class: 'agent', text: c.agentId || '—' }),
      c.openAlarms ? h('span', { class: `badge alarm sev-${sev}`, 'data-testid': 'alarm-badge', text: t('wall.alarms', { n: c.openAlarms }) }) : null,
      h('span', { class: 'duration', 'data-started': c.startedAt, text: fmtDuration(Date.now() - c.startedAt) }),
    ),
    h('div', { class: 'tile-sub muted' }, `${t('wall.queue')}: ${c.queue || '—'}`),
    PARTIES.map(([role, key]) => meter(role, t(key), c.emotion && c.emotion[role])),
    // One line of category badges, newest first; those that do not fit whole wrap onto a hidden
    // second line (never half a badge), and the tooltip lists them all.
    h(
      'div',
      { class: 'badges one-line', title: (c.categories || []).map(catName).join(', ') },
      (c.categories || []).slice(-6).reverse().map((cat) => h('span', { class: 'badge cat', title: cat, text: catName(cat) })),
    ),
  );
}

/** The live transcript of one call: history from the API, then partials and finals as they come. */
function transcriptPanel(ctx, callId, onClose) {
  const list = h('ol', { class: 'transcript', id: 'live-transcript-list', 'data-testid': 'live-transcript' });
  const partials = h('div', { class: 'partials' });
  const seen = new Set();
  const partialEls = new Map();
  const add = (u) => {
    const key = `${u.legId}:${u.seq}`;
    if (seen.has(key) || u.text === undefined) return;
    seen.add(key);
    list.querySelector('.empty')?.remove();
    list.append(
      h(
        'li',
        { class: `utt role-${u.role}`, 'data-testid': 'utterance' },
        h('span', { class: 'who', text: t(`role.${u.role}`) }),
        h('span', { class: `emo emo-${u.emotion}`, title: t(`emotion.${u.emotion}`) }),
        h('span', { class: 'text', text: u.text }),
      ),
    );
    partialEls.get(u.legId)?.remove();
    partialEls.delete(u.legId);
    list.scrollTop = list.scrollHeight;
  };
  const partial = (p) => {
    let el = partialEls.get(p.legId);
    if (!el) {
      el = h('div', { class: `partial role-${p.role}`, 'data-testid': 'partial' });
      partialEls.set(p.legId, el);
      partials.append(el);
    }
    el.textContent = `${t(`role.${p.role}`)}: ${p.text}…`;
  };
  list.append(h('li', { class: 'empty muted', text: t('transcript.empty') }));
  ctx.live.watch(callId);
  api(`/calls/${encodeURIComponent(callId)}`)
    .then((call) => call.utterances.forEach(add))
    .catch(() => {}); // not stored yet: the live stream still fills the panel
  const off = ctx.state.subscribe((msg) => {
    if (msg.data?.callId !== callId) return;
    if (msg.type === 'utterance') add(msg.data);
    if (msg.type === 'partial') partial(msg.data);
  });
  const panel = h(
    'aside',
    { class: 'panel', id: 'transcript-panel' },
    h(
      'div',
      { class: 'panel-head' },
      h('h2', { text: t('transcript.title') }),
      h('a', { href: `#/calls/${callId}`, id: 'open-call-detail', 'data-testid': 'open-call-detail', text: t('transcript.details') }),
      h('button', { type: 'button', class: 'ghost', onclick: onClose, text: t('transcript.close') }),
    ),
    list,
    partials,
  );
  return {
    el: panel,
    close() {
      off();
      ctx.live.unwatch(callId);
    },
  };
}

export function render(root, ctx) {
  const count = h('span', { class: 'muted', id: 'wall-count' });
  const grid = h('div', { class: 'grid', id: 'wallboard' });
  const side = h('div', { class: 'side' });
  root.append(h('section', { class: 'wall-wrap' }, h('div', { class: 'wall-main' }, h('div', { class: 'view-head' }, h('h1', { text: t('wall.title') }), count), grid), side));

  let selected = null;
  let panel = null;
  let scheduled = false;
  const open = (callId) => {
    panel?.close();
    clear(side);
    selected = callId;
    panel = transcriptPanel(ctx, callId, closePanel);
    side.append(panel.el);
    schedule();
  };
  const closePanel = () => {
    panel?.close();
    panel = null;
    selected = null;
    clear(side);
    schedule();
  };

  // Many messages per second on a busy site: redraw at most once per frame, rebuild only the
  // tiles whose content changed and move nodes only when the order changed.
  const tiles = new Map(); // callId → { el, sig }
  let order = [];
  const empty = h('p', { class: 'muted empty', text: t('wall.empty') });
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    requestAnimationFrame(draw);
  }
  function draw() {
    scheduled = false;
    // Calls with open alarms first (worst first), then longest-running: what needs eyes is on top.
    const rank = (c) => (c.openAlarms ? { critical: 0, warning: 1, info: 2 }[c.maxSeverity] ?? 1 : 3);
    const calls = [...ctx.state.calls.values()].sort((a, b) => rank(a) - rank(b) || a.startedAt - b.startedAt);
    count.textContent = t('wall.count', { n: calls.length });
    const live = new Set(calls.map((c) => c.callId));
    for (const [id, entry] of tiles) {
      if (!live.has(id)) {
        entry.el.remove();
        tiles.delete(id);
      }
    }
    for (const c of calls) {
      const sig = JSON.stringify([c.channel, c.agentId, c.queue, c.emotion, c.categories, c.openAlarms, c.maxSeverity, c.callId === selected]);
      const entry = tiles.get(c.callId);
      if (entry && entry.sig === sig) continue;
      const el = tile(c, c.callId === selected, open);
      if (entry) entry.el.replaceWith(el);
      tiles.set(c.callId, { el, sig });
    }
    const next = calls.map((c) => c.callId);
    const moved = next.length !== order.length || next.some((id, i) => id !== order[i]) || grid.children.length !== next.length;
    if (moved) grid.replaceChildren(...(next.length ? next.map((id) => tiles.get(id).el) : [empty]));
    order = next;
  }

  const off = ctx.state.subscribe((msg) => {
    if (msg.type !== 'partial') schedule();
  });
  const tick = setInterval(() => {
    for (const el of grid.querySelectorAll('.duration')) el.textContent = fmtDuration(Date.now() - Number(el.dataset.started));
  }, 1000);
  draw();
  return () => {
    off();
    clearInterval(tick);
    panel?.close();
  };
}
