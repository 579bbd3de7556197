import fs from 'node:fs';
import path from 'node:path';
import { configSchema, type ParsedConfig, type WorkerSpec } from './schema.js';
import { ConfigError, describeIssue, formatPath, issueProblems, type Problem } from './errors.js';
import { parseJson } from '../util/json.js';

export const DEFAULT_CONFIG_FILE = 'swarmage.config.json';

export interface ResolvedWorker extends WorkerSpec {
  /** Absolute path of the module file. */
  modulePath: string;
  /** Where it came from in the config, for messages: workers.factorial[1] */
  where: string;
}

export interface ResolvedConfig extends Omit<ParsedConfig, 'workers'> {
  /** Absolute path of the config file, or null for a config given as an object. */
  file: string | null;
  dir: string;
  workers: Record<string, ResolvedWorker[]>;
  /** Absolute path of the local queue file. */
  localQueuePath: string;
  logFile: string | null;
  /** Non-fatal remarks (unknown keys) to log at start. */
  warnings: string[];
  /** The same, with field paths. */
  warningProblems: Problem[];
}

/** Reads, parses and validates a config file; every problem is reported with file and field path. */
export function loadConfigFile(file: string): ResolvedConfig {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT'
        ? `${abs}: config file not found (run "swarmage init" to create one, or pass --config FILE)`
        : `${abs}: cannot read config file: ${(err as Error).message}`,
    );
  }
  // Some editors start UTF-8 files with a byte order mark; it is not part of the JSON.
  const parsed = parseJson(text.replace(/^\uFEFF/, ''));
  if (!parsed.ok) {
    const p = parsed.problem;
    throw new ConfigError(`${abs}: invalid JSON at line ${p.line}, column ${p.column}: ${p.message}`);
  }
  return resolveConfig(parsed.value, { file: abs });
}

/** Validates a config object; unknown keys are warnings, everything else wrong is one ConfigError. */
export function resolveConfig(raw: unknown, opts: { file?: string | null; dir?: string } = {}): ResolvedConfig {
  const file = opts.file ?? null;
  const dir = opts.dir ?? (file ? path.dirname(file) : process.cwd());
  const label = file ?? 'config';
  const warnings: string[] = [];
  const warningProblems: Problem[] = [];

  let result = configSchema.safeParse(raw);
  if (!result.success) {
    const unknown = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
    const other = result.error.issues.filter((i) => i.code !== 'unrecognized_keys');
    if (other.length > 0) {
      const lines = other.map((i) => `${label}: ${describeIssue(i)}`);
      throw new ConfigError(lines.join('\n'), lines, other.flatMap(issueProblems));
    }
    // Only unknown keys: warn about each, drop them, and validate what is left.
    const cleaned = structuredClone(raw) as Record<string, unknown>;
    for (const issue of unknown) {
      if (issue.code !== 'unrecognized_keys') continue;
      warnings.push(`${label}: ${describeIssue(issue)} (ignored)`);
      warningProblems.push(...issueProblems(issue).map((p) => ({ ...p, message: 'unknown key (ignored)' })));
      // zod reported these keys on the object at issue.path, so that object exists in `cleaned`.
      const holder = issue.path.reduce<Record<PropertyKey, unknown>>((obj, key) => obj[key] as Record<PropertyKey, unknown>, cleaned);
      for (const key of issue.keys) delete holder[key];
    }
    result = configSchema.safeParse(cleaned);
    if (!result.success) {
      const lines = result.error.issues.map((i) => `${label}: ${describeIssue(i)}`);
      throw new ConfigError(lines.join('\n'), lines, result.error.issues.flatMap(issueProblems));
    }
  }
  const parsed = result.data;

  const workers: Record<string, ResolvedWorker[]> = {};
  const problems: string[] = [];
  const details: Problem[] = [];
  for (const [type, spec] of Object.entries(parsed.workers)) {
    const list = Array.isArray(spec) ? spec : [spec];
    workers[type] = list.map((w, i) => {
      const at = Array.isArray(spec) ? ['workers', type, i] : ['workers', type];
      const where = formatPath(at);
      const modulePath = path.resolve(dir, w.module);
      if (!fs.existsSync(modulePath)) {
        const message = `no such file ${JSON.stringify(modulePath)} (paths are relative to ${dir})`;
        problems.push(`${label}: ${where}.module: ${message}`);
        details.push({ path: [...at, 'module'], message });
      }
      return { ...w, modulePath, where };
    });
  }
  if (Object.keys(workers).length === 0) {
    warnings.push(`${label}: workers: no task types configured; this drone will claim nothing`);
    warningProblems.push({ path: ['workers'], message: 'no task types configured; this drone will claim nothing' });
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems, details);

  return {
    ...parsed,
    file,
    dir,
    workers,
    localQueuePath: path.resolve(dir, parsed.localQueue.path),
    logFile: parsed.log.file ? path.resolve(dir, parsed.log.file) : null,
    warnings,
    warningProblems,
  };
}
