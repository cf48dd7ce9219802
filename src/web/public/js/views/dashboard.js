// A simple dashboard of the last 24 hours from /api/v1/kpi/overview and the 14-day panels
// (/api/v1/insights), of one channel or all.
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtDuration, t } from '../i18n.js';
import { chart, COLORS } from '../charts.js';
import { renderInsights } from './insights.js';
import { channelSelect } from '../channel.js';

const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'];
const SEVERITIES = ['critical', 'warning', 'info'];

export function render(root) {
  const charts = [];
  const insightCharts = [];
  const page = h('section', { class: 'page dashboard', id: 'dashboard' });
  const summary = h('div', { class: 'dash-summary', id: 'dash-summary', 'data-testid': 'dash-summary' });
  const filter = { channel: '' };
  const select = channelSelect('dash-channel', filter.channel, (v) => {
    filter.channel = v;
    void load();
    void insights?.(v);
  });
  page.append(h('div', { class: 'view-head' }, h('h1', { text: t('dash.title') }), h('div', { class: 'filters' }, select)), summary, h('p', { class: 'muted small', text: t('dash.channelNote') }));
  let insights;
  root.append(page);

  const draw = (k) => {
    const open = k.alarms.filter((a) => a.state === 'open').reduce((n, a) => n + a.n, 0);
    const card = (key, value, id) => h('div', { class: 'kpi card', 'data-testid': id }, h('span', { class: 'muted small', text: t(key) }), h('strong', { text: value }));
    const perHour = h('canvas', { id: 'chart-calls' });
    const emotions = h('canvas', { id: 'chart-emotions' });
    const alarms = h('canvas', { id: 'chart-alarms' });
    summary.dataset.channel = k.channel || '';
    summary.append(
      h(
        'div',
        { class: 'kpis' },
        card('dash.calls', String(k.totals.calls), 'kpi-calls'),
        card('dash.avgDuration', k.totals.avgDurationMs ? fmtDuration(k.totals.avgDurationMs) : '–', 'kpi-aht'),
        card('dash.openAlarms', String(open), 'kpi-open-alarms'),
        card('dash.nps', k.nps ? `${k.nps.score} (n=${k.nps.n})` : t('dash.noSurveys'), 'kpi-nps'),
      ),
      h(
        'div',
        { class: 'charts' },
        h('div', { class: 'card wide' }, h('h2', { text: t('dash.callsPerHour') }), h('div', { class: 'chart-box' }, perHour)),
        h('div', { class: 'card' }, h('h2', { text: t('dash.emotions') }), h('div', { class: 'chart-box' }, emotions)),
        h('div', { class: 'card' }, h('h2', { text: t('dash.alarmCounts') }), h('div', { class: 'chart-box' }, alarms)),
      ),
    );
    // 24 hourly buckets, zero-filled, labelled in local time.
    const hours = [];
    for (let x = Math.floor(k.from / 3600000) * 3600000; x < k.to; x += 3600000) hours.push(x);
    const byHour = new Map(k.callsPerHour.map((r) => [r.hour, r.calls]));
    charts.push(
      chart(perHour, {
        type: 'bar',
        data: { labels: hours.map((x) => new Date(x).getHours().toString().padStart(2, '0')), datasets: [{ label: t('dash.calls'), data: hours.map((x) => byHour.get(x) || 0), backgroundColor: COLORS.customer }] },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      }),
    );
    const emoCount = (role, e) => k.emotions.filter((r) => r.emotion === e && r.role === role).reduce((n, r) => n + r.n, 0);
    charts.push(
      chart(emotions, {
        type: 'bar',
        data: {
          labels: EMOTIONS.map((e) => t(`emotion.${e}`)),
          datasets: ['customer', 'agent'].map((role) => ({ label: t(`role.${role}`), data: EMOTIONS.map((e) => emoCount(role, e)), backgroundColor: COLORS[role] })),
        },
        options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
      }),
    );
    const sevCount = (s) => k.alarms.filter((a) => a.severity === s).reduce((n, a) => n + a.n, 0);
    charts.push(
      chart(alarms, {
        type: 'doughnut',
        data: { labels: SEVERITIES.map((s) => t(`severity.${s}`)), datasets: [{ data: SEVERITIES.map(sevCount), backgroundColor: SEVERITIES.map((s) => COLORS[s]), borderWidth: 0 }] },
        options: { plugins: { legend: { position: 'right' } } },
      }),
    );
  };

  // The 24-hour summary and the 14-day panels below (insights) follow the channel.
  let seq = 0;
  const load = () => {
    const mine = ++seq;
    return api(`/kpi/overview${filter.channel ? `?channel=${filter.channel}` : ''}`)
      .then((k) => {
        if (mine !== seq) return; // a newer choice is on its way
        charts.splice(0).forEach((c) => c?.destroy());
        summary.replaceChildren();
        draw(k);
      })
      .catch(() => mine === seq && summary.replaceChildren(h('p', { class: 'error', text: t('error.generic') })));
  };
  void load().then(() => {
    insights = renderInsights(page, insightCharts);
    return insights(filter.channel);
  });
  return () => [...charts, ...insightCharts].forEach((c) => c?.destroy());
}
