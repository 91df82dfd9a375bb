import { test } from 'node:test';
import assert from 'node:assert/strict';
import { popPlace } from '../ui/popup.js';

const view = { width: 1366, height: 768 };

test('a pop-up opens 4 px under its anchor', () => {
  assert.deepEqual(popPlace({ x: 100, y: 200, height: 30 }, { width: 220, height: 160 }, view), { x: 100, y: 234 });
});

test('it stays 8 px inside the right and left edges', () => {
  assert.equal(popPlace({ x: 1300, y: 10, height: 20 }, { width: 220, height: 100 }, view).x, 1366 - 220 - 8);
  assert.equal(popPlace({ x: -40, y: 10, height: 20 }, { width: 220, height: 100 }, view).x, 8);
});

test('without room below it opens above the anchor, never off the top', () => {
  assert.equal(popPlace({ x: 10, y: 700, height: 30 }, { width: 220, height: 160 }, view).y, 700 - 160 - 4);
  assert.equal(popPlace({ x: 10, y: 100, height: 30 }, { width: 220, height: 760 }, view).y, 8);
});
