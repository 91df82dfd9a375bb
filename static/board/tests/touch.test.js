import test from 'node:test';
import assert from 'node:assert/strict';
import { GESTURE, classify, gestureStep, velocity } from '../canvas/touch.js';

const start = (t, ...points) => ({ type: 'start', t, points: points.map(([x, y]) => ({ x, y })) });
const move = (t, ...points) => ({ type: 'move', t, points: points.map(([x, y]) => ({ x, y })) });
const time = (t) => ({ type: 'time', t, points: [] });
const end = (t, ...points) => ({ type: 'end', t, points: points.map(([x, y]) => ({ x, y })) });

test('the defaults: a 250 ms long-press with an 8 px slop', () => {
  assert.equal(GESTURE.holdMs, 250);
  assert.equal(GESTURE.slop, 8);
});

test('a still finger for 250 ms is a long-press (it lifts); moving after that drags, it stays a hold', () => {
  assert.equal(classify([start(1000, [100, 200]), move(1100, [103, 204]), time(1250)]), 'hold');
  // Wandering within the slop still counts as still.
  assert.equal(classify([start(0, [100, 200]), move(120, [106, 205]), move(240, [100, 207]), time(250)]), 'hold');
  // Then the drag: far moves, a long time, the end.
  assert.equal(classify([start(0, [100, 200]), time(250), move(300, [180, 200]), move(900, [380, 420]), end(1200)]), 'hold');
  // A move arriving after 250 ms (the timer was late) is still a lift, not a swipe.
  assert.equal(classify([start(0, [100, 200]), move(200, [102, 200]), move(270, [140, 200])]), 'hold');
});

test('past the slop before 250 ms is a swipe: it keeps its axis and never becomes a lift', () => {
  const vertical = [start(0, [100, 300]), move(40, [100, 291]), move(400, [100, 100]), time(600), end(700)];
  assert.equal(classify(vertical), 'swipe');
  const s = vertical.reduce((st, ev) => gestureStep(st, ev), null);
  assert.equal(s.axis, 'y');
  assert.equal(s.done, true);
  const sideways = [start(0, [300, 300]), move(30, [288, 303]), move(90, [200, 330])];
  assert.equal(classify(sideways), 'swipe');
  assert.equal(sideways.reduce((st, ev) => gestureStep(st, ev), null).axis, 'x');
  // Exactly the slop is not past it.
  assert.equal(classify([start(0, [100, 100]), move(50, [108, 100])]), 'pending');
  assert.equal(classify([start(0, [100, 100]), move(50, [108, 101])]), 'swipe');
  // Slow but far before the hold: still a swipe.
  assert.equal(classify([start(0, [100, 100]), move(249, [100, 130]), time(260)]), 'swipe');
});

test('two fingers pinch: at once, or a second finger during a swipe; not while something is lifted', () => {
  assert.equal(classify([start(0, [100, 100], [200, 100]), move(50, [80, 100], [220, 100]), end(200)]), 'pinch');
  assert.equal(classify([start(0, [100, 100]), start(60, [100, 100], [200, 110])]), 'pinch');
  assert.equal(classify([start(0, [100, 100]), move(30, [100, 130]), start(60, [100, 130], [200, 110])]), 'pinch');
  // A held card keeps its drag when a second finger lands.
  assert.equal(classify([start(0, [100, 100]), time(260), start(300, [100, 100], [250, 300])]), 'hold');
  // The pinch's spread and middle.
  const s = [start(0, [100, 100], [200, 100]), move(50, [50, 100], [250, 100])].reduce((st, ev) => gestureStep(st, ev), null);
  assert.equal(s.pinch.d0, 100);
  assert.equal(s.pinch.d, 200);
  assert.deepEqual(s.pinch.mid, { x: 150, y: 100 });
  // One finger of two lifted: still the pinch, not done.
  const lifted = gestureStep(s, end(90, [250, 100]));
  assert.equal(lifted.kind, 'pinch');
  assert.equal(lifted.done, false);
  assert.equal(gestureStep(lifted, end(120)).done, true);
});

test('a short still touch is a tap; a new touch after the end starts a new gesture', () => {
  assert.equal(classify([start(0, [100, 100]), move(50, [102, 101]), end(120)]), 'tap');
  const s = [start(0, [100, 100]), move(20, [100, 150]), end(60)].reduce((st, ev) => gestureStep(st, ev), null);
  assert.equal(s.kind, 'swipe');
  const again = gestureStep(s, start(500, [10, 10]));
  assert.equal(again.kind, 'pending');
  assert.deepEqual(again.start, { x: 10, y: 10 });
  assert.equal(gestureStep(null, move(0, [1, 1])), null, 'a move with no touch down is nothing');
});

test('the speed at the end of a swipe: the last ~100 ms', () => {
  const s = [start(0, [300, 300]), move(400, [280, 300]), move(450, [230, 300]), move(500, [180, 300])].reduce((st, ev) => gestureStep(st, ev), null);
  const v = velocity(s);
  assert.equal(v.x, -1);
  assert.equal(v.y, 0);
  assert.deepEqual(velocity(null), { x: 0, y: 0 });
});
