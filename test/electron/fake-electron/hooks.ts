/**
 * Module hooks (node:module register) that make `import ... from 'electron'` load the stand-in in
 * ./electron.js: the Electron binary cannot run here, its API surface can be faked.
 */
export async function resolve(specifier: string, context: unknown, next: (s: string, c: unknown) => Promise<unknown>): Promise<unknown> {
  if (specifier === 'electron') return { url: new URL('./electron.js', import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
