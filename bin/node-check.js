// Whether a Node version is inside package.json's engines.node, written as "^A.B.C || ^D.E.F …"
// (test/unit/runtimes.test.ts keeps it so). Plain JavaScript with no dependencies: it runs before
// anything else, on whatever Node the user has.
export function nodeSupported(engines, version) {
  const [major, minor, patch] = version.replace(/^v/, '').split('.').map(Number);
  return engines.split('||').some((range) => {
    const [M, m, p] = range.trim().replace(/^\^/, '').split('.').map(Number);
    return major === M && (minor > m || (minor === m && patch >= p));
  });
}
