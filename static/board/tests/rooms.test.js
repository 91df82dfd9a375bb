// The front end's rooms (docs/architecture.md): core/ is pure state, so it
// imports only core/ and npm packages (never the server, the canvas or the
// page), and main.js stays the composition it is meant to be.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const BOARD = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const importsOf = (file) => [...readFileSync(file, 'utf8').matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);

test('core/ imports only core/ and packages', () => {
  const core = path.join(BOARD, 'core');
  for (const name of readdirSync(core).filter((n) => n.endsWith('.js'))) {
    for (const spec of importsOf(path.join(core, name))) {
      if (!spec.startsWith('.')) continue; // an npm package (fractional-indexing)
      const target = path.resolve(core, spec);
      assert.equal(path.dirname(target), core, `core/${name} imports ${spec}`);
    }
  }
});

test('main.js only composes: no module-level state of its own', () => {
  const src = readFileSync(path.join(BOARD, 'main.js'), 'utf8');
  const bindings = src.match(/^(let|var|const|function|async function|class) /gm) || [];
  assert.ok(bindings.length <= 3, `main.js has ${bindings.length} module-level bindings`);
  assert.equal((src.match(/^let /gm) || []).length, 0);
});
