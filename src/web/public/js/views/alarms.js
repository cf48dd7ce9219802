// Alarms inbox: open alarms first by severity, filters, acknowledge/resolve with a comment.
import { api, qs } from '../api.js';
import { h } from '../dom.js';
import { fmtTime, t } from '../i18n.js';
import { channelSelect } from '../channel.js';

const canAct = (ctx) => ctx.session.role === 'supervisor' || ctx.session.role === 'admin';

function select(id, label, values, value, onchange) {
  const el = h(
    'select',
    { id, 'data-testid': id, onchange: () => onchange(el.value) },
    h('option', { value: '', text: t('alarms.all') }),
    values.map(([v, key]) => h('option', { value: v, text: t(key) })),
  );
  el.value = value;
  return h('label', { class: 'filter' }, label, el);
}

export function render(root, ctx) {
  const filters = { state: 'open', severity: '', channel: '' };
  const list = h('div', { class: 'alarm-list', id: 'alarm-list' });
  const bar = h('div', { class: 'filters' });
  root.append(h('section', { class: 'page' }, h('div', { class: 'view-head' }, h('h1', { text: t('alarms.title') }), bar), list));

  const drawFilters = () =>
    bar.replaceChildren(
      select('filter-state', t('alarms.filterState'), [['open', 'state.open'], ['acked', 'state.acked'], ['resolved', 'state.resolved']], filters.state, (v) => {
        filters.state = v;
        load();
      }),
      select('filter-severity', t('alarms.filterSeverity'), [['critical', 'severity.critical'], ['warning', 'severity.warning'], ['info', 'severity.info']], filters.severity, (v) => {
        filters.severity = v;
        load();
      }),
      // The channel is the alarm's call's: the server filters (a live alarm carries no channel).
      channelSelect('filter-channel', filters.channel, (v) => {
        filters.channel = v;
        load();
      }),
    );

  let alarms = [];
  const matches = (a) => (!filters.state || a.state === filters.state) && (!filters.severity || a.severity === filters.severity);

  async function act(a, op, comment, row) {
    row.classList.add('busy');
    try {
      const { alarm } = await api(`/alarms/${a.id}/${op}`, { method: 'POST', body: comment ? { comment } : {} });
      ctx.state.alarms.set(alarm.id, alarm);
      ctx.state.recount(alarm.callId);
      replace(alarm);
    } catch {
      row.classList.remove('busy');
      row.querySelector('.row-error').textContent = t('alarms.failed');
    }
  }

  function replace(alarm) {
    alarms = alarms.map((x) => (x.id === alarm.id ? { ...x, ...alarm } : x));
    draw();
  }

  function row(a) {
    const comment = h('input', { class: 'comment', 'data-testid': 'alarm-comment', placeholder: t('alarms.comment'), maxlength: 1000 });
    const who = a.state === 'acked' ? a.ackedBy : a.state === 'resolved' ? a.resolvedBy : null;
    const el = h(
      'div',
      { class: `alarm-row sev-${a.severity} state-${a.state}`, 'data-testid': 'alarm-row', dataset: { alarmId: a.id, state: a.state } },
      h('span', { class: `badge sev-${a.severity}`, text: t(`severity.${a.severity}`) }),
      h(
        'div',
        { class: 'alarm-main' },
        h('div', { class: 'alarm-msg', text: a.message }),
        h(
          'div',
          { class: 'muted small' },
          `${t('alarms.rule')}: ${a.rule} · ${t('wall.agent')}: ${a.agentId || '—'} · ${t('alarms.raised')}: ${fmtTime(a.raisedAt)}`,
          a.callId ? [' · ', h('a', { href: `#/calls/${a.callId}`, 'data-testid': 'alarm-call-link', text: t('alarms.call') })] : null,
        ),
      ),
      h('span', { class: 'alarm-state', 'data-testid': 'alarm-state' }, t(`state.${a.state}`), who ? ` ${t('alarms.by', { user: who })}` : ''),
      canAct(ctx) && a.state !== 'resolved'
        ? h(
            'div',
            { class: 'actions' },
            comment,
            a.state === 'open' ? h('button', { type: 'button', 'data-testid': 'alarm-ack', onclick: () => act(a, 'ack', comment.value.trim(), el), text: t('alarms.ack') }) : null,
            h('button', { type: 'button', 'data-testid': 'alarm-resolve', onclick: () => act(a, 'resolve', comment.value.trim(), el), text: t('alarms.resolve') }),
          )
        : null,
      h('span', { class: 'row-error error' }),
    );
    return el;
  }

  function draw() {
    const shown = alarms.filter(matches);
    list.replaceChildren(...(shown.length ? shown.map(row) : [h('p', { class: 'muted empty', text: t('alarms.empty') })]));
  }

  let seq = 0;
  async function load() {
    const mine = ++seq;
    let got = [];
    try {
      got = (await api(`/alarms${qs({ ...filters, limit: 500 })}`)).alarms;
    } catch {
      got = [];
    }
    // An older answer arriving after a newer choice must not overwrite it.
    if (mine !== seq) return;
    alarms = got;
    draw();
  }

  const off = ctx.state.subscribe((msg) => {
    if (msg.type === 'alarm' && filters.channel && matches(msg.data)) load();
    else if (msg.type === 'alarm' && matches(msg.data) && !alarms.some((a) => a.id === msg.data.id)) {
      const rank = { critical: 0, warning: 1, info: 2 };
      alarms = [msg.data, ...alarms].sort((a, b) => rank[a.severity] - rank[b.severity] || b.raisedAt - a.raisedAt);
      draw();
      const el = list.querySelector(`[data-alarm-id="${msg.data.id}"]`);
      el?.classList.add('new');
    } else if (msg.type === 'alarm.updated') replace(msg.data);
  });
  drawFilters();
  load();
  return off;
}
