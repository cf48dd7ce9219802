// Rules and scorecards: the analysis rule packs and the alarm rule files (files, or the
// console-saved version that replaces them) and the QA form. Admins edit either as YAML in one
// editor; the server validates the whole set before saving (422 names file, rule, key and
// position; alarm problems also come located and translatable). Supervisors see them read-only
// and dry-run them over recent stored (redacted) calls.
import { api } from '../api.js';
import { h } from '../dom.js';
import { fmtTime, t } from '../i18n.js';
import { catName, loadCategoryNames } from '../categories.js';

const isAdmin = (ctx) => ctx.session.role === 'admin';
// Hits listed under a dry run; the per-rule counts cover them all.
const SHOWN = 100;
const canDryRun = (ctx) => ctx.session.role === 'supervisor' || ctx.session.role === 'admin';

/** A refused save or dry run, from the API's one error body: its problems, errors or message. */
function drawErrors(el, err) {
  const d = err.details || {};
  const list = d.problems?.length ? d.problems.map(problemText) : d.errors || [err.message || t('error.generic')];
  el.replaceChildren(h('strong', { text: err.status === 409 ? t('rules.conflict') : t('rules.invalid') }), h('ul', {}, list.map((e) => h('li', { 'data-testid': 'rule-error', text: e }))));
}

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
      h('h2', { class: 'gap', text: t('rules.siteTerms') }),
      h(
        'ul',
        { class: 'plain pack-list' },
        h('li', {}, h('a', { href: '#/rules', class: termsShown ? 'active' : '', 'data-testid': 'site-terms-link', onclick: (e) => (e.preventDefault(), openTerms()) }, h('span', { text: t('terms.lists') }))),
      ),
      h('h2', { class: 'gap', text: t('rules.alarmRules') }),
      h(
        'ul',
        { class: 'plain pack-list' },
        data.alarmRules.map((f) =>
          h(
            'li',
            {},
            h(
              'a',
              { href: '#/rules', class: f.id === alarmShown ? 'active' : '', 'data-testid': 'alarm-file', dataset: { file: f.id }, onclick: (e) => (e.preventDefault(), openAlarm(f.id)) },
              h('span', { text: f.name }),
              h('span', { class: 'muted small', text: f.origin === 'db' ? `v${f.version}` : t('rules.fromFile') }),
            ),
          ),
        ),
      ),
    );
    if (!selected && !alarmShown) main.replaceChildren(h('p', { class: 'muted empty', text: t('rules.pick') }));
  }

  // Site terms open in place too: lists the site adds to the built-in concepts, dry run, save.
  let termsShown = false;
  async function openTerms() {
    termsShown = true;
    alarmShown = null;
    for (const a of side.querySelectorAll('a')) a.classList.toggle('active', a.dataset.testid === 'site-terms-link');
    let data;
    try {
      data = await api('/rules/site-terms');
    } catch {
      main.replaceChildren(h('p', { class: 'error', text: t('error.generic') }));
      return;
    }
    let version = data.version;
    const boxes = Object.keys(data.lists).map((name) => {
      const box = h('textarea', { id: `terms-${name}`, class: 'yaml terms', spellcheck: 'false', readonly: !isAdmin(ctx) && !canDryRun(ctx), rows: 6, 'data-testid': 'site-terms-list', dataset: { list: name } });
      box.value = data.lists[name].join('\n');
      const builtin = data.builtin[name] || [];
      const label = t(`terms.list.${name}`) === `terms.list.${name}` ? name : t(`terms.list.${name}`);
      return { name, box, el: h('div', { class: 'terms-list' }, h('h3', { text: label }), builtin.length ? h('p', { class: 'muted small', text: t('terms.builtin', { terms: builtin.slice(0, 30).join(', ') + (builtin.length > 30 ? ' …' : '') }) }) : null, box) };
    });
    const lists = () => Object.fromEntries(boxes.map((b) => [b.name, b.box.value.split('\n').map((x) => x.trim()).filter(Boolean)]));
    const errors = h('div', { class: 'rule-errors', 'data-testid': 'rule-errors' });
    const result = h('div', { id: 'terms-result' });
    const showErrors = (err) => drawErrors(errors, err);
    const days = h('input', { id: 'terms-days', type: 'number', min: 1, max: 90, value: 7 });
    const buttons = [];
    if (canDryRun(ctx)) {
      buttons.push(
        h('label', { class: 'filter' }, t('rules.days'), days),
        h('button', {
          id: 'terms-dry-run',
          type: 'button',
          text: t('rules.dryRun'),
          onclick: async () => {
            errors.replaceChildren();
            result.replaceChildren(h('p', { class: 'muted', text: '…' }));
            try {
              drawTermsRun(result, await api('/rules/site-terms/dry-run', { method: 'POST', body: { lists: lists(), days: Number(days.value) || 7 } }));
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
          id: 'terms-save',
          type: 'button',
          class: 'primary',
          text: t('rules.save'),
          onclick: async () => {
            errors.replaceChildren();
            try {
              const r = await api('/rules/site-terms', { method: 'PUT', body: { lists: lists(), version } });
              version = r.version;
              errors.replaceChildren(h('span', { class: 'ok', 'data-testid': 'rule-saved', text: t('rules.saved', { version }) }));
              loadList();
            } catch (err) {
              showErrors(err);
            }
          },
        }),
      );
    }
    const hint = isAdmin(ctx) ? null : h('span', { class: 'muted small', text: t('rules.readOnly') });
    main.replaceChildren(
      h('div', { class: 'card', 'data-testid': 'site-terms' }, h('div', { class: 'panel-head' }, h('h2', { text: t('rules.siteTerms') }), h('span', { class: 'muted small', text: version ? `v${version}` : '' })), h('p', { class: 'muted small', text: t('terms.intro') }), boxes.map((b) => b.el), h('div', { class: 'row' }, buttons, hint), errors),
      h('div', { class: 'card' }, result),
    );
  }

  // Alarm files open in place (the hash keeps #/rules): the shell's routes name packs only.
  let alarmShown = null;
  function openAlarm(id) {
    alarmShown = id;
    termsShown = false;
    for (const a of side.querySelectorAll('a')) a.classList.toggle('active', a.dataset.file === id);
    loadPack(id, ALARM);
  }

  async function loadPack(id, kind = PACK) {
    let data;
    try {
      data = await api(kind.get(id));
    } catch {
      main.replaceChildren(h('p', { class: 'error', text: t('rules.notFound') }));
      return;
    }
    const pack = data.pack ?? data.file;
    let version = pack.version;
    const editor = h('textarea', { id: 'rule-yaml', class: 'yaml', spellcheck: 'false', readonly: !isAdmin(ctx) });
    editor.value = pack.text;
    const errors = h('div', { id: 'rule-errors', class: 'rule-errors', 'data-testid': 'rule-errors' });
    const result = h('div', { id: 'dry-run-result' });
    const info = h('span', { class: 'muted small', id: 'rule-version' });
    const drawInfo = (p) => (info.textContent = p.origin === 'db' || version ? `v${version} · ${p.updatedBy || ''} · ${p.updatedAt ? fmtTime(p.updatedAt) : ''}` : t('rules.fromFile'));
    drawInfo(pack);
    const showErrors = (err) => drawErrors(errors, err);
    // Alarm files: their rules at a glance, redrawn after a save.
    const tableSlot = h('div', {}, kind === ALARM && data.rules?.length ? alarmTable(data.rules) : null);
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
              drawDryRun(await api(kind.dryRun, { method: 'POST', body: { yaml: editor.value, days: Number(days.value) || 7, id } }));
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
              const r = await api(kind.get(id), { method: 'PUT', body: { yaml: editor.value, version } });
              const saved = r.pack ?? r.file;
              version = saved.version;
              drawInfo(saved);
              const msg = kind === PACK ? t('rules.saved', { version }) : r.reloaded ? t('rules.alarmSaved', { version }) : t('rules.alarmSavedNotLive', { version });
              errors.replaceChildren(h('span', { class: 'ok', 'data-testid': 'rule-saved', text: msg }));
              loadList();
              if (kind === PACK) loadCategoryNames(true);
              if (kind === ALARM) api(kind.get(id)).then((d) => tableSlot.replaceChildren(alarmTable(d.rules))).catch(() => {});
            } catch (err) {
              showErrors(err);
            }
          },
        }),
      );
    }

    function drawDryRun(r) {
      const th = (key, cls) => h('th', { class: cls, text: t(key) });
      const rows = Object.entries(r.byRule).map(([rule, s]) => h('tr', {}, h('td', { text: kind === PACK && catName(rule) !== rule ? `${catName(rule)} (${rule})` : rule }), h('td', { class: 'n', text: String(s.hits) }), h('td', { class: 'n', text: String(s.calls) })));
      const hit = (x) => h('li', { class: `utt role-${x.role || 'unknown'}` }, h('a', { class: 'who', href: `#/calls/${x.callId}`, text: x.callId.slice(0, 8) }), h('span', { class: 'badge cat', title: x.rule, text: kind === PACK ? catName(x.rule) : x.rule }), h('span', { text: x.text ?? t('rules.absentHit') }));
      result.replaceChildren(
        h('h2', { text: t('rules.dryRunResult', { calls: r.calls, utterances: r.utterances }) }),
        h('table', { class: 'data', 'data-testid': 'dry-run-rules' }, h('tr', {}, th('alarms.rule'), th(kind === PACK ? 'rules.hits' : 'rules.alarmsRaised', 'n'), th('dash.calls', 'n')), rows),
        r.hits.length ? h('ol', { class: 'transcript dry-hits', 'data-testid': 'dry-run-hits' }, r.hits.slice(0, SHOWN).map(hit)) : h('p', { class: 'muted', text: t(kind === PACK ? 'rules.noHits' : 'rules.noAlarms') }),
      );
      if (r.truncated || r.hits.length > SHOWN) result.append(h('p', { class: 'muted small', text: t('rules.truncated') }));
    }

    const card = (data.scorecards || [])[0];
    const title = kind === PACK ? `${pack.id}${pack.file ? ` · ${pack.file.split('/').pop()}` : ''}` : `${t('rules.alarmRules')} · ${pack.name}`;
    const head = h('div', { class: 'panel-head' }, h('h2', { text: title }), info);
    const hint = isAdmin(ctx) ? null : h('span', { class: 'muted small', text: t('rules.readOnly') });
    const parts = [h('div', { class: 'card', 'data-testid': 'rule-editor', dataset: { kind: kind.name, id } }, head, editor, h('div', { class: 'row' }, buttons, hint), errors)];
    if (kind === ALARM) parts.push(tableSlot);
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

// A site-terms dry run: per rule, hits now and with the new terms, what they newly hit.
function drawTermsRun(result, r) {
  const th = (key, cls) => h('th', { class: cls, text: t(key) });
  const rows = Object.entries(r.byRule).map(([rule, s]) =>
    h('tr', { dataset: { rule } }, h('td', { text: catName(rule) }), h('td', { class: 'n', text: String(s.before.hits) }), h('td', { class: 'n', text: String(s.after.hits) }), h('td', { class: 'n', text: `+${s.gained.utterances}` }), h('td', { class: 'n', text: `+${s.gained.calls}` }), h('td', { class: 'n', text: s.lost.utterances ? `−${s.lost.utterances}` : '0' })),
  );
  const hit = (x) => h('li', { class: `utt role-${x.role || 'unknown'}` }, h('a', { class: 'who', href: `#/calls/${x.callId}`, text: x.callId.slice(0, 8) }), h('span', { class: 'badge cat', title: x.rule, text: catName(x.rule) }), h('span', { text: x.text ?? t('rules.absentHit') }));
  result.replaceChildren(
    h('h2', { text: t('terms.dryRunResult', { calls: r.calls, utterances: r.utterances }) }),
    rows.length
      ? h('table', { class: 'data', 'data-testid': 'terms-dry-run' }, h('tr', {}, th('alarms.rule'), th('terms.before', 'n'), th('terms.after', 'n'), th('terms.gained', 'n'), th('terms.gainedCalls', 'n'), th('terms.lost', 'n')), rows)
      : h('p', { class: 'muted', 'data-testid': 'terms-no-change', text: t('terms.noChange') }),
    r.gained.length ? h('ol', { class: 'transcript dry-hits', 'data-testid': 'terms-gained' }, r.gained.slice(0, SHOWN).map(hit)) : null,
  );
  if (r.truncated) result.append(h('p', { class: 'muted small', text: t('rules.truncated') }));
}

// The two kinds of editable rule source and where the API keeps them.
const PACK = { name: 'pack', get: (id) => `/rules/${encodeURIComponent(id)}`, dryRun: '/rules/dry-run' };
const ALARM = { name: 'alarm', get: (id) => `/rules/alarms/${encodeURIComponent(id)}`, dryRun: '/rules/alarms/dry-run' };

// Alarm problems arrive located ({code, line, rule, key, params}): said in the console's language.
const PROBLEM_KEYS = {
  yaml: 'ruleErr.yaml',
  shape: 'ruleErr.shape',
  kind: 'ruleErr.kind',
  'unknown-key': 'ruleErr.unknownKey',
  value: 'ruleErr.value',
  needs: 'ruleErr.needs',
  duplicate: 'ruleErr.duplicate',
};
function problemText(p) {
  const where = [p.line ? t('ruleErr.line', { line: p.line }) : null, p.rule ? t('ruleErr.rule', { rule: p.rule }) : null, p.key ? t('ruleErr.key', { key: p.key }) : null].filter(Boolean).join(' · ');
  const what = PROBLEM_KEYS[p.code] ? t(PROBLEM_KEYS[p.code], p.params || {}) : p.message;
  return where ? `${where}: ${what}` : what;
}

/** The file's rules at a glance: what an admin usually edits (severity, cooldown, escalation, enabled). */
function alarmTable(rules) {
  const th = (key, cls) => h('th', { class: cls, text: t(key) });
  return h(
    'div',
    { class: 'card' },
    h(
      'table',
      { class: 'data', 'data-testid': 'alarm-rules-table' },
      h('tr', {}, th('alarms.rule'), th('rules.kind'), th('rules.threshold'), th('alarms.filterSeverity'), th('rules.cooldown', 'n'), th('rules.escalateAfter', 'n'), th('rules.enabled')),
      rules.map((r) =>
        h(
          'tr',
          { dataset: { rule: r.id } },
          h('td', { text: r.id }),
          h('td', { text: r.kind }),
          h('td', { class: 'mono small', text: r.threshold || '' }),
          h('td', {}, h('span', { class: `badge sev-${r.severity}`, text: t(`severity.${r.severity}`) })),
          h('td', { class: 'n', text: `${r.cooldownSeconds} s` }),
          h('td', { class: 'n', text: r.escalateAfterMinutes ? `${r.escalateAfterMinutes} min` : '—' }),
          h('td', { text: r.enabled ? '✓' : '✗' }),
        ),
      ),
    ),
  );
}
