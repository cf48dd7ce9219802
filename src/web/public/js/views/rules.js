// Rules and scorecards: the analysis rule packs (files, or the console-saved version that replaces
// them), the alarm rules and the QA form. Admins edit a pack as YAML; the server validates the
// whole set before saving (422 names file, rule and position). Supervisors dry-run a pack over
// recent stored (redacted) calls.
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtTime, t } from '../i18n.js';

const isAdmin = (ctx) => ctx.session.role === 'admin';
// Hits listed under a dry run; the per-rule counts cover them all.
const SHOWN = 100;
const canDryRun = (ctx) => ctx.session.role === 'supervisor' || ctx.session.role === 'admin';

export function render(root, ctx, selected) {
  const side = h('div', { class: 'card rules-side', id: 'rules-list' });
  const main = h('div', { class: 'rules-main', id: 'rules-main' });
  root.append(h('section', { class: 'page' }, h('div', { class: 'view-head' }, h('h1', { text: t('rules.title') })), h('div', { class: 'rules-wrap' }, side, main)));

  async function loadList() {
    let data;
    try {
      data = await api('/rules');
    } catch {
      side.replaceChildren(h('p', { class: 'error', text: t('error.generic') }));
      return;
    }
    const item = (p) =>
      h(
        'li',
        {},
        h(
          'a',
          { href: `#/rules/${p.id}`, class: p.id === selected ? 'active' : '', 'data-testid': 'rule-pack', dataset: { pack: p.id } },
          h('span', { text: p.id }),
          h('span', { class: `badge ${p.kind === 'scorecard' ? 'cat' : ''}`, text: p.kind === 'scorecard' ? t('rules.scorecard') : t('rules.pack') }),
          h('span', { class: 'muted small', text: p.origin === 'db' ? `v${p.version}` : t('rules.fromFile') }),
        ),
      );
    side.replaceChildren(
      h('h2', { text: t('rules.packs') }),
      h('ul', { class: 'plain pack-list' }, data.packs.map(item)),
      h('h2', { class: 'gap', text: t('rules.alarmRules') }),
      h('ul', { class: 'plain pack-list' }, data.alarmRules.map((f) => h('li', {}, h('a', { href: '#/rules', 'data-testid': 'alarm-file', onclick: (e) => (e.preventDefault(), showAlarm(f)), text: f.name })))),
    );
    if (!selected) showAlarm(data.alarmRules[0], data.packs.length);
  }

  function showAlarm(f, packs) {
    if (!f) return main.replaceChildren(h('p', { class: 'muted empty', text: t('rules.pick') }));
    main.replaceChildren(
      h('div', { class: 'card' }, h('h2', { text: `${t('rules.alarmRules')} · ${f.name}` }), h('p', { class: 'muted small', text: packs ? t('rules.pick') : t('rules.alarmReadOnly') }), h('pre', { class: 'yaml', 'data-testid': 'alarm-yaml', text: f.text })),
    );
  }

  async function loadPack(id) {
    let data;
    try {
      data = await api(`/rules/${encodeURIComponent(id)}`);
    } catch {
      main.replaceChildren(h('p', { class: 'error', text: t('rules.notFound') }));
      return;
    }
    const { pack } = data;
    let version = pack.version;
    const editor = h('textarea', { id: 'rule-yaml', class: 'yaml', spellcheck: 'false', readonly: !isAdmin(ctx) });
    editor.value = pack.text;
    const errors = h('div', { id: 'rule-errors', class: 'rule-errors', 'data-testid': 'rule-errors' });
    const result = h('div', { id: 'dry-run-result' });
    const info = h('span', { class: 'muted small', id: 'rule-version' });
    const drawInfo = (p) => (info.textContent = p.origin === 'db' || version ? `v${version} · ${p.updatedBy || ''} · ${p.updatedAt ? fmtTime(p.updatedAt) : ''}` : t('rules.fromFile'));
    drawInfo(pack);
    const showErrors = (err) => errors.replaceChildren(h('strong', { text: t('rules.invalid') }), h('ul', {}, (err.body?.errors || [err.body?.message || t('error.generic')]).map((e) => h('li', { text: e }))));
    const days = h('input', { id: 'dry-run-days', type: 'number', min: 1, max: 90, value: 7 });
    const buttons = [];
    if (canDryRun(ctx)) {
      buttons.push(
        h('label', { class: 'filter' }, t('rules.days'), days),
        h('button', {
          id: 'rule-dry-run',
          type: 'button',
          text: t('rules.dryRun'),
          onclick: async () => {
            errors.replaceChildren();
            result.replaceChildren(h('p', { class: 'muted', text: '…' }));
            try {
              drawDryRun(await api('/rules/dry-run', { method: 'POST', body: { yaml: editor.value, days: Number(days.value) || 7, id } }));
            } catch (err) {
              result.replaceChildren();
              showErrors(err);
            }
          },
        }),
      );
    }
    if (isAdmin(ctx)) {
      buttons.push(
        h('button', {
          id: 'rule-save',
          type: 'button',
          class: 'primary',
          text: t('rules.save'),
          onclick: async () => {
            errors.replaceChildren();
            try {
              const r = await api(`/rules/${encodeURIComponent(id)}`, { method: 'PUT', body: { yaml: editor.value, version } });
              version = r.pack.version;
              drawInfo(r.pack);
              errors.replaceChildren(h('span', { class: 'ok', 'data-testid': 'rule-saved', text: t('rules.saved', { version }) }));
              loadList();
            } catch (err) {
              showErrors(err);
            }
          },
        }),
      );
    }

    function drawDryRun(r) {
      const th = (key, cls) => h('th', { class: cls, text: t(key) });
      const rows = Object.entries(r.byRule).map(([rule, s]) => h('tr', {}, h('td', { text: rule }), h('td', { class: 'n', text: String(s.hits) }), h('td', { class: 'n', text: String(s.calls) })));
      const hit = (x) => h('li', { class: `utt role-${x.role || 'unknown'}` }, h('a', { class: 'who', href: `#/calls/${x.callId}`, text: x.callId.slice(0, 8) }), h('span', { class: 'badge cat', text: x.rule }), h('span', { text: x.text ?? t('rules.absentHit') }));
      result.replaceChildren(
        h('h2', { text: t('rules.dryRunResult', { calls: r.calls, utterances: r.utterances }) }),
        h('table', { class: 'data', 'data-testid': 'dry-run-rules' }, h('tr', {}, th('alarms.rule'), th('rules.hits', 'n'), th('dash.calls', 'n')), rows),
        r.hits.length ? h('ol', { class: 'transcript dry-hits', 'data-testid': 'dry-run-hits' }, r.hits.slice(0, SHOWN).map(hit)) : h('p', { class: 'muted', text: t('rules.noHits') }),
      );
      if (r.truncated || r.hits.length > SHOWN) result.append(h('p', { class: 'muted small', text: t('rules.truncated') }));
    }

    const card = (data.scorecards || [])[0];
    const head = h('div', { class: 'panel-head' }, h('h2', { text: `${pack.id}${pack.file ? ` · ${pack.file.split('/').pop()}` : ''}` }), info);
    const hint = isAdmin(ctx) ? null : h('span', { class: 'muted small', text: t('rules.readOnly') });
    const parts = [h('div', { class: 'card' }, head, editor, h('div', { class: 'row' }, buttons, hint), errors)];
    if (card) {
      const rows = card.items.map((i) => h('tr', {}, h('td', { text: i.label }), h('td', { class: 'n', text: String(i.weight) })));
      parts.push(
        h(
          'div',
          { class: 'card', 'data-testid': 'qa-form' },
          h('h2', { text: `${t('rules.qaForm')} · ${card.name || card.id}` }),
          h('table', { class: 'data' }, h('tr', {}, h('th', { text: t('rules.item') }), h('th', { class: 'n', text: t('rules.weight') })), rows),
        ),
      );
    }
    parts.push(h('div', { class: 'card' }, result));
    main.replaceChildren(...parts);
  }

  loadList();
  if (selected) loadPack(selected);
}
