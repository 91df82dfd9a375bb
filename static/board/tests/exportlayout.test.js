import test from 'node:test';
import assert from 'node:assert/strict';
import { wholeBoardLayout, columnFigures, moreText, RULES } from '../canvas/exportlayout.js';
import { boardImageLayout } from '../panels/exportdraw.js';

const UHD = [3840, 2160];
// The demo board's shape: New holds many, Won and Lost some, the middle few.
const STAGES = [
  { count: 415 }, { count: 40 }, { count: 12 }, { count: 3 }, { count: 0 }, { count: 57 }, { count: 96 },
];

test('every column is in the image, side by side, none folded, inside the board', () => {
  for (const n of [1, 3, 7, 12]) {
    const l = wholeBoardLayout(...UHD, STAGES.concat(STAGES).slice(0, n));
    assert.equal(l.columns.length, n);
    let right = 0;
    for (const c of l.columns) {
      assert.ok(c.x >= right, 'columns do not overlap');
      assert.ok(c.width > 100, `a ${n}-column board still has wide columns (${c.width})`);
      right = c.x + c.width;
    }
    assert.ok(right <= 3840);
    // Every column is as wide as the others (Won and Lost are not folded), within a pixel.
    const widths = l.columns.map((c) => c.width);
    assert.ok(Math.max(...widths) - Math.min(...widths) <= 1);
  }
});

test('4K: cards are drawn at twice the design size, never below the legible minimum', () => {
  const l = wholeBoardLayout(...UHD, STAGES);
  assert.equal(l.scale, 2);
  assert.equal(l.band, RULES.band * 2);
  assert.equal(l.cardH, Math.max(RULES.minCardPx, RULES.cardH * 2));
  assert.ok(l.nameFont >= RULES.minFontPx && l.detailFont >= RULES.minFontPx);
  // A small image keeps the cards legible: fewer fit, none shrinks below the minimum.
  const small = wholeBoardLayout(800, 450, STAGES);
  assert.equal(small.cardH, RULES.minCardPx);
  assert.ok(small.fit < l.fit);
});

test('as many cards as fit, then "+N more" for the rest', () => {
  const l = wholeBoardLayout(...UHD, STAGES);
  const { fit, fitWithMore } = l;
  assert.ok(fit >= 20, `a 4K column holds a good many cards (${fit})`);
  assert.ok(fitWithMore <= fit && fitWithMore >= fit - 1);
  const [newCol, , twelve, three, none, won, lost] = l.columns;
  assert.deepEqual([newCol.shown, newCol.more], [fitWithMore, 415 - fitWithMore]);
  assert.deepEqual([twelve.shown, twelve.more, twelve.moreY], [12, 0, null]);
  assert.deepEqual([three.shown, none.shown, none.more], [3, 0, 0]);
  assert.deepEqual([won.shown, won.more], [fitWithMore, 57 - fitWithMore]);
  assert.deepEqual([lost.shown + lost.more], [96]);
  // The cards and the "+N more" row stay inside the column, one under the other.
  for (const c of l.columns) {
    c.cards.forEach((y, k) => {
      assert.ok(y >= l.listTop);
      if (k) assert.equal(y - c.cards[k - 1], l.cardH + l.cardGap);
    });
    const end = c.more ? c.moreY + l.moreH : c.cards.length ? c.cards.at(-1) + l.cardH : l.listTop;
    assert.ok(end <= l.bottom, `column ends at ${end}, the board at ${l.bottom}`);
  }
  // Exactly as many as fit: one more card would not.
  const full = wholeBoardLayout(...UHD, [{ count: fit }, { count: fit + 1 }]);
  assert.deepEqual(full.columns.map((c) => [c.shown, c.more]), [[fit, 0], [fitWithMore, fit + 1 - fitWithMore]]);
});

test('cards not at hand (not loaded) are counted in "+N more"', () => {
  const l = wholeBoardLayout(...UHD, [{ count: 100, available: 5 }, { count: 5, available: 5 }, { count: 8, available: 3 }]);
  assert.deepEqual(l.columns.map((c) => [c.shown, c.more]), [[5, 95], [5, 0], [3, 5]]);
  // The board's columns: the drawn ids (each once: the lane's are listed first).
  const cols = [{ count: 9, ids: [1, 2, 2, 3] }, { count: 0, ids: [] }];
  assert.deepEqual(boardImageLayout(cols, ...UHD).columns.map((c) => [c.shown, c.more]), [[3, 6], [0, 0]]);
});

test('the charts take their part of the width: the columns share the rest', () => {
  const l = wholeBoardLayout(...UHD, STAGES, { boardWidth: 2720 });
  const last = l.columns.at(-1);
  assert.ok(last.x + last.width <= 2720);
});

test('the header figures are written as the board header writes them', () => {
  const col = { name: 'New', kind: 'open', count: 415, value: 1_234_567, currency: 'EUR', overdue: 398, conversion: 0.4123, nextName: 'MQL', wip_limit: null };
  assert.deepEqual(columnFigures(col), { name: 'New', count: '415 leads', value: '€1.2M', late: '398 past SLA', conversion: '41.2% to MQL' });
  assert.deepEqual(columnFigures({ name: 'Won', kind: 'won', count: 1, value: 0, currency: 'USD', overdue: 0, conversion: 0.5, nextName: 'Lost' }), {
    name: 'Won', count: '1 lead', value: '$0', late: '', conversion: '',
  });
  assert.equal(columnFigures({ name: 'SQL', count: 7, wip_limit: 3, value: 950 }).count, '7 / 3 leads');
  assert.equal(moreText(1234), '+1,234 more');
});
