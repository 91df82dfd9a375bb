import test from 'node:test';
import assert from 'node:assert/strict';
import { rectFrom, intersects, lassoed, toggled, added, inBoardOrder } from '../core/selection.js';

test('a lasso drawn any way round is the same rectangle', () => {
  assert.deepEqual(rectFrom(10, 20, 0, 5), { x: 0, y: 5, width: 10, height: 15 });
  assert.deepEqual(rectFrom(0, 5, 10, 20), rectFrom(10, 5, 0, 20));
});

test('overlap: inside, across, touching edges and apart', () => {
  const card = { x: 10, y: 10, width: 100, height: 40 };
  assert.equal(intersects(card, { x: 50, y: 20, width: 5, height: 5 }), true);
  assert.equal(intersects(card, { x: 0, y: 0, width: 11, height: 11 }), true);
  assert.equal(intersects(card, { x: 110, y: 10, width: 5, height: 5 }), false);
  assert.equal(intersects(card, { x: 0, y: 60, width: 500, height: 5 }), false);
});

test('lassoed: the cards touched, in order', () => {
  const rects = new Map([
    [1, { x: 0, y: 0, width: 100, height: 40 }],
    [2, { x: 0, y: 50, width: 100, height: 40 }],
    [3, { x: 200, y: 0, width: 100, height: 40 }],
  ]);
  assert.deepEqual(lassoed(rects, rectFrom(50, 30, 90, 60)), [1, 2]);
  assert.deepEqual(lassoed(rects, rectFrom(120, 0, 150, 100)), []);
});

test('toggle and add make new sets; board order keeps what is drawn', () => {
  const a = new Set([1, 2]);
  assert.deepEqual([...toggled(a, 2)], [1]);
  assert.deepEqual([...toggled(a, 3)], [1, 2, 3]);
  assert.deepEqual([...a], [1, 2]);
  assert.deepEqual([...added(a, [2, 5])], [1, 2, 5]);
  assert.deepEqual(inBoardOrder(new Set([5, 1, 9]), [1, 2, 5]), [1, 5]);
});
