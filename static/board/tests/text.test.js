import test from 'node:test';
import assert from 'node:assert/strict';
import { ellipsize, createMeasurer } from '../canvas/text.js';

const mono = (t) => Array.from(t).length * 10; // every character 10 wide

test('text that fits is kept whole', () => {
  assert.equal(ellipsize('Ada', 30, mono), 'Ada');
});

test('longer text is cut at a measured width with an ellipsis', () => {
  const out = ellipsize('Analytical Engines Ltd', 100, mono);
  assert.equal(out, 'Analytica…');
  assert.ok(mono(out) <= 100);
});

test('no trailing space before the ellipsis; nothing when nothing fits', () => {
  assert.equal(ellipsize('Ada Lovelace', 50, mono), 'Ada…');
  assert.equal(ellipsize('Ada', 5, mono), '');
  assert.equal(ellipsize('Ada', 0, mono), '');
});

test('the measurer caches per font', () => {
  let calls = 0;
  const ctx = { font: '', measureText: (t) => (calls++, { width: t.length * (ctx.font === 'big' ? 2 : 1) }) };
  const measure = createMeasurer(ctx);
  assert.equal(measure('abc', 'big'), 6);
  assert.equal(measure('abc', 'big'), 6);
  assert.equal(measure('abc', 'small'), 3);
  assert.equal(calls, 2);
});
