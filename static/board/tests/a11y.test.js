import test from 'node:test';
import assert from 'node:assert/strict';
import { describeEffect, navigate, adjacentStage, actorName, describeCard } from '../ui/a11y.js';
import { createUndoStack, undoBody } from '../core/undo.js';

const names = { 1: 'New', 2: 'MQL', 3: 'SQL' };
const ctx = { stageName: (id) => names[id], campaignName: () => 'Webinar', me: { id: 1 } };
const dana = { id: 7, name: 'Dana Kim' };

test('moves are announced in plain words', () => {
  assert.equal(
    describeEffect({ kind: 'moved', name: 'Ada Lovelace', from: 1, to: 2, event: { actor: dana } }, ctx),
    'Ada Lovelace moved from New to MQL by Dana Kim',
  );
  assert.equal(
    describeEffect({ kind: 'moved', name: 'Ada Lovelace', from: 2, to: 1, undo: true, event: { actor: { id: 1 } } }, ctx),
    'Ada Lovelace moved from MQL to New by you (undo)',
  );
  assert.equal(
    describeEffect({ kind: 'batch', campaign: 3, count: 38, from: 1, to: 2, event: { actor: dana } }, ctx),
    '38 Webinar leads moved from New to MQL by Dana Kim',
  );
  assert.equal(describeEffect({ kind: 'undo-batch', count: 2, event: { actor: dana } }, ctx), 'Dana Kim undid a move of 2 leads');
  assert.equal(describeEffect({ kind: 'created', name: 'Bo', to: 1, event: { actor: null } }, ctx), 'New lead Bo in New by the system');
  assert.equal(describeEffect({ kind: 'updated', event: {} }, ctx), null);
  assert.equal(actorName({ id: 2, username: 'sam' }, { id: 1 }), 'sam');
});

test('a selected card is described', () => {
  assert.equal(
    describeCard({ name: 'Ada', company: 'Engines', score: 72 }, { stageName: 'New', ownerName: 'Dana Kim', index: 0, total: 412 }),
    'Ada, Engines, score 72, owner Dana Kim, New, 1 of 412',
  );
});

test('the keyboard cursor walks cards and columns, skipping folded and empty ones', () => {
  const cols = [
    { id: 1, folded: false, ids: [11, 12, 13] },
    { id: 2, folded: false, ids: [] },
    { id: 3, folded: false, ids: [31, 32] },
    { id: 4, folded: true, ids: [41] },
  ];
  assert.equal(navigate(cols, null, 'ArrowDown'), 11);
  assert.equal(navigate(cols, 11, 'ArrowDown'), 12);
  assert.equal(navigate(cols, 13, 'ArrowDown'), 13);
  assert.equal(navigate(cols, 11, 'ArrowUp'), 11);
  assert.equal(navigate(cols, 13, 'ArrowRight'), 32);
  assert.equal(navigate(cols, 32, 'ArrowRight'), 32);
  assert.equal(navigate(cols, 31, 'ArrowLeft'), 11);
  assert.equal(navigate(cols, 12, 'End'), 13);
  assert.equal(navigate(cols, 99, 'ArrowDown'), 11); // gone: start over
  assert.equal(navigate([], 11, 'ArrowDown'), null);
});

test('[ and ] go to the previous / next stage', () => {
  assert.equal(adjacentStage([1, 2, 3], 2, -1), 1);
  assert.equal(adjacentStage([1, 2, 3], 2, 1), 3);
  assert.equal(adjacentStage([1, 2, 3], 3, 1), null);
  assert.equal(adjacentStage([1, 2, 3], 9, 1), null);
});

test('[ and ] never step into Won or Lost: those have their own keys', () => {
  const closing = new Set([5, 6]); // 4 Opportunity, 5 Won, 6 Lost
  assert.equal(adjacentStage([1, 4, 5, 6], 4, 1, closing), null);
  assert.equal(adjacentStage([1, 4, 5, 6], 1, 1, closing), 4);
  assert.equal(adjacentStage([1, 4, 5, 6], 6, -1, closing), 4); // back out of Lost: last open
  assert.equal(adjacentStage([1, 4, 5, 6], 5, 1, closing), null);
});

test('undo stack: newest first, bounded, body by kind', () => {
  const stack = createUndoStack(2);
  stack.push({ transition: 1 });
  stack.push({ batch: 'b' });
  stack.push({ transition: 3 });
  stack.push({});
  assert.equal(stack.size, 2);
  assert.deepEqual(undoBody(stack.pop()), { transition: 3 });
  assert.deepEqual(undoBody(stack.pop()), { batch: 'b' });
  assert.equal(stack.pop(), null);
});
