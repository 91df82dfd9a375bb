import test from 'node:test';
import assert from 'node:assert/strict';
import { exportLayout, describeFilters, stampText, exportFileName, exportTime, UHD } from '../panels/export.js';
import { emptyFilters } from '../core/filters.js';

const SCREEN = { width: 1220, height: 780 };

test('1x is the board as on screen, stamp included, pixel for pixel', () => {
  const l = exportLayout('1x', SCREEN);
  assert.deepEqual([l.width, l.height, l.scale, l.band], [1220, 780, 1, 40]);
  assert.deepEqual(l.board, { x: 0, y: 40, width: 1220, height: 740, pixelRatio: 1, whole: false });
  assert.equal(l.charts, null);
});

test('2x doubles every pixel; the charts add their column on the right', () => {
  const l = exportLayout('2x', SCREEN, true);
  assert.deepEqual([l.width, l.height], [(1220 + 380) * 2, 780 * 2]);
  assert.deepEqual(l.board, { x: 0, y: 80, width: 1220, height: 740, pixelRatio: 2, whole: false });
  assert.deepEqual(l.charts, { x: 2440, y: 80, width: 760, height: 1480, tile: { width: 380, height: 185 } });
  // Four tiles fit in the column.
  assert.ok(4 * l.charts.tile.height * l.scale <= l.charts.height);
});

test('4K is exactly 3840 x 2160 whatever the screen, the whole board fitted in', () => {
  for (const screen of [SCREEN, { width: 3000, height: 400 }]) {
    for (const charts of [false, true]) {
      const l = exportLayout('4k', screen, charts);
      assert.deepEqual([l.width, l.height], [UHD.width, UHD.height]);
      assert.equal(l.board.whole, true);
      assert.equal(l.board.pixelRatio, 2);
      assert.equal(l.band + l.board.height * 2, UHD.height);
      const chartsW = l.charts ? l.charts.width : 0;
      assert.equal(l.board.width * 2 + chartsW, UHD.width);
    }
  }
  assert.deepEqual(exportLayout('4k', SCREEN, true).charts, { x: 2720, y: 80, width: 1120, height: 2080, tile: { width: 560, height: 260 } });
});

test('the filters in words', () => {
  const names = { campaignName: (id) => ({ 3: 'Webinar', 4: 'Ads' })[id], personName: (id) => ({ 7: 'Dana Kim' })[id] };
  assert.equal(describeFilters(emptyFilters(), names), 'All leads');
  assert.equal(describeFilters(null, names), 'All leads');
  assert.equal(
    describeFilters({ ...emptyFilters(), campaign: [3, 4], owner: 7, team: 'sales', score_min: 40, q: 'acme' }, names),
    'Campaigns: Webinar, Ads · Owner: Dana Kim · Team: Sales · Score 40–100 · Search: “acme”',
  );
  assert.equal(describeFilters({ ...emptyFilters(), campaign: [3], score_max: 50 }, names), 'Campaign: Webinar · Score 0–50');
});

test('the stamp names the board, its filters, the moment shown and the export time', () => {
  const exportedAt = new Date('2026-11-22T17:40:12Z');
  assert.equal(exportTime(exportedAt, 'UTC'), '22 Nov 2026, 17:40 UTC');
  assert.deepEqual(stampText({ boardName: 'Q4 Pipeline', filtersText: 'All leads', asOf: null, exportedAt, timeZone: 'UTC' }), {
    title: 'Q4 Pipeline',
    detail: 'All leads · Live board · Exported 22 Nov 2026, 17:40 UTC',
  });
  const past = stampText({ boardName: 'Q4', filtersText: 'Team: Sales', asOf: '2026-07-05T23:59:59.999Z', exportedAt, timeZone: 'UTC' });
  assert.equal(past.detail, 'Team: Sales · Board as of 5 Jul 2026 · Exported 22 Nov 2026, 17:40 UTC');
});

test('file names: the board slug and the day shown', () => {
  const exportedAt = new Date(2026, 10, 22, 9, 30); // local time
  assert.equal(exportFileName('Q4 Pipeline', { exportedAt }), 'q4-pipeline-2026-11-22.png');
  assert.equal(exportFileName('Q4 Pipeline', { asOf: '2026-07-05T23:59:59.999Z', exportedAt }), 'q4-pipeline-2026-07-05.png');
  assert.equal(exportFileName('Ventes / Équipe été', { exportedAt }), 'ventes-equipe-ete-2026-11-22.png');
  assert.equal(exportFileName('***', { exportedAt }), 'board-2026-11-22.png');
});
