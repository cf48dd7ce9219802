// Extra dashboard panels over the last 14 days (/api/v1/insights; root cause and the CSV export
// come from the KPI stage's routes): NPS distribution and trend, emotion map, category heat
// map, alarms by rule, QA by agent, detractor drivers, high-risk customers. Of one channel when
// the dashboard's selector names one (the high-risk pool stays whole: a customer spans channels).
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtTime, t } from '../i18n.js';
import { catName } from '../categories.js';
import { chart, COLORS } from '../charts.js';

const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'];
const DAY = 86_400_000;
const dayLabel = (ms) => new Date(ms).toISOString().slice(5, 10);
const panel = (key, body, cls = '') => h('div', { class: `card ${cls}` }, h('h2', { text: t(key) }), body);
const box = (canvas) => h('div', { class: 'chart-box' }, canvas);

/**
 * Appends the panels to `page`; adds their charts to `charts` (destroyed with the view). Returns
 * `load(channel)`, which redraws them for one channel ('' for all); a newer call wins.
 */
export function renderInsights(page, charts) {
  const grid = h('div', { class: 'charts insights', id: 'insights', 'data-testid': 'insights' });
  page.append(h('div', { class: 'view-head' }, h('h1', { text: t('dash.insightsTitle') })), grid);
  let seq = 0;
  return (channel) => {
    const mine = ++seq;
    return api(`/insights?days=14${channel ? `&channel=${channel}` : ''}`)
      .then((d) => {
        if (mine !== seq) return;
        charts.splice(0).forEach((c) => c?.destroy());
        grid.replaceChildren();
        grid.dataset.channel = d.channel || '';
        const c = {
          npsDist: h('canvas', { id: 'chart-nps-dist' }),
          npsTrend: h('canvas', { id: 'chart-nps-trend' }),
          emotion: h('canvas', { id: 'chart-emotion-map' }),
          alarms: h('canvas', { id: 'chart-alarm-rules' }),
          qa: h('canvas', { id: 'chart-qa-agents' }),
        };
        grid.append(
          panel('dash.npsDistribution', box(c.npsDist)),
          panel('dash.npsTrend', box(c.npsTrend)),
          panel('dash.emotionMap', box(c.emotion), 'wide'),
          panel('dash.categoryHeat', heatMap(d), 'wide'),
          panel('dash.alarmsByRule', box(c.alarms)),
          panel('dash.qaByAgent', box(c.qa)),
          panel('dash.drivers', drivers(d.drivers), d.highRisk ? '' : 'wide'),
        );
        const days = [];
        for (let x = d.from; x < d.to; x += DAY) days.push(x);
        const small = { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } };
        const sc = (s) => (s >= 9 ? COLORS.satisfied : s >= 7 ? COLORS.neutral : COLORS.angry);
        charts.push(chart(c.npsDist, { type: 'bar', data: { labels: d.nps.histogram.map((_, s) => String(s)), datasets: [{ data: d.nps.histogram, backgroundColor: d.nps.histogram.map((_, s) => sc(s)) }] }, options: small }));
        const trend = new Map(d.npsTrend.map((r) => [r.bucket, r.nps]));
        charts.push(
          chart(c.npsTrend, {
            type: 'line',
            data: { labels: days.map(dayLabel), datasets: [{ label: 'NPS', data: days.map((x) => trend.get(x) ?? null), borderColor: COLORS.customer, backgroundColor: COLORS.customer, spanGaps: true, tension: 0 }] },
            options: { plugins: { legend: { display: false } }, scales: { y: { min: -100, max: 100 } } },
          }),
        );
        const buckets = d.emotionMap.map((b) => b.bucket);
        const fmtB = d.emotionBucketMs < DAY ? (ms) => `${dayLabel(ms)} ${String(new Date(ms).getUTCHours()).padStart(2, '0')}h` : dayLabel;
        charts.push(
          chart(c.emotion, {
            type: 'bar',
            data: {
              labels: buckets.map(fmtB),
              datasets: EMOTIONS.map((e) => ({ label: t(`emotion.${e}`), data: d.emotionMap.map((b) => Math.round((1000 * b.counts[e]) / b.n) / 10), backgroundColor: COLORS[e] })),
            },
            options: { scales: { x: { stacked: true }, y: { stacked: true, max: 100, ticks: { callback: (v) => `${v}%` } } } },
          }),
        );
        charts.push(
          chart(c.alarms, {
            type: 'bar',
            data: { labels: d.alarmsByRule.map((a) => a.rule), datasets: [{ data: d.alarmsByRule.map((a) => a.count), backgroundColor: d.alarmsByRule.map((a) => COLORS[a.severity]) }] },
            options: { ...small, indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
          }),
        );
        const agents = d.agents.filter((a) => a.qaAvg !== null);
        charts.push(
          chart(c.qa, {
            type: 'bar',
            data: { labels: agents.map((a) => a.agentId), datasets: [{ data: agents.map((a) => Math.round(a.qaAvg * 10) / 10), backgroundColor: agents.map((a) => (a.qaAvg < 70 ? COLORS.angry : COLORS.agent)) }] },
            options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100 } } },
          }),
        );
        if (d.highRisk) riskPanel(grid, d.highRisk);
      })
      .catch(() => mine === seq && grid.replaceChildren(h('p', { class: 'error', text: t('error.generic') })));
  };
}

function heatMap(d) {
  const days = [];
  for (let x = d.from; x < d.to; x += DAY) days.push(x);
  const cats = [...new Set(d.categoryHeat.map((r) => r.id))].sort();
  if (!cats.length) return h('p', { class: 'muted', text: t('dash.noData') });
  const cell = new Map(d.categoryHeat.map((r) => [`${r.id}|${r.bucket}`, r.calls]));
  const max = Math.max(1, ...d.categoryHeat.map((r) => r.calls));
  return h(
    'div',
    { class: 'heat-wrap' },
    h(
      'table',
      { class: 'heat', 'data-testid': 'category-heat' },
      h('tr', {}, h('th'), days.map((x) => h('th', { text: dayLabel(x) }))),
      cats.map((id) =>
        h(
          'tr',
          {},
          h('th', { title: id, text: catName(id) }),
          days.map((x) => {
            const n = cell.get(`${id}|${x}`) || 0;
            return h('td', { title: `${catName(id)} ${dayLabel(x)}: ${n}`, style: n ? { background: `rgba(197, 179, 255, ${0.15 + (0.85 * n) / max})`, color: n / max > 0.5 ? '#0d1117' : '' } : {}, text: n ? String(n) : '' });
          }),
        ),
      ),
    ),
  );
}

function drivers(rows) {
  if (!rows.length) return h('p', { class: 'muted', text: t('dash.noData') });
  const name = (x) => (x === 'negative-end' ? t('dash.negativeEnd') : x.startsWith('category:') ? catName(x.slice(9)) : x.replace(/^alarm:/, `${t('nav.alarms')}: `));
  return h(
    'table',
    { class: 'data', 'data-testid': 'nps-drivers' },
    h('tr', {}, h('th', { text: t('dash.driver') }), h('th', { text: t('dash.answers') }), h('th', { text: 'NPS' }), h('th', { text: t('dash.impact') })),
    rows.map((r) => h('tr', {}, h('td', { text: name(r.driver) }), h('td', { class: 'n', text: String(r.responses) }), h('td', { class: 'n', text: String(r.nps) }), h('td', { class: `n ${r.impact < 0 ? 'neg' : r.impact > 0 ? 'pos' : ''}`, text: `${r.impact > 0 ? '+' : ''}${r.impact}` }))),
  );
}

function riskPanel(grid, customers) {
  const detail = h('div', { class: 'root-cause', id: 'root-cause' });
  const row = (c) =>
    h(
      'tr',
      {},
      h('td', {}, h('a', { href: '#/dashboard', class: 'mono', onclick: (e) => (e.preventDefault(), rootCause(c.customerHash, detail)), text: c.customerHash.slice(0, 10) })),
      h('td', { class: 'n', text: String(c.score) }),
      h('td', { class: 'n', text: String(c.calls) }),
      h('td', { class: 'n', text: c.lastNps ?? '–' }),
      h('td', { class: 'small muted', text: fmtTime(c.lastCallAt) }),
    );
  const body = customers.length
    ? [
        h('a', { href: '/api/v1/customers/high-risk?format=csv', download: '', 'data-testid': 'high-risk-csv', class: 'small', text: t('dash.exportCsv') }),
        h(
          'table',
          { class: 'data', 'data-testid': 'high-risk' },
          h('tr', {}, h('th', { text: t('dash.customer') }), h('th', { class: 'n', text: t('dash.risk') }), h('th', { class: 'n', text: t('dash.calls') }), h('th', { class: 'n', text: 'NPS' }), h('th', { text: t('dash.lastCall') })),
          customers.map(row),
        ),
      ]
    : h('p', { class: 'muted', text: t('dash.noData') });
  grid.append(panel('dash.highRisk', h('div', {}, body, detail)));
}

async function rootCause(hash, el) {
  try {
    const r = await api(`/customers/${encodeURIComponent(hash)}/root-cause`);
    el.replaceChildren(
      h('h2', { text: t('dash.rootCause') }),
      h('p', { class: 'small' }, `${t('dash.categories')}: `, r.topCategories.map((c) => h('span', { class: 'badge cat', title: c.id, text: `${catName(c.id)} ×${c.hits}` })), r.topAlarmRules.length ? ` ${t('nav.alarms')}: ` : '', r.topAlarmRules.map((a) => h('span', { class: 'badge', text: `${a.rule} ×${a.count}` }))),
      h('ul', { class: 'plain small' }, r.calls.map((c) => h('li', {}, h('a', { href: `#/calls/${c.callId}`, text: fmtTime(c.startedAt) }), ` · ${c.agentId || '–'} · ${Object.keys(c.categories).map(catName).join(', ') || '–'}`))),
    );
  } catch {
    el.replaceChildren(h('p', { class: 'error', text: t('error.generic') }));
  }
}
