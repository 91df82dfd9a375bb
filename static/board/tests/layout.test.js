import test from 'node:test';
import assert from 'node:assert/strict';
import {
  M, PITCH, columnsLayout, columnAt, listBox, chipsBandH, cardTop, contentHeight, maxScroll, clampScroll,
  visibleRange, dropIndex, scrollToShow, nearEnd, fitZoom, zoomAround, clampPan, clampZoom, chipsLayout,
} from '../canvas/layout.js';

const cols = (...folded) => folded.map((f, i) => ({ id: i + 1, folded: f }));

test('open columns share the width; folded ones are narrow', () => {
  const { columns, width } = columnsLayout(cols(false, false, false, false, true, true), 1920);
  assert.equal(columns[4].width, M.foldedW);
  assert.equal(columns[5].width, M.foldedW);
  const open = columns[0].width;
  assert.ok(columns.slice(0, 4).every((c) => c.width === open));
  assert.ok(width <= 1920 && width > 1920 - 8, `fills the window: ${width}`);
  assert.equal(columns[0].x, M.padX);
  assert.equal(columns[1].x, M.padX + open + M.gap);
  // Unfolding Won makes the open columns narrower.
  const unfolded = columnsLayout(cols(false, false, false, false, false, true), 1920);
  assert.ok(unfolded.columns[0].width < open);
});

test('columns keep a readable minimum: a narrow window gets a wider board (then fit zoom)', () => {
  const { columns, width } = columnsLayout(cols(false, false, false, false, false, false), 900);
  assert.equal(columns[0].width, M.minColW);
  assert.ok(width > 900);
  assert.ok(fitZoom(width, 900) < 1);
  assert.equal(fitZoom(1000, 1920), 1);
});

test('the column under x: inside, in gaps to the nearer one, off the board null', () => {
  const { columns } = columnsLayout(cols(false, false, true), 1000);
  const [a, b, c] = columns;
  assert.equal(columnAt(columns, a.x + 5), a.id);
  assert.equal(columnAt(columns, a.x + a.width + 2), a.id);
  assert.equal(columnAt(columns, b.x - 2), b.id);
  assert.equal(columnAt(columns, c.x + c.width / 2), c.id);
  assert.equal(columnAt(columns, -500), null);
  assert.equal(columnAt(columns, 99999), null);
});

test('card positions, content height, scroll limits', () => {
  assert.equal(cardTop(0), M.listInset);
  assert.equal(cardTop(3), M.listInset + 3 * PITCH);
  assert.equal(contentHeight(0, false), 2 * M.listInset);
  assert.equal(contentHeight(2, true), M.listInset + 2 * PITCH - M.cardGap + M.moreH + M.listInset);
  assert.equal(maxScroll(2, false, 1000), 0);
  assert.equal(clampScroll(-5, 50, false, 500), 0);
  assert.equal(clampScroll(1e9, 50, false, 500), contentHeight(50, false) - 500);
});

test('only the cards in view (plus one) are drawn', () => {
  assert.deepEqual(visibleRange(0, 500, 50), [0, 7]);
  assert.deepEqual(visibleRange(10 * PITCH, 500, 50), [8, 17]);
  assert.deepEqual(visibleRange(0, 500, 3), [0, 3]);
  assert.deepEqual(visibleRange(0, 500, 0), [0, 0]);
});

test('drop index: pointing at card k puts the card at k; below the last, at the end', () => {
  const mid = (k) => cardTop(k) + M.cardH / 2;
  assert.equal(dropIndex(mid(0), 5), 0);
  assert.equal(dropIndex(mid(3), 5), 3);
  assert.equal(dropIndex(cardTop(3) + 1, 5), 3);
  assert.equal(dropIndex(cardTop(3) + M.cardH - 1, 5), 3);
  assert.equal(dropIndex(cardTop(3) - M.cardGap / 2 - 1, 5), 2);
  assert.equal(dropIndex(mid(4) + PITCH, 5), 5);
  assert.equal(dropIndex(99999, 5), 5);
  assert.equal(dropIndex(-50, 5), 0);
  assert.equal(dropIndex(mid(0), 0), 0);
});

test('scrolling to show a card moves as little as needed', () => {
  assert.equal(scrollToShow(0, 0, 400), 0);
  const s = scrollToShow(10, 0, 400);
  assert.equal(s, cardTop(10) + M.cardH + M.listInset - 400);
  assert.equal(scrollToShow(10, s, 400), s);
  assert.equal(scrollToShow(2, s, 400), cardTop(2) - M.listInset);
});

test('near the end of a column: time to load the next page', () => {
  assert.equal(nearEnd(0, 400, 50), false);
  assert.equal(nearEnd(contentHeight(50, false) - 400, 400, 50), true);
  assert.equal(nearEnd(0, 400, 2), true);
});

test('zoom keeps the point under the pointer; pan is clamped or centred', () => {
  // World x 100 is under the pointer at 300 with pan 200 at zoom 1; at zoom 2 it must stay there.
  const pan = zoomAround(300, 200, 1, 2);
  assert.equal(pan + 100 * 2, 300);
  assert.equal(clampPan(50, 1000, 1, 1920), 460); // narrower board: centred
  assert.equal(clampPan(50, 3000, 1, 1920), 0);
  assert.equal(clampPan(-5000, 3000, 1, 1920), -1080);
  assert.equal(clampZoom(10), M.maxZoom);
  assert.equal(clampZoom(0.01), M.minZoom);
});

test('the list sits under the header and the chips band', () => {
  assert.equal(chipsBandH(0), 0);
  assert.equal(chipsBandH(2), 2 * (M.chipH + M.chipGap) + M.chipGap);
  const box = listBox(1000, 2);
  assert.equal(box.top, M.padTop + M.headerH + chipsBandH(2));
  assert.equal(box.height, 1000 - M.padBottom - box.top);
});

test('chips wrap into rows, ellipsize, and end with +N when they do not fit', () => {
  const measure = (t) => Array.from(t).length * 7;
  const chips = ['Webinar', 'Google Ads: Funnel Analytics', 'Partner referrals', 'Trade fair', 'LinkedIn', 'Newsletter', 'Cold outbound', 'Podcast']
    .map((name, i) => ({ id: i, name, count: 10 * (i + 1) }));
  const out = chipsLayout(chips, 280, measure);
  assert.ok(out.rows <= M.chipRowsMax);
  for (const c of out.chips) assert.ok(c.x + c.w <= 280, `chip ${c.label} fits`);
  assert.ok(out.chips.some((c) => c.label.endsWith('…')) || out.chips.every((c) => c.label === c.chip.name));
  if (out.more) {
    assert.equal(out.more.hidden + out.chips.length, chips.length);
    assert.ok(out.more.x + out.more.w <= 280);
  }
  const few = chipsLayout(chips.slice(0, 1), 280, measure);
  assert.equal(few.rows, 1);
  assert.equal(few.more, null);
  assert.equal(chipsLayout([], 280, measure).rows, 0);
});

test('a drop names its drawn neighbour, so hidden cards cannot shift it', async () => {
  const { dropNeighbour } = await import('../core/model.js');
  // drawn column [a b c] (ids 1 2 3), dragging 9 in from elsewhere
  assert.deepEqual(dropNeighbour([1, 2, 3], 9, 0), { before: 1 });
  assert.deepEqual(dropNeighbour([1, 2, 3], 9, 2), { after: 2 });
  assert.deepEqual(dropNeighbour([1, 2, 3], 9, 3), { after: 3 });
  assert.deepEqual(dropNeighbour([1, 2, 3], 9, 7), { after: 3 });
  // reordering inside the column: the dragged card is not its own neighbour
  assert.deepEqual(dropNeighbour([1, 2, 3], 1, 2), { after: 3 });
  assert.deepEqual(dropNeighbour([], 9, 0), {});
});

// Screens: a phone (390), a laptop (1366) and a projector / desktop (1920), with
// the demo board's stages (four open, Won and Lost folded).
const demo = () => cols(false, false, false, false, true, true);
const PANEL_W = 380; // the side panel beside the canvas on a wide screen (board.css .panel)
// The smallest type on a card (cardnode.js: the score, 12 px) must read at >= 12 px.
const SMALLEST_CARD_TYPE = 12;

test('390 px (a phone): one column fills the width, the next peeks in, type at full size', async () => {
  const { isNarrow, openingZoom } = await import('../canvas/layout.js');
  assert.equal(isNarrow(390), true);
  const { columns, width } = columnsLayout(demo(), 390);
  const first = columns[0];
  assert.equal(first.x, M.padX);
  assert.ok(first.x + first.width + M.padX <= 390, `the first column fits: ${first.width}`);
  assert.ok(first.width >= 300, `and takes the width: ${first.width}`);
  const next = columns[1];
  assert.ok(next.x < 390 && next.x > 390 - M.peek - M.gap, `the next column peeks in at ${next.x}`);
  assert.ok(columns.slice(0, 4).every((c) => c.width === first.width));
  assert.equal(columns[4].width, M.foldedW);
  const zoom = openingZoom(width, 390);
  assert.equal(zoom, 1);
  assert.ok(SMALLEST_CARD_TYPE * zoom >= 12);
  // Without the narrow rule the board would open fitted, far too small to read.
  assert.equal(fitZoom(width, 390), M.minZoom); // the 35% a phone used to open at
});

test('1366 and 1920 px: the whole board fits the canvas, nothing narrow, no snapping', async () => {
  const { isNarrow, openingZoom, columnStops } = await import('../canvas/layout.js');
  for (const [screen, viewW, minZoom] of [[1366, 1366, 1], [1366, 1366 - PANEL_W, 0.85], [1920, 1920, 1], [1920, 1920 - PANEL_W, 1]]) {
    assert.equal(isNarrow(viewW), false, `${screen}: ${viewW}`);
    const { columns, width } = columnsLayout(demo(), viewW);
    assert.ok(columns.slice(0, 4).every((c) => c.width >= M.minColW && c.width <= M.maxColW));
    const zoom = openingZoom(width, viewW);
    assert.equal(zoom, fitZoom(width, viewW), 'the board opens fitted');
    assert.ok(zoom >= minZoom, `${screen} (canvas ${viewW}): zoom ${zoom}`);
    assert.ok(width * zoom <= viewW + 0.5, `${screen} (canvas ${viewW}): every column shows`);
    assert.deepEqual(columnStops(columns, width, zoom, viewW), []);
  }
  // 1920 with the panel: the open columns grow past the minimum and fill the row.
  const wide = columnsLayout(demo(), 1920 - PANEL_W);
  assert.ok(wide.columns[0].width > M.minColW);
  assert.ok(wide.width > 1920 - PANEL_W - 8);
});

test('the narrow rule is the canvas width: 600 px and under, whatever the window', async () => {
  const { isNarrow } = await import('../canvas/layout.js');
  assert.equal(isNarrow(600), true);
  assert.equal(isNarrow(601), false);
  assert.equal(isNarrow(0), false); // not laid out yet
  const { columns } = columnsLayout(demo(), 320);
  assert.ok(columns[0].width + 2 * M.padX <= 320);
  assert.ok(columns[0].width >= M.narrowMinColW);
});

test('sideways swipes rest on a column: one stop per open column, then the board end', async () => {
  const { columnStops, nearestStop, snapPan } = await import('../canvas/layout.js');
  const { columns, width } = columnsLayout(demo(), 390);
  const stops = columnStops(columns, width, 1, 390);
  const step = columns[1].x - columns[0].x;
  assert.deepEqual(stops.slice(0, 4), [0, -step, -2 * step, -3 * step]);
  assert.equal(stops[4], 390 - width, 'the last stop shows folded Won and Lost');
  assert.equal(stops.length, 5);
  // Each stop puts its column at the left edge (at the board padding).
  for (let i = 0; i < 4; i++) assert.equal(stops[i] + columns[i].x, M.padX);
  assert.equal(nearestStop(stops, -step + 20), 1);
  // A slow short swipe comes back; a long one or a flick goes one column on, never two.
  assert.equal(snapPan(stops, 0, -40, -0.05, 390), 0);
  assert.equal(snapPan(stops, 0, -120, -0.05, 390), -step);
  assert.equal(snapPan(stops, 0, -30, -0.9, 390), -step);
  assert.equal(snapPan(stops, 0, -step * 1.8, -2, 390), -step);
  assert.equal(snapPan(stops, -step, -step + 150, 0.1, 390), 0, 'back to the previous column');
  assert.equal(snapPan(stops, 0, 20, 1.5, 390), 0, 'no column before the first');
  assert.equal(snapPan(stops, stops[4], stops[4] - 30, -1, 390), stops[4], 'none after the end');
  // Zoomed (a pinch) or wide: no stops, no snapping.
  assert.deepEqual(columnStops(columns, width, 1.6, 390), []);
  assert.equal(snapPan([], 0, -200, -1, 390), null);
});
