import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type Config } from './schema.js';
import { EarshotError } from '../errors.js';

/** A config problem, naming the key, the bad value and what is allowed. Start-up stops on it. */
export class ConfigError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_CONFIG';
  constructor(readonly problems: string[]) {
    super('EARSHOT_ERR_CONFIG', undefined, { message: `invalid configuration:\n  - ${problems.join('\n  - ')}` });
    this.name = 'ConfigError';
  }
}

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied last, for tests and the CLI. */
  overrides?: Record<string, unknown>;
}

/** Loads YAML (optional), applies EARSHOT_* environment overrides, fills defaults, validates. */
export function loadConfig(opts: LoadOptions = {}): Config {
  let raw: unknown = {};
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (err) {
      throw new ConfigError([`${opts.file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (err) {
      throw new ConfigError([`${opts.file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError([`${opts.file}: top level must be a mapping of settings`]);
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  applyEnv(merged, opts.env ?? process.env);
  if (opts.overrides) deepMerge(merged, opts.overrides);
  return validateConfig(merged);
}

export function validateConfig(input: unknown): Config {
  const value = Value.Default(ConfigSchema, structuredClone(input)) as unknown;
  const problems = [...Value.Errors(ConfigSchema, value)].map(describe);
  if (problems.length) throw new ConfigError(dedupe(problems));
  const cfg = value as Config;
  if (cfg.rtp.portMin >= cfg.rtp.portMax) throw new ConfigError([`rtp.portMin (${cfg.rtp.portMin}) must be below rtp.portMax (${cfg.rtp.portMax})`]);
  try {
    new RegExp(cfg.sip.agentPattern);
  } catch (err) {
    throw new ConfigError([`sip.agentPattern = ${show(cfg.sip.agentPattern)}: not a valid regular expression (${(err as Error).message})`]);
  }
  try {
    new RegExp(cfg.sip.roles.agentNames, 'iu');
  } catch (err) {
    throw new ConfigError([`sip.roles.agentNames = ${show(cfg.sip.roles.agentNames)}: not a valid regular expression (${(err as Error).message})`]);
  }
  if (Boolean(cfg.http.tlsCert) !== Boolean(cfg.http.tlsKey)) throw new ConfigError(['http.tlsCert and http.tlsKey must be set together']);
  if (cfg.sync.enabled && (!cfg.sync.url || cfg.sync.secret.length < 16)) throw new ConfigError(['sync.enabled needs sync.url and a sync.secret of at least 16 characters']);
  if (cfg.analysis.semantic.enabled && cfg.analysis.semantic.url && !cfg.analysis.semantic.model.trim()) throw new ConfigError(['analysis.semantic.url needs analysis.semantic.model (the model name the server serves)']);
  if (cfg.privacy.callerSalt && cfg.privacy.callerSalt.length < 16) throw new ConfigError(['privacy.callerSalt must be empty (a random salt is kept in the data dir) or at least 16 characters']);
  cfg.kpi.queueMap.forEach((q, i) => {
    try {
      new RegExp(q.agent, 'u');
    } catch (err) {
      throw new ConfigError([`kpi.queueMap[${i}].agent = ${JSON.stringify(q.agent)}: not a regular expression (${(err as Error).message})`]);
    }
  });
  readSyncCa(cfg); // so `config check` catches a bad CA file, not only start-up
  return cfg;
}

/**
 * The collector's private CA from `sync.caFile`, read and parsed once at start; undefined when
 * unset (the system's CAs are used). A missing, unreadable or non-PEM file is a config error.
 */
export function readSyncCa(config: Pick<Config, 'sync'>): string | undefined {
  const path = config.sync.caFile;
  if (!path) return undefined;
  const bad = (why: string) => new ConfigError([`sync.caFile = ${JSON.stringify(path)}: ${why}`]);
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw bad(`cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw bad('not a PEM certificate (no -----BEGIN CERTIFICATE----- block)');
  try {
    new X509Certificate(pem);
  } catch {
    throw bad('the PEM certificate does not parse');
  }
  return pem;
}

function describe(e: ValueError): string {
  const { path, value, schema } = e;
  const key = path.replace(/^\//, '').replaceAll('/', '.') || '(top level)';
  if (e.type === ValueErrorType.ObjectAdditionalProperties) {
    // Here `schema` is the parent object's schema and `path` ends with the unknown key.
    const name = key.split('.').pop() ?? key;
    return `${key}: unknown setting${suggest(name, Object.keys((schema.properties ?? {}) as object))}`;
  }
  if (schema.anyOf) {
    const allowed = (schema.anyOf as TSchema[]).map((s) => JSON.stringify(s.const)).join(', ');
    return `${key} = ${show(value)}: must be one of ${allowed}`;
  }
  const limits: string[] = [];
  if (schema.minimum !== undefined) limits.push(`>= ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`<= ${schema.maximum}`);
  if (schema.pattern) limits.push(`matching /${schema.pattern}/`);
  if (schema.minLength) limits.push(`at least ${schema.minLength} characters`);
  const want = schema.type ? `${schema.type}${limits.length ? ` ${limits.join(', ')}` : ''}` : e.message;
  return `${key} = ${show(value)}: must be ${want}`;
}

function show(v: unknown): string {
  if (v === undefined) return '(missing)';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function suggest(k: string, known: string[]): string {
  const near = known.find((c) => c.toLowerCase() === k.toLowerCase() || distance(c, k) <= 2);
  return near ? ` (did you mean "${near}"?)` : ` (known: ${known.join(', ')})`;
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

function dedupe(xs: string[]): string[] {
  return [...new Set(xs.filter(Boolean))];
}

/** EARSHOT_<PATH> for every leaf of the schema, e.g. speech.engine -> EARSHOT_SPEECH_ENGINE. */
export function envNames(schema: TSchema = ConfigSchema, prefix: string[] = []): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (schema.type === 'object' && schema.properties) {
    for (const [k, s] of Object.entries(schema.properties as Record<string, TSchema>)) {
      for (const [n, p] of envNames(s, [...prefix, k])) out.set(n, p);
    }
  } else {
    const name = 'EARSHOT_' + prefix.map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
    out.set(name, prefix);
  }
  return out;
}

function applyEnv(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, path] of envNames()) {
    const v = env[name];
    if (v === undefined) continue;
    let parsed: unknown = v;
    // Numbers, booleans and JSON arrays come through env as text.
    if (/^(-?\d+(\.\d+)?|true|false|\[.*\]|\{.*\})$/s.test(v.trim())) {
      try {
        parsed = JSON.parse(v);
      } catch {
        parsed = v;
      }
    }
    let o = target;
    for (const k of path.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    o[path[path.length - 1]] = parsed;
  }
}

function deepMerge(target: Record<string, unknown>, src: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(src)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object' && !Array.isArray(target[k])) {
      deepMerge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}
