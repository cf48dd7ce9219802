#!/usr/bin/env node
// Validates the labelled understanding corpus (corpus/understanding/<lang>/*.jsonl) against CORPUS.md:
// fields and enums, unique ids, minimum counts, no (near-)duplicate text between dev and heldout,
// consistent call labels. No dependencies. Usage: node corpus/understanding/validate.mjs [dir]
// Exit code 0 when valid, 1 on any error (every error is printed, one per line).
// Options: --lang <code> checks only that language folder (e.g. while the other one is being written).
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const langIdx = args.indexOf('--lang');
const onlyLang = langIdx >= 0 ? args.splice(langIdx, 2)[1] : undefined;
// --no-heldout: skip every read of the held-out files (for helpers, who must not read them); the
// checks that need heldout (dev/heldout overlap, category minimums over dev+heldout) are then skipped.
const noHeldout = args.includes('--no-heldout');
if (noHeldout) args.splice(args.indexOf('--no-heldout'), 1);
const root = resolve(args[0] ?? dirname(fileURLToPath(import.meta.url)));
const DOMAINS = ['banking', 'healthcare', 'ecommerce', 'telecom'];
// Later dev batches (dev-d on) may also cover these contact-centre domains.
const BATCH_DOMAINS = [...DOMAINS, 'insurance', 'utilities', 'government'];
const SPEAKERS = ['customer', 'agent'];
const POLARITIES = ['negative', 'neutral', 'positive'];
const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'];
const CATEGORIES = ['complaint', 'churn', 'escalation', 'competitor', 'abuse', 'praise', 'inquiry'];
const TAGS = ['negation', 'sarcasm', 'polite-complaint', 'question', 'implicit-complaint', 'agent', 'contrast',
  'intensifier', 'filler', 'numbers', 'mixed'];
const MIN_UTTERANCES = { dev: 400, heldout: 260 };
const CONVERSATIONS = { 'conversations-dev': 15, 'conversations-heldout': 10 };
// Minimum positives per category per language across dev+heldout.
const MIN_CATEGORY = { complaint: 60, churn: 60, escalation: 60, competitor: 30, abuse: 25, praise: 40, inquiry: 60 };
const MIN_HARD_SHARE = 0.3;
const JACCARD_MAX = 0.8;

const errors = [];
const err = (msg) => errors.push(msg);

function readJsonl(file) {
  const rows = [];
  const lines = readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      rows.push({ row: JSON.parse(line), where: `${file}:${i + 1}` });
    } catch (e) {
      err(`${file}:${i + 1}: not valid JSON (${e.message})`);
    }
  });
  return rows;
}

const isStr = (v) => typeof v === 'string' && v.trim() !== '';
// hide: a held-out row; its text is never printed (errors give the location only).
function checkLabels(u, where, lang, hide = false) {
  if (!BATCH_DOMAINS.includes(u.domain) && u.domain !== undefined) err(`${where}: domain "${u.domain}" not one of ${BATCH_DOMAINS.join('|')}`);
  if (!SPEAKERS.includes(u.speaker)) err(`${where}: speaker "${u.speaker}" not one of ${SPEAKERS.join('|')}`);
  if (!isStr(u.text)) err(`${where}: text missing or empty`);
  else if (lang === 'en' && (/[A-Z]/.test(u.text) || /[.,!?;:"]/.test(u.text)))
    err(`${where}: en text must be lowercase ASR style without punctuation${hide ? '' : `: "${u.text}"`}`);
  else if (lang === 'zh' && /[，。！？；：、,.!?;:"“”]/.test(u.text))
    err(`${where}: zh text must have no punctuation${hide ? '' : `: "${u.text}"`}`);
  if (!POLARITIES.includes(u.polarity)) err(`${where}: polarity "${u.polarity}" not one of ${POLARITIES.join('|')}`);
  if (!EMOTIONS.includes(u.emotion)) err(`${where}: emotion "${u.emotion}" not one of ${EMOTIONS.join('|')}`);
  if (!Array.isArray(u.categories)) err(`${where}: categories must be an array`);
  else {
    for (const c of u.categories) if (!CATEGORIES.includes(c)) err(`${where}: category "${c}" not one of ${CATEGORIES.join('|')}`);
    if (new Set(u.categories).size !== u.categories.length) err(`${where}: duplicate category`);
  }
}

const normalise = (s) => s.toLowerCase().normalize('NFKC').replace(/[\p{P}\p{S}\s]+/gu, ' ').trim();
// Word tokens for en; character bigrams for zh (no spaces between words).
function tokens(s, lang) {
  const n = normalise(s);
  if (lang === 'zh') {
    const c = n.replace(/\s+/g, '');
    const out = new Set();
    for (let i = 0; i + 1 < c.length; i++) out.add(c.slice(i, i + 2));
    if (c.length === 1) out.add(c);
    return out;
  }
  return new Set(n.split(' ').filter(Boolean));
}
function jaccard(a, b) {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  const uni = a.size + b.size - inter;
  return uni === 0 ? 1 : inter / uni;
}

function count(map, key) { map[key] = (map[key] ?? 0) + 1; }

// Language folders are named by their code (en, zh); anything else (e.g. _src) is not corpus data.
const langs = existsSync(root)
  ? readdirSync(root).filter((d) => /^[a-z]{2,3}$/.test(d) && statSync(join(root, d)).isDirectory()).sort()
  : [];
if (onlyLang !== undefined && !langs.includes(onlyLang)) err(`${root}: no folder for language ${onlyLang}`);
if (langs.length === 0) err(`${root}: no language folders (expected e.g. en/, zh/)`);

for (const lang of langs.filter((l) => onlyLang === undefined || l === onlyLang)) {
  const dir = join(root, lang);
  const ids = new Set();
  const texts = { dev: [], heldout: [] };
  const cat = {};
  let hard = 0;
  let total = 0;
  const stats = { domain: {}, speaker: {}, polarity: {}, emotion: {}, tags: {} };
  for (const split of noHeldout ? ['dev'] : ['dev', 'heldout']) {
    const file = join(dir, `${split}.jsonl`);
    if (!existsSync(file)) { err(`${file}: missing`); continue; }
    const rows = readJsonl(file);
    if (rows.length < MIN_UTTERANCES[split]) err(`${file}: ${rows.length} utterances, need >= ${MIN_UTTERANCES[split]}`);
    const seen = new Map();
    for (const { row: u, where } of rows) {
      if (!isStr(u.id)) err(`${where}: id missing`);
      else if (ids.has(u.id)) err(`${where}: duplicate id ${u.id}`);
      else ids.add(u.id);
      if (isStr(u.id) && !u.id.startsWith(`${lang}-${split}-`)) err(`${where}: id ${u.id} should start with ${lang}-${split}-`);
      if (!DOMAINS.includes(u.domain)) err(`${where}: domain "${u.domain}" not one of ${DOMAINS.join('|')}`);
      checkLabels(u, where, lang);
      if (!Array.isArray(u.tags)) err(`${where}: tags must be an array`);
      else for (const t of u.tags) if (!TAGS.includes(t)) err(`${where}: tag "${t}" not one of ${TAGS.join('|')}`);
      if (!isStr(u.text)) continue;
      const n = normalise(u.text);
      if (seen.has(n)) err(`${where}: same text as ${seen.get(n)} in ${split}`);
      seen.set(n, where);
      texts[split].push({ n, tok: tokens(u.text, lang), where });
      total++;
      for (const k of ['domain', 'speaker', 'polarity', 'emotion']) count(stats[k], u[k]);
      if (Array.isArray(u.categories)) for (const c of u.categories) count(cat, c);
      if (Array.isArray(u.tags)) {
        for (const t of u.tags) count(stats.tags, t);
        if (u.tags.some((t) => t !== 'agent')) hard++;
      }
    }
  }
  // Dev and heldout must not share a sentence, exactly or nearly.
  const devByNorm = new Map(texts.dev.map((x) => [x.n, x.where]));
  for (const h of texts.heldout) {
    if (devByNorm.has(h.n)) { err(`${h.where}: same text as ${devByNorm.get(h.n)} (dev/heldout overlap)`); continue; }
    for (const d of texts.dev) {
      const j = jaccard(h.tok, d.tok);
      if (j >= JACCARD_MAX) { err(`${h.where}: near-duplicate of ${d.where} (token Jaccard ${j.toFixed(2)} >= ${JACCARD_MAX})`); break; }
    }
  }
  if (total > 0 && !noHeldout) {
    for (const [c, min] of Object.entries(MIN_CATEGORY))
      if ((cat[c] ?? 0) < min) err(`${lang}: category ${c} has ${cat[c] ?? 0} positives across dev+heldout, need >= ${min}`);
    if (hard / total < MIN_HARD_SHARE) err(`${lang}: ${hard}/${total} utterances tagged as hard cases, need >= ${MIN_HARD_SHARE * 100}%`);
  }

  // Conversations.
  const convStats = { conversations: 0, utterances: 0, endsNegative: 0 };
  const convTexts = { cdev: [], cheldout: [] };
  for (const [name, want] of Object.entries(CONVERSATIONS)) {
    if (noHeldout && name.endsWith('heldout')) continue;
    const file = join(dir, `${name}.jsonl`);
    if (!existsSync(file)) { err(`${file}: missing`); continue; }
    const split = name.endsWith('dev') ? 'cdev' : 'cheldout';
    checkConversations(file, want, `${lang}-${split}-`, lang, ids, convStats, convTexts[split]);
  }

  const fmt = (m) => Object.entries(m).sort().map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`[${lang}] utterances=${total} (dev=${texts.dev.length} heldout=${texts.heldout.length}) hard-tagged=${hard} (${total ? Math.round((100 * hard) / total) : 0}%)`);
  for (const k of ['domain', 'speaker', 'polarity', 'emotion']) console.log(`[${lang}]   ${k}: ${fmt(stats[k])}`);
  console.log(`[${lang}]   categories: ${fmt(cat)}`);
  console.log(`[${lang}]   tags: ${fmt(stats.tags)}`);
  console.log(`[${lang}]   conversations=${convStats.conversations} turns=${convStats.utterances} endsNegative=${convStats.endsNegative}`);

  // Later batches. dev-<x> (dev-c, dev-d, ...: dev-<x>.jsonl, conversations-dev-<x>.jsonl) are further dev batches,
  // ids <lang>-dev<x>- / <lang>-cdev<x>-; each must not (nearly) repeat dev, heldout or an earlier dev batch.
  // heldout-<x> (heldout-b, ...: heldout-<x>.jsonl, conversations-heldout-<x>.jsonl) are further held-out batches,
  // ids <lang>-heldout<x>- / <lang>-cheldout<x>-; each must not (nearly) repeat ANY dev batch (dev and every dev-<x>),
  // heldout or an earlier heldout batch. Heldout text is never printed: matches against heldout and every row error
  // inside a heldout batch are reported by location only. --no-heldout skips the heldout batches entirely.
  const batchNames = (re) => [...new Set(readdirSync(dir).map((f) => re.exec(f)?.[1]).filter(Boolean))].sort();
  const devBatches = batchNames(/^(?:conversations-)?dev-([a-z])\.jsonl$/u).map((b) => ({ split: 'dev', b }));
  const heldBatches = noHeldout ? [] : batchNames(/^(?:conversations-)?heldout-([a-z])\.jsonl$/u).map((b) => ({ split: 'heldout', b }));
  const earlierDev = [];
  const earlierHeld = [];
  for (const { split, b } of [...devBatches, ...heldBatches]) {
    const bn = `${split}-${b}`;
    const held = split === 'heldout';
    const file = join(dir, `${bn}.jsonl`);
    const convFile = join(dir, `conversations-${bn}.jsonl`);
    const dc = { texts: [], stats: { domain: {}, speaker: {}, polarity: {}, emotion: {}, tags: {} }, cat: {}, hard: 0 };
    const domains = split === 'dev' && b === 'c' ? DOMAINS : BATCH_DOMAINS;
    if (existsSync(file)) {
      const seen = new Map();
      for (const { row: u, where } of readJsonl(file)) {
        if (!isStr(u.id)) err(`${where}: id missing`);
        else if (ids.has(u.id)) err(`${where}: duplicate id ${u.id}`);
        else ids.add(u.id);
        if (isStr(u.id) && !u.id.startsWith(`${lang}-${split}${b}-`)) err(`${where}: id ${u.id} should start with ${lang}-${split}${b}-`);
        if (!domains.includes(u.domain)) err(`${where}: domain "${u.domain}" not one of ${domains.join('|')}`);
        checkLabels(u, where, lang, held);
        if (!Array.isArray(u.tags)) err(`${where}: tags must be an array`);
        else for (const t of u.tags) if (!TAGS.includes(t)) err(`${where}: tag "${t}" not one of ${TAGS.join('|')}`);
        if (!isStr(u.text)) continue;
        const n = normalise(u.text);
        if (seen.has(n)) err(`${where}: same text as ${seen.get(n)} in ${bn}`);
        seen.set(n, where);
        dc.texts.push({ n, tok: tokens(u.text, lang), where });
        for (const k of ['domain', 'speaker', 'polarity', 'emotion']) count(dc.stats[k], u[k]);
        if (Array.isArray(u.categories)) for (const c of u.categories) count(dc.cat, c);
        if (Array.isArray(u.tags)) {
          for (const t of u.tags) count(dc.stats.tags, t);
          if (u.tags.some((t) => t !== 'agent')) dc.hard++;
        }
      }
    }
    const dcConv = { conversations: 0, utterances: 0, endsNegative: 0 };
    const dcConvTexts = [];
    if (existsSync(convFile)) checkConversations(convFile, 0, `${lang}-c${split}${b}-`, lang, ids, dcConv, dcConvTexts, held);
    // Short formulaic turns ("okay thanks") may recur in conversations; the overlap rule applies to utterances
    // and to conversation turns of at least four tokens (en words / zh character bigrams).
    const mine = [...dc.texts, ...dcConvTexts.filter((x) => x.tok.size >= 4)];
    const against = [
      { name: 'dev', rows: [...texts.dev, ...convTexts.cdev, ...earlierDev], showWhere: true },
      { name: 'heldout', rows: noHeldout ? [] : [...texts.heldout, ...convTexts.cheldout, ...earlierHeld], showWhere: false },
    ];
    for (const { name, rows, showWhere } of against) {
      const byNorm = new Map(rows.map((x, i) => [x.n, showWhere ? x.where : `${name} item ${i + 1}`]));
      for (const m of mine) {
        if (byNorm.has(m.n)) { err(`${m.where}: same text as ${byNorm.get(m.n)} (${bn}/${name} overlap)`); continue; }
        for (let i = 0; i < rows.length; i++) {
          const j = jaccard(m.tok, rows[i].tok);
          if (j >= JACCARD_MAX) {
            err(`${m.where}: near-duplicate of ${showWhere ? rows[i].where : `${name} item ${i + 1}`} (token Jaccard ${j.toFixed(2)} >= ${JACCARD_MAX}, ${bn}/${name})`);
            break;
          }
        }
      }
    }
    // Informational: how many texts of the batch come close (>= 0.6) to a text of the other side (a dev batch to
    // heldout, a heldout batch to dev); a number only, no text.
    const other = against[held ? 0 : 1].rows;
    const close = mine.filter((m) => other.some((h) => jaccard(m.tok, h.tok) >= 0.6)).length;
    const closeName = held ? 'close-to-dev' : 'close-to-heldout';
    const n = dc.texts.length;
    console.log(`[${lang} ${bn}] utterances=${n} hard-tagged=${dc.hard} (${n ? Math.round((100 * dc.hard) / n) : 0}%) ${closeName}(>=0.6)=${noHeldout ? 'not checked' : close}`);
    for (const k of ['domain', 'speaker', 'polarity', 'emotion']) console.log(`[${lang} ${bn}]   ${k}: ${fmt(dc.stats[k])}`);
    console.log(`[${lang} ${bn}]   categories: ${fmt(dc.cat)}`);
    console.log(`[${lang} ${bn}]   tags: ${fmt(dc.stats.tags)}`);
    console.log(`[${lang} ${bn}]   conversations=${dcConv.conversations} turns=${dcConv.utterances} endsNegative=${dcConv.endsNegative}`);
    (held ? earlierHeld : earlierDev).push(...mine);
  }
}

function checkConversations(file, want, prefix, lang, ids, convStats, convTexts, hide = false) {
  const rows = readJsonl(file);
  if (rows.length < want) err(`${file}: ${rows.length} conversations, need ${want}`);
  for (const { row: c, where } of rows) {
    if (!isStr(c.id)) err(`${where}: id missing`);
    else if (ids.has(c.id)) err(`${where}: duplicate id ${c.id}`);
    else ids.add(c.id);
    if (isStr(c.id) && !c.id.startsWith(prefix)) err(`${where}: id ${c.id} should start with ${prefix}`);
    if (!DOMAINS.includes(c.domain)) err(`${where}: domain "${c.domain}" not one of ${DOMAINS.join('|')}`);
    if (!Array.isArray(c.utterances) || c.utterances.length < 2) { err(`${where}: utterances must be an array of >= 2`); continue; }
    c.utterances.forEach((u, i) => {
      checkLabels(u, `${where} utterance ${i}`, lang, hide);
      if (isStr(u.text)) convTexts.push({ n: normalise(u.text), tok: tokens(u.text, lang), where: `${where} utterance ${i}` });
    });
    const sp = new Set(c.utterances.map((u) => u.speaker));
    if (!sp.has('customer') || !sp.has('agent')) err(`${where}: a conversation needs both customer and agent turns`);
    const call = c.call;
    if (!call || typeof call !== 'object') { err(`${where}: call labels missing`); continue; }
    for (const k of ['start', 'end']) if (!POLARITIES.includes(call[k])) err(`${where}: call.${k} "${call[k]}" not one of ${POLARITIES.join('|')}`);
    if (!Number.isInteger(call.worst) || call.worst < 0 || call.worst >= c.utterances.length) {
      err(`${where}: call.worst ${call.worst} is not an utterance index (0..${c.utterances.length - 1})`);
    } else {
      const rank = (p) => POLARITIES.indexOf(p);
      const worstP = rank(c.utterances[call.worst].polarity);
      const min = Math.min(...c.utterances.map((u) => rank(u.polarity)));
      if (worstP !== min) err(`${where}: call.worst ${call.worst} has polarity ${c.utterances[call.worst].polarity} but a more negative utterance exists`);
    }
    if (typeof call.endsNegative !== 'boolean') err(`${where}: call.endsNegative must be true or false`);
    else if (call.endsNegative !== (call.end === 'negative')) err(`${where}: call.endsNegative ${call.endsNegative} disagrees with call.end "${call.end}"`);
    convStats.conversations++;
    convStats.utterances += c.utterances.length;
    if (call.endsNegative) convStats.endsNegative++;
  }
}

if (errors.length > 0) {
  for (const e of errors) console.error(`ERROR ${e}`);
  console.error(`${errors.length} error(s)`);
  process.exit(1);
}
console.log('corpus OK');
