import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyContextConfig, FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Store } from '../../store/types.js';
import { compareSets, dbSource, dryRun, listPacks, PACK_ID, savePack, storedRuleSources, validateWith } from '../../analysis/rules/packs.js';
import { builtinTerms, checkTerms, currentSet, SITE_TERM_LIMITS, SITE_TERMS_ID, storedTerms } from '../../analysis/rules/site-terms.js';
import type { RuleSource } from '../../analysis/index.js';
import { MAX_RULE_FILE_CHARS, positionOf } from '../../alarms/rules.js';
import { poolAlarmDryRun, ALARM_READS } from '../../alarms/reads.js';
import { poolCompareTerms, poolDryRun, RULE_READS } from '../../analysis/rules/reads.js';
import { alarmDryRun, alarmRowId, thresholdOf, listAlarmRuleFiles, validateAlarmFile, type AlarmError, type AlarmRule, type AlarmRuleFile } from '../../alarms/index.js';
import { errorBody, sendError } from '../errors.js';

export interface RuleRoutesDeps {
  config: Pick<Config, 'analysis' | 'alarms'>;
  /** `reads` present (a file store): dry runs run in the read pool, off the event loop. */
  store: Pick<Store, 'repos' | 'audit' | 'reads'>;
  metrics: Metrics;
  log: Logger;
  /**
   * Called after a pack is saved, with every pack stored in the database (each replaces the
   * rules-directory file of the same name): reload the analysis stage's rules here.
   */
  onRulesChanged: (stored: RuleSource[]) => unknown;
  /**
   * Called after an alarm rule file is saved, with the whole validated set (enabled rules):
   * reload the alarm stage here (`alarms.reloadRules(rules)`). Absent: saved, reloaded at next start.
   */
  onAlarmRulesChanged?: (rules: AlarmRule[]) => unknown;
  clock?: () => number;
}

const MAX_YAML = MAX_RULE_FILE_CHARS;
// The schema lets oversize text through to validation, which answers 422 with where the limit
// falls (a bare 400 would not say); the body limit still stops anything far larger.
const MAX_BODY_YAML = MAX_YAML * 2;
const IdParam = Type.Object({ id: Type.String({ pattern: PACK_ID.source, maxLength: 63 }) });
const PutBody = Type.Object(
  {
    yaml: Type.String({ minLength: 1, maxLength: MAX_BODY_YAML }),
    /** The version the editor started from: a different stored version answers 409. */
    version: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
const DryRunBody = Type.Object(
  {
    yaml: Type.String({ minLength: 1, maxLength: MAX_BODY_YAML }),
    days: Type.Integer({ minimum: 1, maximum: 90, default: 7 }),
    /** The pack (or alarm rule file: same id form) this text would replace, so its ids do not clash with themselves. */
    id: Type.Optional(Type.String({ pattern: PACK_ID.source, maxLength: 63 })),
  },
  { additionalProperties: false },
);
const TermLists = Type.Record(Type.String({ pattern: PACK_ID.source, maxLength: 63 }), Type.Array(Type.String({ maxLength: 200 }), { maxItems: SITE_TERM_LIMITS.terms * 2 }), { maxProperties: 20 });
const TermsBody = Type.Object(
  {
    lists: TermLists,
    /** The version the editor started from: a different stored version answers 409. */
    version: Type.Optional(Type.Integer({ minimum: 0 })),
  },
  { additionalProperties: false },
);
const TermsDryRunBody = Type.Object({ lists: TermLists, days: Type.Integer({ minimum: 1, maximum: 90, default: 7 }) }, { additionalProperties: false });
// The web guard reads config.minRole (src/web/auth/guard.ts).
const role = (minRole: 'supervisor' | 'admin') => ({ minRole }) as FastifyContextConfig;

/**
 * Rule packs, alarm rules and the QA form for the console, as a Fastify plugin to mount under
 * /api/v1: GET /rules, GET /rules/:id, PUT /rules/:id (admin), POST /rules/dry-run (supervisor);
 * alarm rule files the same way under /rules/alarms/:id and POST /rules/alarms/dry-run.
 */
export function ruleRoutes(deps: RuleRoutesDeps): FastifyPluginAsync {
  const dir = resolve(deps.config.analysis.rulesDir);
  const now = deps.clock ?? Date.now;
  // Rule packs list their errors as `file:line:col: ...` sentences; alarm rule files also carry
  // located, translatable problems for the console.
  const invalid = (errors: string[], problems?: AlarmError['details']) =>
    errorBody('EARSHOT_ERR_RULES', errors[0], { errors: errors.slice(0, 50), ...(problems ? { problems: problems.slice(0, 50) } : {}) });
  // A rule pack's validation, with its size checked first (as alarm rule files check theirs).
  const validatePack = (id: string, text: string): ReturnType<typeof validateWith> => {
    if (text.length <= MAX_YAML) return validateWith(dir, deps.store.repos.rulePacks, id, text);
    const { line, col } = positionOf(text, MAX_YAML);
    return { ok: false, errors: [`${dbSource(id)}:${line}:${col}: larger than ${MAX_YAML / 1024} KiB (${text.length} characters)`] };
  };
  const alarmsPath = resolve(deps.config.alarms.rulesDir);
  // Alarm rule errors also carry their located, translatable form for the console.
  const invalidAlarms = (err: AlarmError) => {
    deps.metrics.badInput('alarm-rules', err.reason);
    return invalid(err.problems, err.details);
  };
  // The server's paths stay on the server.
  const fileView = ({ file: _f, ...f }: AlarmRuleFile) => f;

  return async (app) => {
    // Read per request: the store may be handed over after the plugin is built.
    const alarmRules = () => deps.store.repos.alarmRules;
    const packs = () => deps.store.repos.rulePacks;
    // Dry runs go to the read pool when its workers load the stage's tasks (as `serve` sets it up).
    const poolFor = (tasks: URL) => (deps.store.reads?.serves(tasks) ? deps.store.reads : undefined);

    app.get('/rules', async () => ({
      packs: listPacks(dir, packs()).map(({ text: _t, ...p }) => p),
      alarmRules: listAlarmRuleFiles(alarmsPath, alarmRules()).map(fileView),
    }));

    // Site terms: lists added to the built-in concepts (competitors, products, ...), with a dry run
    // of what they change before an admin saves them as the `site-terms` pack.
    app.get('/rules/site-terms', async () => {
      const stored = storedTerms(packs());
      return { ...stored, builtin: builtinTerms(dir, packs(), Object.keys(stored.lists)) };
    });

    app.post<{ Body: Static<typeof TermsDryRunBody> }>('/rules/site-terms/dry-run', { schema: { body: TermsDryRunBody }, config: role('supervisor') }, async (req, reply) => {
      const v = checkTerms(dir, packs(), req.body.lists);
      if (!v.ok) {
        deps.metrics.badInput('rules', 'invalid');
        return reply.code(422).send(invalid(v.errors));
      }
      const before = currentSet(dir, packs());
      if (!before) return sendError(reply, 'EARSHOT_ERR_CONFLICT', 'the stored rule set is invalid; fix the packs first');
      deps.store.audit(req.session!.user.username, 'site-terms.dry-run', SITE_TERMS_ID, `${req.body.days}d`);
      const since = now() - req.body.days * 86_400_000;
      const reads = poolFor(RULE_READS);
      if (!reads) return { days: req.body.days, lists: v.lists, ...compareSets(packs(), before, v.set, since) };
      const r = await poolCompareTerms(reads, { dir, lists: req.body.lists, since });
      if (!r.ok) return sendError(reply, 'EARSHOT_ERR_CONFLICT', `the rules changed meanwhile: ${r.errors[0]}`);
      return { days: req.body.days, lists: v.lists, ...r.run };
    });

    app.put<{ Body: Static<typeof TermsBody> }>('/rules/site-terms', { schema: { body: TermsBody }, config: role('admin') }, async (req, reply) => {
      const current = storedTerms(packs());
      if (req.body.version !== undefined && req.body.version !== current.version) {
        return sendError(reply, 'EARSHOT_ERR_CONFLICT', `the site terms changed meanwhile (now version ${current.version}); reload them`);
      }
      const v = checkTerms(dir, packs(), req.body.lists);
      if (!v.ok) {
        deps.metrics.badInput('rules', 'invalid');
        return reply.code(422).send(invalid(v.errors));
      }
      const user = req.session!.user.username;
      const saved = savePack(packs(), SITE_TERMS_ID, v.yaml, user, now(), 'category');
      deps.store.audit(user, 'site-terms.update', SITE_TERMS_ID, `v${saved.version}`);
      let reloaded = true;
      try {
        await deps.onRulesChanged(storedRuleSources(packs()));
      } catch (err) {
        reloaded = false;
        deps.log.error({ code: (err as { code?: string }).code }, 'site terms saved but not reloaded');
      }
      return { version: saved.version, lists: v.lists, reloaded };
    });

    app.get<{ Params: Static<typeof IdParam> }>('/rules/:id', { schema: { params: IdParam } }, async (req, reply) => {
      const pack = listPacks(dir, packs()).find((p) => p.id === req.params.id);
      if (!pack) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no such rule pack');
      const v = validateWith(dir, packs(), pack.id, pack.text);
      return { pack, scorecards: v.ok ? v.set.scorecards.filter((c) => c.source === dbSource(pack.id)).map((c) => ({ id: c.id, name: c.name, items: c.items.map((i) => ({ id: i.id, label: i.label, weight: i.weight })) })) : [] };
    });

    app.put<{ Params: Static<typeof IdParam>; Body: Static<typeof PutBody> }>(
      '/rules/:id',
      { schema: { params: IdParam, body: PutBody }, config: role('admin'), bodyLimit: MAX_BODY_YAML * 2 },
      async (req, reply) => {
        const { id } = req.params;
        const current = listPacks(dir, packs()).find((p) => p.id === id);
        if (req.body.version !== undefined && req.body.version !== (current?.version ?? 0)) {
          return sendError(reply, 'EARSHOT_ERR_CONFLICT', `the pack changed meanwhile (now version ${current?.version ?? 0}); reload it`, { version: current?.version ?? 0 });
        }
        const v = validatePack(id, req.body.yaml);
        if (!v.ok) {
          deps.metrics.badInput('rules', 'invalid');
          return reply.code(422).send(invalid(v.errors));
        }
        const user = req.session!.user.username;
        const saved = savePack(packs(), id, req.body.yaml, user, now());
        deps.store.audit(user, 'rule.update', id, `v${saved.version}`);
        let reloaded = true;
        try {
          await deps.onRulesChanged(storedRuleSources(packs()));
        } catch (err) {
          reloaded = false;
          deps.log.error({ code: (err as { code?: string }).code }, 'rules saved but not reloaded');
        }
        return { pack: { id, origin: 'db', version: saved.version, kind: saved.kind, updatedBy: user, updatedAt: saved.updatedAt }, rules: v.set.rules.length, reloaded };
      },
    );

    app.post<{ Body: Static<typeof DryRunBody> }>('/rules/dry-run', { schema: { body: DryRunBody }, config: role('supervisor'), bodyLimit: MAX_BODY_YAML * 2 }, async (req, reply) => {
      const id = req.body.id ?? 'dry-run';
      const v = validatePack(id, req.body.yaml);
      if (!v.ok) {
        deps.metrics.badInput('rules', 'invalid');
        return reply.code(422).send(invalid(v.errors));
      }
      // The answer quotes stored (redacted) transcript lines: audited like a transcript view.
      deps.store.audit(req.session!.user.username, 'rule.dry-run', id, `${req.body.days}d`);
      const since = now() - req.body.days * 86_400_000;
      const reads = poolFor(RULE_READS);
      if (!reads) return { rules: v.packRules, days: req.body.days, ...dryRun(packs(), v.set, v.packRules, since) };
      const r = await poolDryRun(reads, { dir, id, text: req.body.yaml, since });
      if (!r.ok) return sendError(reply, 'EARSHOT_ERR_CONFLICT', `the rules changed meanwhile: ${r.errors[0]}`);
      return { rules: v.packRules, days: req.body.days, ...r.run };
    });

    app.get<{ Params: Static<typeof IdParam> }>('/rules/alarms/:id', { schema: { params: IdParam } }, async (req, reply) => {
      const file = listAlarmRuleFiles(alarmsPath, alarmRules()).find((f) => f.id === req.params.id);
      if (!file) return sendError(reply, 'EARSHOT_ERR_NOT_FOUND', 'no such alarm rule file');
      const v = validateAlarmFile(alarmsPath, alarmRules(), file.id, file.text);
      const rules = v.ok ? v.fileRules.map((r) => ({ id: r.id, kind: r.kind, threshold: thresholdOf(r), severity: r.severity, enabled: r.enabled, cooldownSeconds: r.cooldownSeconds, escalateAfterMinutes: r.escalateAfterMinutes })) : [];
      return { file: fileView(file), rules };
    });

    app.put<{ Params: Static<typeof IdParam>; Body: Static<typeof PutBody> }>(
      '/rules/alarms/:id',
      { schema: { params: IdParam, body: PutBody }, config: role('admin'), bodyLimit: MAX_BODY_YAML * 2 },
      async (req, reply) => {
        const { id } = req.params;
        const current = listAlarmRuleFiles(alarmsPath, alarmRules()).find((f) => f.id === id);
        if (req.body.version !== undefined && req.body.version !== (current?.version ?? 0)) {
          return sendError(reply, 'EARSHOT_ERR_CONFLICT', `the alarm rules changed meanwhile (now version ${current?.version ?? 0}); reload them`, { version: current?.version ?? 0 });
        }
        const v = validateAlarmFile(alarmsPath, alarmRules(), id, req.body.yaml);
        if (!v.ok) return reply.code(422).send(invalidAlarms(v.error));
        const user = req.session!.user.username;
        const saved = savePack(packs(), alarmRowId(id), req.body.yaml, user, now(), 'alarm');
        deps.store.audit(user, 'alarm-rule.update', id, `v${saved.version}`);
        let reloaded = false;
        if (deps.onAlarmRulesChanged) {
          try {
            await deps.onAlarmRulesChanged(v.rules);
            reloaded = true;
          } catch (err) {
            deps.log.error({ code: (err as { code?: string }).code }, 'alarm rules saved but not reloaded');
          }
        }
        const file = { id, name: current?.name ?? `${id}.yaml`, origin: 'db', version: saved.version, updatedBy: user, updatedAt: saved.updatedAt };
        return { file, rules: v.fileRules.length, active: v.rules.length, reloaded };
      },
    );

    app.post<{ Body: Static<typeof DryRunBody> }>('/rules/alarms/dry-run', { schema: { body: DryRunBody }, config: role('supervisor'), bodyLimit: MAX_BODY_YAML * 2 }, async (req, reply) => {
      const id = req.body.id ?? 'dry-run';
      const v = validateAlarmFile(alarmsPath, alarmRules(), id, req.body.yaml);
      if (!v.ok) return reply.code(422).send(invalidAlarms(v.error));
      deps.store.audit(req.session!.user.username, 'alarm-rule.dry-run', id, `${req.body.days}d`);
      const report = v.fileRules.filter((r) => r.enabled).map((r) => r.id);
      const since = now() - req.body.days * 86_400_000;
      const reads = poolFor(ALARM_READS);
      const run = reads ? await poolAlarmDryRun(reads, { rules: v.rules, report, since }) : alarmDryRun(deps.store.repos.alarmReplay, v.rules, report, since);
      return { rules: report, days: req.body.days, ...run };
    });
  };
}
