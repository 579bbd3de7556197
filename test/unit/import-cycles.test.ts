/**
 * No import cycles among our own modules (issue 15). Reads the TypeScript sources, not dist/, so that
 * `import type` counts: a type-only cycle erases at run time but is still a cycle for a reader (to
 * understand either file you must read the other first), and it is how run-time cycles start.
 *
 * Every edge counts: import and export-from declarations (type-only or not), `import('./x').T` in a
 * type, and a dynamic import() of a literal path. Only relative specifiers are ours; packages and
 * node: modules are not followed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const SOURCE_DIRS = ['core', 'electron', 'renderer/src', 'test', 'bench', 'scripts'];
const SKIP_DIRS = new Set(['node_modules', 'dist', 'results', 'fixtures']);
const SOURCE_EXT = /\.(ts|tsx|mts|js|mjs)$/;

/**
 * Cycles known and being removed on other branches, each the exact set of files in one strongly
 * connected component, with why it is tolerated for now, e.g.
 *   { files: ['core/api/contract.ts', 'core/drone/drone.ts'], why: 'DroneSnapshot is moving into core/api' }
 * A component that differs (a file joins or leaves) fails, and so does an entry that no longer
 * matches any cycle: delete it then. Empty since main moved the UI types into core/api (issue 15).
 */
const ALLOWED_CYCLES: { files: string[]; why: string }[] = [];

type Edge = { to: string; typeOnly: boolean };
type Graph = Map<string, Edge[]>;

function sourceFiles(dir: string, out: string[] = []): string[] {
  const abs = path.join(ROOT, dir);
  if (!fs.existsSync(abs)) return out;
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) sourceFiles(rel, out);
    } else if (SOURCE_EXT.test(entry.name) && !entry.name.endsWith('.d.ts')) {
      out.push(rel);
    }
  }
  return out;
}

/** './x.js' from 'core/a/b.ts' → 'core/a/x.ts' (or .tsx, or the .js itself), if it is one of ours. */
function resolve(from: string, specifier: string, known: Set<string>): string | null {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return null;
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  const stem = target.replace(/\.(js|mjs|jsx)$/, '');
  for (const candidate of [target, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${target}/index.ts`, `${target}.ts`]) {
    if (known.has(candidate)) return candidate;
  }
  return null;
}

/** The files a source imports, each once; an edge is type-only when every import of it is. */
function importsOf(file: string, text: string, known: Set<string>): Edge[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : /\.m?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, kind);
  const edges = new Map<string, boolean>();
  const add = (specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const to = resolve(file, specifier.text, known);
    if (to) edges.set(to, (edges.get(to) ?? true) && typeOnly);
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      // `import type {…}`, or `import { type A, type B }` with nothing else (no default, no namespace).
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...edges].map(([to, typeOnly]) => ({ to, typeOnly }));
}

function importGraph(): Graph {
  const files = SOURCE_DIRS.flatMap((dir) => sourceFiles(dir)).sort();
  const known = new Set(files);
  return new Map(files.map((f) => [f, importsOf(f, fs.readFileSync(path.join(ROOT, f), 'utf8'), known)]));
}

/** Strongly connected components with a cycle in them (Tarjan), each sorted, smallest file first. */
function cyclicComponents(graph: Graph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v) ?? []) {
      if (!index.has(to)) {
        connect(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).some((e) => e.to === v);
      if (component.length > 1 || selfLoop) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

/** One shortest cycle through the component's first file, spelled with its edges: `a -(type)-> b -> a`. */
function describeCycle(graph: Graph, component: string[]): string {
  const inside = new Set(component);
  const start = component[0];
  const prev = new Map<string, { from: string; typeOnly: boolean }>();
  const queue = [start];
  let closing: { from: string; typeOnly: boolean } | null = null;
  while (queue.length > 0 && !closing) {
    const v = queue.shift()!;
    for (const { to, typeOnly } of graph.get(v) ?? []) {
      if (!inside.has(to)) continue;
      if (to === start) {
        closing = { from: v, typeOnly };
        break;
      }
      if (!prev.has(to)) {
        prev.set(to, { from: v, typeOnly });
        queue.push(to);
      }
    }
  }
  if (!closing) return component.join(', ');
  const hops: { file: string; typeOnly: boolean }[] = [{ file: start, typeOnly: closing.typeOnly }];
  for (let v = closing.from; v !== start; v = prev.get(v)!.from) hops.unshift({ file: v, typeOnly: prev.get(v)!.typeOnly });
  // hops[i].typeOnly is the edge INTO hops[i]; rotate so the text reads start → … → start.
  const parts = [start];
  for (let i = 0; i < hops.length; i++) parts.push(`${hops[i].typeOnly ? ' -(type)-> ' : ' -> '}${hops[i].file}`);
  const others = component.length - hops.length;
  return (
    parts.join('') +
    (others > 0 ? `; ${others} more file${others > 1 ? 's' : ''} tied in: ${component.filter((f) => !hops.some((h) => h.file === f)).join(', ')}` : '')
  );
}

const same = (a: string[], b: string[]) => a.length === b.length && [...a].sort().every((f, i) => f === [...b].sort()[i]);

describe('import cycles', () => {
  const graph = importGraph();
  const cycles = cyclicComponents(graph);
  for (const c of cycles) console.log(`import cycle: ${describeCycle(graph, c)}`);

  it('reads the sources it means to (a sanity check on the walk)', () => {
    assert.ok(graph.size > 150, `only ${graph.size} files`);
    for (const f of ['core/api/contract.ts', 'electron/main.ts', 'renderer/src/App.tsx', 'scripts/build-preload.mjs']) assert.ok(graph.has(f), f);
    assert.ok(graph.get('renderer/src/App.tsx')!.length > 0, 'App.tsx imports something of ours');
  });

  it('finds no cycle among our modules, type-only imports included (beyond the listed known ones)', () => {
    const unexpected = cycles.filter((c) => !ALLOWED_CYCLES.some((a) => same(a.files, c)));
    assert.deepEqual(
      unexpected.map((c) => describeCycle(graph, c)),
      [],
      'import cycles (break them, e.g. by moving the shared types into a module both import)',
    );
  });

  it('lists no known cycle that is gone (delete its ALLOWED_CYCLES entry)', () => {
    const stale = ALLOWED_CYCLES.filter((a) => !cycles.some((c) => same(a.files, c)));
    assert.deepEqual(
      stale.map((a) => a.files.join(', ')),
      [],
    );
  });

  it('the checker finds a cycle made only of type imports, and names it', () => {
    const g: Graph = new Map([
      ['a.ts', [{ to: 'b.ts', typeOnly: true }]],
      ['b.ts', [{ to: 'c.ts', typeOnly: false }]],
      [
        'c.ts',
        [
          { to: 'a.ts', typeOnly: false },
          { to: 'd.ts', typeOnly: false },
        ],
      ],
      ['d.ts', []],
    ]);
    const found = cyclicComponents(g);
    assert.deepEqual(found, [['a.ts', 'b.ts', 'c.ts']]);
    assert.equal(describeCycle(g, found[0]), 'a.ts -(type)-> b.ts -> c.ts -> a.ts');
  });
});
