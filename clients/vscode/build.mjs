// Builds the extension with esbuild: src/extension.ts → dist/extension.js
// (one CommonJS bundle; `vscode` is provided by the editor). With --tests,
// also each test/*.test.ts → out/test/*.test.js for node --test.
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

// mainFields: jsonc-parser's UMD build requires its parts at run time, which
// a bundle cannot resolve; its ES module build bundles whole.
const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node18', logLevel: 'warning', mainFields: ['module', 'main'] };

await esbuild.build({
  ...common,
  entryPoints: ['src/extension.ts'],
  outfile: 'dist/extension.js',
  external: ['vscode'],
  sourcemap: true,
  minify: process.argv.includes('--minify'),
});

if (process.argv.includes('--tests')) {
  const tests = readdirSync('test').filter((f) => f.endsWith('.test.ts')).map((f) => `test/${f}`);
  // The tests cover the modules without the vscode module: bundling one
  // that needs it fails here, which keeps it that way.
  await esbuild.build({ ...common, entryPoints: tests, outdir: 'out/test' });
}
