// The board on a projector (issue 14, item 4): costs with the board's currency, a
// column's every campaign, chip tooltips, the meeting's type floor and chart type.
import test from 'node:test';
import assert from 'node:assert/strict';
import { costText, costRows, columnCampaigns, chipTipLines } from '../core/costs.js';
import { MEETING_MIN_PX, TYPE, font, setTypeFloor, typeFloorFor, typeSize } from '../canvas/theme.js';
import { panelFigure } from '../panels/panel.js';
import { listButtonLabel } from '../panels/campaignlist.js';
import { chipTip } from '../panels/campaigns.js';
import { followPlan, presenterView } from '../panels/meeting.js';
import { emptyFilters } from '../core/filters.js';

const FUNNEL = {
  campaigns: [
    { id: 1, name: 'Webinar', leads: 12, cost_per_sql: 1250.5, cost_per_won: 5000, cost_missing: false, archived: false },
    { id: 2, name: 'Expo', leads: 30, cost_per_sql: null, cost_per_won: null, cost_missing: true, archived: false },
    { id: 3, name: 'Old ads', leads: 0, cost_per_sql: null, cost_per_won: null, cost_missing: false, archived: true },
    { id: 4, name: 'Ebook', leads: 12, cost_per_sql: 80, cost_per_won: null, cost_missing: false, archived: false },
  ],
};

test('a cost per lead reads in the board currency, "—" while unknown, never 0', () => {
  assert.equal(costText(1250.5, 'EUR'), '€1,250.50');
  assert.equal(costText(5000, 'USD'), '$5,000');
  assert.equal(costText(950, 'CHF'), 'CHF\u00a0950'); // CLDR's spacing, as the server writes it
  assert.equal(costText(null, 'EUR'), '—');
  assert.equal(costText(undefined, 'EUR'), '—');
});

test('the panel lists every campaign with leads, most first, with both costs', () => {
  const rows = costRows(FUNNEL, 'EUR');
  assert.deepEqual(rows.map((r) => [r.name, r.leadsText, r.perSql, r.perWon, r.costMissing]), [
    ['Expo', '30', '—', '—', true],
    ['Ebook', '12', '€80', '—', false],
    ['Webinar', '12', '€1,250.50', '€5,000', false],
  ]);
  assert.deepEqual(costRows(null, 'EUR'), []);
});

test("a column's list has every chip (not only the drawn three rows), in chip order", () => {
  const col = {
    name: 'New',
    chips: [
      { id: 2, name: 'Expo', color: '#f00', count: 9, costMissing: true },
      { id: 1, name: 'Webinar', color: '#0f0', count: 5, costMissing: false },
      { id: 9, name: 'No figures yet', color: '#00f', count: 1, costMissing: false },
    ],
  };
  const rows = columnCampaigns(col, FUNNEL, 'USD');
  assert.deepEqual(rows.map((r) => [r.id, r.countText, r.perSql, r.perWon]), [
    [2, '9', '—', '—'],
    [1, '5', '$1,250.50', '$5,000'],
    [9, '1', '—', '—'],
  ]);
  assert.equal(listButtonLabel(col), 'Campaigns in New: 3');
});

test("a chip's tooltip: full name, leads in the stage, both costs; or the missing cost", () => {
  const long = 'Northern Europe Q4 Webinar Series for Operations Leaders';
  const lines = chipTipLines({ name: long, channel: 'webinar', cost: 1000 }, { stageName: 'New', count: 8, figures: FUNNEL.campaigns[0], currency: 'EUR' });
  assert.deepEqual(lines, [`${long} · webinar`, '8 leads in New', 'Cost per SQL €1,250.50 · per Won €5,000']);
  assert.match(chipTip({ name: 'Expo', cost: null }, { stageName: 'SQL', count: 1 }), /^Expo\n1 lead in SQL\nCost missing/);
  assert.equal(chipTip(null), null);
});

test('the meeting type floor: 16 px on screen at the scale, capped where the layout holds', () => {
  assert.equal(MEETING_MIN_PX, 16);
  assert.ok(typeFloorFor(1.3) * 1.3 >= 16);
  assert.equal(typeFloorFor(1.3), 12.31);
  assert.equal(typeFloorFor(1), 13); // capped: chips and cards have fixed heights
  assert.equal(typeFloorFor(0), 0);
  try {
    setTypeFloor(typeFloorFor(1.3));
    assert.equal(typeSize(11), 12.31);
    assert.equal(typeSize(17), 17);
    assert.match(font(11, 700), /^700 12\.31px /); // measured as drawn
  } finally {
    setTypeFloor(0);
  }
  assert.equal(TYPE.floor, 0);
  assert.equal(typeSize(11), 11);
});

test('meeting charts: every label at least 16 px; the board keeps its own sizes', () => {
  const figure = {
    data: [{ type: 'heatmap', y: ['w1', 'w2'], z: [[0.1], [0.2]] }],
    layout: { title: { text: 'Cohorts' }, font: { size: 13 } },
  };
  const board = panelFigure('cohorts', figure);
  assert.equal(board.layout.font.size, 11);
  const meeting = panelFigure('cohorts', figure, {}, 'light', { minFont: 16 });
  const sizes = [meeting.layout.font.size, meeting.layout.title.font.size, meeting.layout.legend.font.size, meeting.layout.yaxis.tickfont.size, meeting.data[0].textfont.size];
  assert.ok(sizes.every((s) => s >= 16), String(sizes));
  assert.ok(meeting.layout.height > board.layout.height);
});

test('a follower of another window size fits the board its own way (zoom relative to the fitted)', () => {
  // The presenter at 1920 fits at 1.3 and zooms to 1.56; a follower at 1366 fits at 0.88.
  const view = presenterView({ filters: emptyFilters(), zoom: 1.56, base: 1.3, asOf: null, meeting: 1 });
  assert.equal(view.zoom, 1.2);
  const plan = followPlan(view, { filters: emptyFilters(), zoom: 0.88, base: 0.88, asOf: null });
  assert.ok(Math.abs(plan.zoom - 1.056) < 1e-9);
  // Fitted on both sides: the follower stays fitted.
  const fitted = presenterView({ filters: emptyFilters(), zoom: 1.3, base: 1.3, asOf: null, meeting: 1 });
  assert.equal(followPlan(fitted, { filters: emptyFilters(), zoom: 0.88, base: 0.88, asOf: null }).zoom, undefined);
});
