// Care cases: the loop from a detractor or an angry call to someone who owns it. Summary (open,
// overdue, NPS of cased vs uncased detractors, survey response rate), the case list with filters,
// contact/resolve actions, and "what the best agents say" as coaching material.
import { api, qs } from '../api.js';
import { channelSelect } from '../channel.js';
import { h } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

const HOUR = 3_600_000;
const STATES = ['open', 'contacted', 'resolved', 'closed'];

function stat(label, value, id) {
  return h('div', { class: 'care-tile', 'data-testid': id }, h('div', { class: 'muted small', text: label }), h('div', { class: 'care-tile-value', text: value }));
}

export function render(root, ctx) {
  const canAct = ctx.session.role === 'supervisor' || ctx.session.role === 'admin';
  const filters = { state: 'open', overdue: '', channel: '' };
  const tiles = h('div', { class: 'care-tiles', id: 'case-tiles' });
  const bar = h('div', { class: 'filters' });
  const list = h('div', { class: 'case-list', id: 'case-list', 'data-testid': 'case-list' });
  const coaching = h('div', { class: 'coaching', id: 'coaching', 'data-testid': 'coaching' });
  root.append(
    h('section', { class: 'page' },
      h('div', { class: 'view-head' }, h('h1', { text: t('cases.title') }), bar),
      tiles, list,
      h('h2', { text: t('cases.bestTitle') }), h('p', { class: 'muted small', text: t('cases.bestNote') }), coaching),
  );
  if (!canAct) {
    list.append(h('p', { class: 'muted', text: t('cases.supervisorsOnly') }));
    return;
  }

  const sel = h('select', { id: 'case-filter-state', 'data-testid': 'case-filter-state', onchange: () => ((filters.state = sel.value), load()) },
    h('option', { value: '', text: t('alarms.all') }), STATES.map((s) => h('option', { value: s, text: t(`caseState.${s}`) })));
  sel.value = filters.state;
  const od = h('input', { type: 'checkbox', id: 'case-filter-overdue', onchange: () => ((filters.overdue = od.checked ? 'true' : ''), load()) });
  // A case is the customer's, across channels: the filter keeps cases with a conversation of that channel in their evidence.
  const ch = channelSelect('case-filter-channel', filters.channel, (v) => ((filters.channel = v), load()));
  bar.append(h('label', { class: 'filter' }, t('alarms.filterState'), sel), h('label', { class: 'filter' }, od, t('cases.overdueOnly')), ch);

  async function act(c, to, outcome, row) {
    row.classList.add('busy');
    try {
      await api(`/cases/${c.id}/transition`, { method: 'POST', body: outcome ? { to, outcome } : { to } });
      await Promise.all([load(), summary()]);
    } catch {
      row.classList.remove('busy');
      row.querySelector('.row-error').textContent = t('alarms.failed');
    }
  }

  function row(c) {
    const outcome = h('input', { class: 'comment', 'data-testid': 'case-outcome', placeholder: t('cases.outcome'), maxlength: 64 });
    const el = h('div', { class: `alarm-row case-row state-${c.state}${c.overdue ? ' overdue' : ''}`, 'data-testid': 'case-row', dataset: { caseId: c.id, state: c.state } },
      h('span', { class: `badge ${c.overdue ? 'sev-critical' : 'sev-info'}`, text: c.overdue ? t('cases.overdue') : t(`caseState.${c.state}`) }),
      h('div', { class: 'alarm-main' },
        h('div', { class: 'alarm-msg', text: `#${c.id} · ${t(`caseReason.${c.reason}`) === `caseReason.${c.reason}` ? c.reason : t(`caseReason.${c.reason}`)} · ${(c.customerHash.length > 20 ? `${c.customerHash.slice(0, 12)}…` : c.customerHash)}` }),
        h('div', { class: 'muted small' },
          `${t('cases.owner')}: ${c.team || '—'}${c.assignee ? ` / ${c.assignee}` : ''} · ${t('cases.age')}: ${Math.round((Date.now() - c.openedAt) / HOUR)} h · ${t('cases.due')}: ${fmtTime(c.dueAt)}${c.outcome ? ` · ${t('cases.outcome')}: ${c.outcome}` : ''}`)),
      h('span', { class: 'alarm-state', 'data-testid': 'case-state', text: t(`caseState.${c.state}`) }),
      c.state === 'open' || c.state === 'contacted'
        ? h('div', { class: 'actions' },
            c.state === 'open' ? h('button', { type: 'button', 'data-testid': 'case-contacted', text: t('cases.contacted'), onclick: () => act(c, 'contacted', '', el) }) : null,
            outcome,
            h('button', { type: 'button', 'data-testid': 'case-resolve', text: t('cases.resolve'), onclick: () => act(c, 'resolved', outcome.value.trim() || 'resolved', el) }))
        : null,
      h('span', { class: 'row-error' }));
    return el;
  }

  async function load() {
    try {
      const { cases } = await api(`/cases${qs({ state: filters.state, overdue: filters.overdue, channel: filters.channel, limit: 200 })}`);
      list.replaceChildren(...(cases.length ? cases.map(row) : [h('p', { class: 'muted', text: t('cases.none') })]));
    } catch {
      list.replaceChildren(h('p', { class: 'muted', text: t('alarms.failed') }));
    }
  }

  async function summary() {
    try {
      const [s, rate] = await Promise.all([api('/cases/summary?days=30'), api('/surveys/response-rate?days=30')]);
      const sum = (f) => s.byGroup.filter(f).reduce((a, g) => a + g.n, 0);
      const nps = (g) => (g.followUpNps === null ? '—' : String(g.followUpNps));
      tiles.replaceChildren(
        stat(t('cases.open'), String(sum((g) => g.state === 'open' || g.state === 'contacted')), 'tile-open'),
        stat(t('cases.overdue'), String(s.byGroup.reduce((a, g) => a + g.overdue, 0)), 'tile-overdue'),
        stat(t('cases.resolved'), String(sum((g) => g.state === 'resolved' || g.state === 'closed')), 'tile-resolved'),
        stat(t('cases.npsCased'), `${nps(s.nps.cased)} (${s.nps.cased.answeredAgain}/${s.nps.cased.detractors})`, 'tile-nps-cased'),
        stat(t('cases.npsUncased'), `${nps(s.nps.uncased)} (${s.nps.uncased.answeredAgain}/${s.nps.uncased.detractors})`, 'tile-nps-uncased'),
        stat(t('cases.responseRate'), rate.rate === null ? '—' : `${Math.round(rate.rate * 100)}%`, 'tile-response-rate'),
      );
    } catch {
      tiles.replaceChildren();
    }
  }

  async function best() {
    try {
      const r = await api('/coaching/best-phrases?days=30');
      coaching.replaceChildren(
        h('p', { class: 'muted small', text: `${t('cases.topAgents')}: ${r.topAgents.join(', ') || '—'}` }),
        ...r.situations.map((s) =>
          h('div', { class: 'coach-situation', 'data-testid': 'coach-situation' },
            h('h3', { text: t(`situation.${s.situation}`) }),
            s.phrases.length
              ? h('ul', {}, s.phrases.slice(0, 5).map((p) => h('li', { 'data-testid': 'coach-phrase' }, h('b', { text: `“${p.phrase}”` }), ` · z ${p.score} · ${Math.round(p.topShare * 100)}% / ${Math.round(p.otherShare * 100)}%`, p.examples[0] ? h('div', { class: 'muted small', text: p.examples[0].text }) : null)))
              : h('p', { class: 'muted small', text: t('cases.noPhrases') }))),
      );
    } catch {
      coaching.replaceChildren();
    }
  }

  void Promise.all([load(), summary(), best()]);
  const timer = setInterval(() => void summary(), 30_000);
  return () => clearInterval(timer);
}
