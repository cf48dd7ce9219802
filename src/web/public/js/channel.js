// The channel filter every list and dashboard shows: the bounded enum of src/call/types.ts
// (CHANNELS), sent as `channel=` to the API, which refuses anything else.
import { h } from './dom.js';
import { t } from './i18n.js';

export const CHANNELS = ['voice', 'chat', 'wechat', 'app', 'email', 'sms'];

/** A labelled <select> with "All channels" first; calls onchange with '' or a channel. */
export function channelSelect(id, value, onchange) {
  const el = h(
    'select',
    { id, 'data-testid': id, onchange: () => onchange(el.value) },
    h('option', { value: '', text: t('channels.all') }),
    CHANNELS.map((c) => h('option', { value: c, text: t(`channel.${c}`) })),
  );
  el.value = value;
  return h('label', { class: 'filter' }, t('channels.label'), el);
}
