// Insight reports: the list (scheduled and on demand), generation for supervisors, HTML/CSV links.
// A report cites call ids only; the call detail it links to is audited when opened.
import { api, qs } from '../api.js';
import { h } from '../dom.js';
import { fmtTime, getLang, t } from '../i18n.js';
import { catName } from '../categories.js';

const canGenerate = (ctx) => ctx.session.role === 'supervisor' || ctx.session.role === 'admin';
const periodName = (p) => ({ day: t('reports.day'), week: t('reports.week'), month: t('reports.month') })[p] || p;
const day = (ms) => new Date(ms).toISOString().slice(0, 10);

export function render(root, ctx) {
  let period = '';
  const list = h('div', { id: 'report-list' });
  const status = h('span', { class: 'error', id: 'report-error' });
  const head = h('div', { class: 'view-head' }, h('h1', { text: t('reports.title') }));
  const filter = h(
    'select',
    { id: 'report-filter', 'aria-label': t('reports.period'), onchange: () => ((period = filter.value), load()) },
    h('option', { value: '', text: t('alarms.all') }),
    ['day', 'week', 'month'].map((p) => h('option', { value: p, text: periodName(p) })),
  );
  head.append(h('label', { class: 'filter' }, t('reports.period'), filter));
  const page = h('section', { class: 'page reports' }, head);

  if (canGenerate(ctx)) {
    const kind = h('select', { id: 'report-period' }, ['day', 'week', 'month'].map((p) => h('option', { value: p, text: periodName(p) })));
    const start = h('input', { id: 'report-start', type: 'date', value: day(Date.now() - 86_400_000), max: day(Date.now()) });
    const go = h('button', {
      id: 'report-generate',
      type: 'button',
      class: 'primary',
      text: t('reports.generate'),
      onclick: async () => {
        go.disabled = true;
        status.textContent = '';
        try {
          await api('/reports', { method: 'POST', body: { period: kind.value, start: start.value, lang: getLang() } });
          await load();
        } catch (err) {
          status.textContent = err.body?.error?.message || t('reports.failed');
        } finally {
          go.disabled = false;
        }
      },
    });
    page.append(h('div', { class: 'card generate' }, h('h2', { text: t('reports.onDemand') }), h('div', { class: 'row' }, kind, start, go, status), h('p', { class: 'muted small', text: t('reports.scheduleNote') })));
  }
  page.append(list);
  root.append(page);

  async function load() {
    let reports = [];
    try {
      reports = (await api(`/reports${qs({ period, limit: 200 })}`)).reports;
    } catch {
      list.replaceChildren(h('p', { class: 'error', text: t('error.generic') }));
      return;
    }
    if (!reports.length) return list.replaceChildren(h('p', { class: 'muted empty', text: t('reports.empty') }));
    const th = (key) => h('th', { text: t(key) });
    list.replaceChildren(
      h(
        'table',
        { class: 'data', 'data-testid': 'report-table' },
        h('tr', {}, th('reports.period'), th('reports.range'), th('dash.calls'), th('nav.alarms'), th('dash.nps'), th('reports.topCategory'), th('reports.coach'), th('reports.created'), h('th')),
        reports.map((r) =>
          h(
            'tr',
            { 'data-testid': 'report-row', dataset: { reportId: r.id, period: r.period } },
            h('td', { text: periodName(r.period) }),
            h('td', { text: r.period === 'day' ? day(r.start) : `${day(r.start)} – ${day(r.end - 1)}` }),
            h('td', { class: 'n', text: String(r.summary.calls) }),
            h('td', { class: 'n', text: String(r.summary.alarms) }),
            h('td', { class: 'n', text: r.summary.nps === null ? '–' : String(r.summary.nps) }),
            h('td', { text: r.summary.topCategory ? catName(r.summary.topCategory) : '–' }),
            h('td', { class: 'n', text: String(r.summary.coach) }),
            h('td', { class: 'muted small', text: `${fmtTime(r.createdAt)} · ${r.createdBy === 'scheduler' ? t('reports.scheduled') : r.createdBy}` }),
            h(
              'td',
              { class: 'links' },
              h('a', { href: `/api/v1/reports/${r.id}.html`, target: '_blank', rel: 'noopener', 'data-testid': 'report-open', text: t('reports.open') }),
              ' · ',
              h('a', { href: `/api/v1/reports/${r.id}.csv`, download: '', 'data-testid': 'report-csv', text: 'CSV' }),
            ),
          ),
        ),
      ),
    );
  }
  load();
}
