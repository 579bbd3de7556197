import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { resolveConfig, type ResolvedConfig } from './load.js';
import { ConfigError, formatPath, type Problem } from './errors.js';
import { lineColumn, parseJson } from '../util/json.js';
import type { ConfigCheck, ConfigIssue } from '../api/contract.js';

/**
 * Checks config text as an editor needs it: every problem with its field path and its place in the
 * text (line and column), so the UI can mark it where it is.
 */
export function checkConfigText(text: string, file: string | null): ConfigCheck & { config: ResolvedConfig | null } {
  const parsed = parseJson(text);
  if (!parsed.ok) {
    const p = parsed.problem;
    return { ok: false, config: null, warnings: [], issues: [{ path: '', message: `invalid JSON: ${p.message}`, line: p.line, column: p.column }] };
  }
  const tree = parseTree(text);
  const place = (p: Problem): ConfigIssue => {
    const at = locate(tree, p.path);
    const lc = at === null ? null : lineColumn(text, at);
    return { path: formatPath(p.path), message: p.message, line: lc?.line ?? null, column: lc?.column ?? null };
  };
  try {
    const config = resolveConfig(parsed.value, { file });
    return { ok: true, config, issues: [], warnings: config.warningProblems.map(place) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.problems.length > 0 ? err.problems : [{ path: [], message: err.message }];
    return { ok: false, config: null, warnings: [], issues: problems.map(place) };
  }
}

/** Offset of the deepest node on the path that exists (the key itself for a property). */
function locate(tree: Node | undefined, path: Array<string | number>): number | null {
  if (!tree) return null;
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(tree, path.slice(0, n));
    if (node) return node.parent?.type === 'property' ? node.parent.offset : node.offset;
  }
  return null;
}
