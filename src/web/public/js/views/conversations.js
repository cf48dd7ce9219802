// Conversations across channels: channel filter, channel mix, and a chat transcript view. Text comes
// from the store already redacted, and goes in through textContent only (dom.js).
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

const CHANNELS = ['voice', 'chat', 'wechat', 'app', 'email', 'sms'];

export function render(root, ctx, callId) {
  if (callId) return renderTranscript(root, ctx, callId);
  const filter = { channel: '' };
  const mix = h('div', { class: 'channel-mix', id: 'channel-mix', 'data-testid': 'channel-mix' });
  const nps = h('div', { class: 'channel-nps', id: 'channel-nps', 'data-testid': 'channel-nps' });
  const list = h('div', { class: 'conversation-list', id: 'conversation-list' });
  const sel = h(
    'select',
    { id: 'filter-channel', 'data-testid': 'filter-channel', onchange: () => ((filter.channel = sel.value), load()) },
    h('option', { value: '', text: t('alarms.all') }),
    CHANNELS.map((c) => h('option', { value: c, text: t(`channel.${c}`) })),
  );
  root.append(
    h('section', { class: 'page' }, h('div', { class: 'view-head' }, h('h1', { text: t('conv.title') }), h('div', { class: 'filters' }, h('label', { class: 'filter' }, t('conv.channel'), sel))), mix, nps, list),
  );
  let alive = true;
  async function load() {
    try {
      const [m, l, n] = await Promise.all([api('/conversations/mix'), api(`/conversations${filter.channel ? `?channel=${filter.channel}` : ''}`), api('/conversations/nps')]);
      if (!alive) return;
      nps.replaceChildren(
        h('h2', { text: t('conv.nps') }),
        ...n.channels.map((c) => h('div', { class: 'mix-row', dataset: { channel: c.channel } }, h('span', { text: c.channel === 'unlinked' ? t('conv.unlinked') : t(`channel.${c.channel}`) }), h('span', { text: `NPS ${c.nps}` }), h('span', { text: t('conv.responses', { n: c.responses }) }))),
      );
      const total = m.channels.reduce((n, c) => n + c.conversations, 0) || 1;
      mix.replaceChildren(
        h('h2', { text: t('conv.mix') }),
        ...m.channels.map((c) => h('div', { class: 'mix-row', dataset: { channel: c.channel } }, h('span', { text: t(`channel.${c.channel}`) }), h('span', { class: 'mix-bar', style: { width: `${Math.round((100 * c.conversations) / total)}%` } }), h('span', { text: String(c.conversations) }))),
      );
      list.replaceChildren(
        ...(l.conversations.length
          ? l.conversations.map((c) =>
              h(
                'a',
                { class: 'conversation-row', href: c.channel === 'voice' && !c.messages ? `#/calls/${c.callId}` : `#/conversations/${c.callId}`, dataset: { channel: c.channel, testid: 'conversation-row' } },
                h('span', { class: `channel-tag ch-${c.channel}`, text: t(`channel.${c.channel}`) }),
                h('span', { text: fmtTime(c.startedAt) }),
                h('span', { text: c.agentId ?? '—' }),
                h('span', { text: c.queue ?? '—' }),
                h('span', { text: t('conv.messages', { n: c.messages }) }),
                h('span', { text: t(`state.${c.state}`) }),
              ),
            )
          : [h('p', { class: 'empty', text: t('conv.none') })]),
      );
    } catch {
      if (alive) list.replaceChildren(h('p', { class: 'error', text: t('conv.failed') }));
    }
  }
  void load();
  return () => (alive = false);
}

function renderTranscript(root, _ctx, callId) {
  const body = h('div', { class: 'chat-transcript', id: 'chat-transcript', 'data-testid': 'chat-transcript' });
  root.append(h('section', { class: 'page' }, h('div', { class: 'view-head' }, h('h1', { text: t('conv.transcript') }), h('a', { href: '#/conversations', text: t('conv.back') })), body));
  let alive = true;
  api(`/conversations/${encodeURIComponent(callId)}/transcript`)
    .then((r) => {
      if (!alive) return;
      body.replaceChildren(
        ...r.messages.map((m) =>
          h(
            'div',
            { class: `bubble party-${m.party} emotion-${m.emotion}`, dataset: { party: m.party } },
            h('div', { class: 'bubble-meta', text: `${t(`party.${m.party}`)} · ${fmtTime(m.at)}` }),
            h('div', { class: 'bubble-text', text: m.text }),
            m.categories.length ? h('div', { class: 'bubble-cats', text: m.categories.join(', ') }) : null,
          ),
        ),
      );
    })
    .catch(() => alive && body.replaceChildren(h('p', { class: 'error', text: t('conv.failed') })));
  return () => (alive = false);
}
