// A report as one printable, self-contained HTML page (inline CSS, no script, no external file).
// Every value is escaped; the figures carry no transcript text, customer hashes or numbers.
import { COACH, type Change, type ReportData } from './build.js';
import { LABELS, type ReportLang } from './labels.js';
import { npsClass } from '../../call/nps.js';

const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number | null) => (x === null ? '–' : `${Math.round(x * 100)}%`);
const num = (x: number | null, d = 0) => (x === null ? '–' : x.toFixed(d));
const mins = (ms: number | null) => (ms === null ? '–' : `${Math.floor(ms / 60000)}:${String(Math.round((ms % 60000) / 1000)).padStart(2, '0')}`);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const hour = (ms: number) => `${new Date(ms).toISOString().slice(0, 13).replace('T', ' ')}:00`;

/** "+3", "−12%": the change against the previous period, classed for colour. */
function delta(now: number | null, prev: number | null, opts: { pct?: boolean; goodUp?: boolean; d?: number } = {}): string {
  if (now === null || prev === null) return '<span class="chg">–</span>';
  const diff = opts.pct ? (now - prev) * 100 : now - prev;
  if (Math.abs(diff) < 1e-9) return '<span class="chg">±0</span>';
  const good = opts.goodUp === undefined ? undefined : (diff > 0) === opts.goodUp;
  const cls = good === undefined ? '' : good ? ' good' : ' bad';
  const shown = `${diff > 0 ? '+' : '−'}${Math.abs(diff).toFixed(opts.d ?? 0)}${opts.pct ? ' pp' : ''}`;
  return `<span class="chg${cls}">${shown}</span>`;
}

const CSS = `
body{font:13px/1.45 system-ui,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;color:#1b1f24;margin:24px auto;max-width:1000px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:15px;margin:24px 0 8px;border-bottom:2px solid #1b6fa8;padding-bottom:3px;color:#1b6fa8}
.sub{color:#57606a;margin:0 0 12px}.note{color:#57606a;font-size:12px;margin:4px 0}
.kpis{display:grid;grid-template-columns:repeat(6,1fr);gap:8px}.kpi{border:1px solid #d0d7de;border-radius:6px;padding:8px}
.kpi b{display:block;font-size:20px}.kpi span{color:#57606a;font-size:12px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #e4e8ec;vertical-align:top}
th{background:#f3f6f9;font-weight:600}td.n,th.n{text-align:right}
.chg{color:#57606a}.chg.good{color:#1a7f37}.chg.bad{color:#cf222e}
.bar{display:inline-block;height:9px;background:#1b6fa8;border-radius:2px;vertical-align:middle}
.bar.neg{background:#cf222e}.hist{display:flex;align-items:flex-end;gap:4px;height:80px}
.hist div{flex:1;display:flex;flex-direction:column;justify-content:flex-end;align-items:center;font-size:11px;color:#57606a;height:100%}
.hist i{display:block;width:100%;background:#8c959f;border-radius:2px 2px 0 0}.hist i.p{background:#1a7f37}.hist i.d{background:#cf222e}
.tag{display:inline-block;padding:0 6px;margin:1px 2px 1px 0;border-radius:3px;background:#eef1f4;font-size:11px}
.tag.critical{background:#ffebe9;color:#cf222e}.tag.warning{background:#fff8c5;color:#7d4e00}
a{color:#1b6fa8}.cols{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table,.kpis{break-inside:avoid}a{color:inherit;text-decoration:none}}
`;

export function renderHtml(r: ReportData, opts: { lang?: ReportLang; consoleUrl?: string; createdAt: number }): string {
  const L = LABELS[opts.lang ?? 'en'];
  const link = (callId: string) => `<a href="${esc(`${opts.consoleUrl ?? ''}/#/calls/${encodeURIComponent(callId)}`)}" data-call-id="${esc(callId)}">${esc(callId.slice(0, 8))}</a>`;
  const range = r.period === 'day' ? day(r.start) : `${day(r.start)} – ${day(r.end - 1)}`;
  const t = r.totals;
  const kpi = (label: string, value: string, chg: string) => `<div class="kpi"><span>${esc(label)}</span><b>${esc(value)}</b>${chg} <span>${esc(L.vsPrev)}</span></div>`;
  const n = r.nps.now;
  const maxCat = Math.max(1, ...r.categories.map((c) => c.calls));
  const maxHist = Math.max(1, ...n.histogram);

  const parts: string[] = [];
  parts.push(`<!doctype html><html lang="${opts.lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${esc(`${L.title[r.period]} ${range}`)}</title><style>${CSS}</style></head><body>`);
  parts.push(`<h1>${esc(L.title[r.period])} · ${esc(range)}</h1><p class="sub">${esc(L.generated)} ${esc(new Date(opts.createdAt).toISOString().slice(0, 16).replace('T', ' '))} UTC · ${esc(L.comparedWith)} ${esc(r.period === 'day' ? day(r.prevStart) : `${day(r.prevStart)} – ${day(r.start - 1)}`)}</p>`);

  parts.push(`<h2>${esc(L.summary)}</h2><div class="kpis" data-section="totals">`);
  parts.push(kpi(L.calls, String(t.calls.now), delta(t.calls.now, t.calls.prev)));
  parts.push(kpi(L.aht, mins(t.avgDurationMs.now), delta(t.avgDurationMs.now === null ? null : t.avgDurationMs.now / 1000, t.avgDurationMs.prev === null ? null : t.avgDurationMs.prev / 1000, { goodUp: false })));
  parts.push(kpi(L.negEnd, pct(t.negEndShare.now), delta(t.negEndShare.now, t.negEndShare.prev, { pct: true, goodUp: false })));
  parts.push(kpi(L.qa, num(t.qaAvg.now, 1), delta(t.qaAvg.now, t.qaAvg.prev, { goodUp: true, d: 1 })));
  parts.push(kpi(L.alarms, String(t.alarms.now), delta(t.alarms.now, t.alarms.prev, { goodUp: false })));
  parts.push(kpi(L.nps, n.nps === null ? '–' : num(n.nps, 1), delta(n.nps, r.nps.prev.nps, { goodUp: true, d: 1 })));
  parts.push('</div>');

  parts.push(`<h2>${esc(L.channels)}</h2>`);
  if (!r.channels.length) parts.push(`<p class="note">${esc(L.none)}</p>`);
  else {
    parts.push(`<table data-section="channels"><tr><th>${esc(L.channel)}</th><th class="n">${esc(L.calls)}</th><th class="n">${esc(L.share)}</th><th></th><th class="n">${esc(L.prevPeriod)}</th><th class="n">${esc(L.change)}</th><th class="n">${esc(L.nps)}</th><th class="n">${esc(L.responses)}</th></tr>`);
    for (const c of r.channels) {
      parts.push(`<tr data-channel="${esc(c.channel)}"><td>${esc(L.channelName[c.channel] ?? c.channel)}</td><td class="n">${c.calls}</td><td class="n">${pct(c.share)}</td><td><span class="bar" style="width:${Math.round(120 * c.share)}px"></span></td><td class="n">${c.prevCalls}</td><td class="n">${delta(c.calls, c.prevCalls)}</td><td class="n" data-nps>${c.nps ?? '–'}</td><td class="n">${c.responses}</td></tr>`);
    }
    parts.push('</table>');
  }

  parts.push(`<h2>${esc(L.categories)}</h2>`);
  if (!r.categories.length) parts.push(`<p class="note">${esc(L.none)}</p>`);
  else {
    parts.push(`<table data-section="categories"><tr><th>${esc(L.category)}</th><th class="n">${esc(L.calls)}</th><th></th><th class="n">${esc(L.hits)}</th><th class="n">${esc(L.prevPeriod)}</th><th class="n">${esc(L.change)}</th></tr>`);
    for (const c of r.categories) {
      parts.push(`<tr data-category="${esc(c.id)}"><td>${esc(c.id)}</td><td class="n">${c.calls}</td><td><span class="bar" style="width:${Math.round((120 * c.calls) / maxCat)}px"></span></td><td class="n">${c.hits}</td><td class="n">${c.prevCalls}</td><td class="n">${delta(c.calls, c.prevCalls)}</td></tr>`);
    }
    parts.push('</table>');
  }

  const fmtBucket = r.hotSpotBucketMs < 86_400_000 ? hour : day;
  parts.push(`<h2>${esc(L.hotSpots)}</h2><p class="note">${esc(L.hotSpotsNote)}</p><div class="cols">`);
  for (const [title, rows, fmt] of [[L.whenHot, r.hotSpots.times, (k: string | number) => fmtBucket(Number(k))], [L.queue, r.hotSpots.queues, (k: string | number) => String(k)]] as const) {
    parts.push(`<table data-section="hotspots"><tr><th>${esc(title)}</th><th class="n">${esc(L.utterances)}</th><th class="n">${esc(L.negShare)}</th><th></th></tr>`);
    if (!rows.length) parts.push(`<tr><td colspan="4" class="note">${esc(L.none)}</td></tr>`);
    for (const h of rows) parts.push(`<tr><td>${esc(fmt(h.key))}</td><td class="n">${h.n}</td><td class="n">${pct(h.negShare)}</td><td><span class="bar neg" style="width:${Math.round(100 * h.negShare)}px"></span></td></tr>`);
    parts.push('</table>');
  }
  parts.push('</div>');

  parts.push(`<h2>${esc(L.npsTitle)}</h2>`);
  if (!n.responses) parts.push(`<p class="note">${esc(L.noSurveys)}</p>`);
  else {
    parts.push(`<p data-section="nps">NPS <b>${num(n.nps, 1)}</b> ${delta(n.nps, r.nps.prev.nps, { goodUp: true, d: 1 })} · ${esc(L.responses)} ${n.responses} · ${esc(L.promoters)} ${n.promoters} · ${esc(L.passives)} ${n.passives} · ${esc(L.detractors)} ${n.detractors}</p><div class="hist">`);
    n.histogram.forEach((c, s) => parts.push(`<div>${c || ''}<i class="${{ promoter: 'p', detractor: 'd', passive: '' }[npsClass(s)]}" style="height:${Math.round((60 * c) / maxHist)}px"></i>${s}</div>`));
    parts.push('</div>');
    parts.push(`<p class="note">${esc(L.driversNote)}</p><table data-section="drivers"><tr><th>${esc(L.driver)}</th><th class="n">${esc(L.responses)}</th><th class="n">NPS</th><th class="n">${esc(L.impact)}</th></tr>`);
    if (!r.drivers.length) parts.push(`<tr><td colspan="4" class="note">${esc(L.none)}</td></tr>`);
    for (const d of r.drivers) parts.push(`<tr><td>${esc(d.driver === 'negative-end' ? L.negativeEnd : d.driver.replace(/^category:/, `${L.category}: `).replace(/^alarm:/, `${L.alarm}: `))}</td><td class="n">${d.responses}</td><td class="n">${num(d.nps, 1)}</td><td class="n">${delta(d.impact, 0, { goodUp: true, d: 1 })}</td></tr>`);
    parts.push('</table>');
  }

  parts.push(`<h2>${esc(L.alarmSummary)}</h2>`);
  if (!r.alarms.length) parts.push(`<p class="note">${esc(L.none)}</p>`);
  else {
    parts.push(`<table data-section="alarms"><tr><th>${esc(L.rule)}</th><th>${esc(L.severity)}</th><th class="n">${esc(L.count)}</th><th class="n">${esc(L.open)}</th><th class="n">${esc(L.acked)}</th><th class="n">${esc(L.resolved)}</th><th class="n">${esc(L.prevPeriod)}</th><th class="n">${esc(L.change)}</th></tr>`);
    for (const a of r.alarms) parts.push(`<tr data-rule="${esc(a.rule)}"><td>${esc(a.rule)}</td><td><span class="tag ${esc(a.severity)}">${esc(L.sev[a.severity as 'info'] ?? a.severity)}</span></td><td class="n">${a.count}</td><td class="n">${a.open}</td><td class="n">${a.acked}</td><td class="n">${a.resolved}</td><td class="n">${a.prevCount}</td><td class="n">${delta(a.count, a.prevCount, { goodUp: false })}</td></tr>`);
    parts.push('</table>');
  }

  parts.push(`<h2>${esc(L.coach)}</h2><p class="note">${esc(L.coachNote(COACH))}</p>`);
  if (!r.coach.length) parts.push(`<p class="note">${esc(L.none)}</p>`);
  else {
    parts.push(`<table data-section="coach"><tr><th>${esc(L.agent)}</th><th class="n">${esc(L.calls)}</th><th class="n">${esc(L.qa)}</th><th class="n">${esc(L.negEnd)}</th><th class="n">${esc(L.alarms)}</th><th>${esc(L.why)}</th><th>${esc(L.exampleCalls)}</th></tr>`);
    for (const a of r.coach) {
      const ev = a.evidence
        .map((c) => `${link(c.callId)} ${c.qa === null ? '' : `QA ${num(c.qa, 0)} `}${c.negativeEnd ? `<span class="tag">${esc(L.negativeEnd)}</span>` : ''}${c.alarmRules.map((x) => `<span class="tag warning">${esc(x)}</span>`).join('')}${c.failedItems.slice(0, 3).map((x) => `<span class="tag">✗ ${esc(x)}</span>`).join('')}`)
        .join('<br>');
      parts.push(`<tr data-agent="${esc(a.agentId)}"><td>${esc(a.agentId)}</td><td class="n">${a.calls}</td><td class="n">${num(a.qaAvg, 1)}</td><td class="n">${pct(a.negEndShare)}</td><td class="n">${a.alarms}</td><td>${a.reasons.map((x) => `<span class="tag">${esc(L.reason[x])}</span>`).join('')}</td><td>${ev}</td></tr>`);
    }
    parts.push('</table>');
  }
  parts.push(`<p class="note">${esc(L.footer)}</p></body></html>`);
  return parts.join('\n');
}

export type { Change };
