// Stored calls and conversations, newest first, filtered by channel (GET /api/v1/calls?channel=).
// A row opens the call's record (its transcript: that view is audited).
import { api, qs } from '../api.js';
import { h } from '../dom.js';
import { fmtDuration, fmtTime, t } from '../i18n.js';
import { channelSelect } from '../channel.js';

export function render(root) {
  const filter = { channel: '' };
  const list = h('div', { class: 'call-list', id: 'call-list', 'data-testid': 'call-list' });
  const bar = h('div', { class: 'filters' });
  root.append(h('section', { class: 'page' }, h('div', { class: 'view-head' }, h('h1', { text: t('calls.title') }), bar), list));
  bar.append(
    channelSelect('calls-channel', filter.channel, (v) => {
      filter.channel = v;
      void load();
    }),
  );
  let alive = true;
  let seq = 0;
  async function load() {
    const mine = ++seq;
    list.classList.add('busy');
    try {
      const { calls } = await api(`/calls${qs({ channel: filter.channel, limit: 200 })}`);
      // An older answer arriving after a newer choice must not overwrite it.
      if (!alive || mine !== seq) return;
      list.replaceChildren(
        ...(calls.length
          ? calls.map((c) =>
              h(
                'a',
                { class: 'call-row', href: `#/calls/${c.callId}`, 'data-testid': 'call-row', dataset: { callId: c.callId, channel: c.channel } },
                h('span', { class: `channel-tag ch-${c.channel}`, text: t(`channel.${c.channel}`) }),
                h('span', { text: fmtTime(c.startedAt) }),
                h('span', { text: c.agentId || '—' }),
                h('span', { text: c.queue || '—' }),
                h('span', { text: c.durationMs === null ? '–' : fmtDuration(c.durationMs) }),
                h('span', { text: t(`state.${c.state}`) }),
                h('span', { class: c.openAlarms ? 'badge alarm' : 'muted', text: t('calls.openAlarms', { n: c.openAlarms }) }),
              ),
            )
          : [h('p', { class: 'muted empty', text: t('calls.none') })]),
      );
    } catch {
      if (alive && mine === seq) list.replaceChildren(h('p', { class: 'error', text: t('calls.failed') }));
    } finally {
      if (mine === seq) list.classList.remove('busy');
    }
  }
  void load();
  return () => (alive = false);
}
