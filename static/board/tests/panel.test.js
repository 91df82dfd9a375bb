import test from 'node:test';
import assert from 'node:assert/strict';
import { panelFigure, chartsEmpty, chartHeight, shortLabel, chartSummary, CHARTS } from '../panels/panel.js';

// Trimmed figures in the shape funnel/charts.py answers.
const layout = (title, extra = {}) => ({ title: { text: title, x: 0.02 }, font: { family: 'Inter', size: 13 }, margin: { l: 60, r: 20, t: 50, b: 50 }, template: { layout: {} }, ...extra });
const FIGURES = {
  funnel: { data: [{ type: 'funnel', y: ['New', 'MQL', 'Won'], x: [240, 113, 13] }], layout: layout('Funnel: 240 leads · overall 5.4%') },
  time_in_stage: {
    data: [
      { type: 'bar', name: 'Left after (median)', x: ['New', 'MQL'], y: [3.42, null] },
      { type: 'bar', name: 'Left after (p90)', x: ['New', 'MQL'], y: [4.87, null] },
      { type: 'bar', name: 'Here now (median age)', x: ['New', 'MQL'], y: [82.6, 1] },
    ],
    layout: layout('Days in stage', { barmode: 'group', yaxis: { title: { text: 'days' } } }),
  },
  campaigns: {
    data: [
      { type: 'bar', name: 'leads', x: ['Ebook: Funnel Metrics That Matter', 'Ads'], y: [30, 19] },
      { type: 'bar', name: 'won', x: ['Ebook: Funnel Metrics That Matter', 'Ads'], y: [1, 2] },
    ],
    layout: layout('Campaigns', { barmode: 'group', yaxis: { title: { text: 'leads' } } }),
  },
  cohorts: { data: [{ type: 'heatmap', x: ['New', 'Won'], y: ['2026-05-25 (1)', '2026-06-01 (9)'], z: [[1, 0], [1, 0.1]] }], layout: layout('Weekly cohorts') },
  seq: 8,
};

test('the panel draws four charts', () => {
  assert.deepEqual(CHARTS.map((c) => c.key), ['funnel', 'time_in_stage', 'campaigns', 'cohorts']);
});

test('figures fit the panel: its width, compact margins, the server title kept', () => {
  const fig = panelFigure('time_in_stage', FIGURES.time_in_stage);
  assert.equal(fig.layout.autosize, true);
  assert.equal(fig.layout.width, undefined);
  assert.equal(fig.layout.height, 230);
  assert.equal(fig.layout.title.text, 'Days in stage');
  assert.equal(fig.layout.margin.t, 40);
  assert.equal(fig.layout.barmode, 'group');
  assert.deepEqual(fig.data[0].y, [3.42, null]);
  // An export gives the tile's size.
  const tile = panelFigure('funnel', FIGURES.funnel, { width: 560, height: 260 });
  assert.deepEqual([tile.layout.width, tile.layout.height, tile.layout.autosize], [560, 260, false]);
  // The server's figure is not changed.
  assert.equal(FIGURES.time_in_stage.layout.margin.t, 50);
});

test('campaign bars lie down: names on the side, cut short, the counts along', () => {
  const fig = panelFigure('campaigns', FIGURES.campaigns);
  assert.deepEqual(fig.data.map((t) => t.orientation), ['h', 'h']);
  assert.deepEqual(fig.data[0].x, [30, 19]);
  assert.deepEqual(fig.data[0].y, ['Ebook: Funnel Metrics That Matter', 'Ads']);
  assert.deepEqual(fig.layout.yaxis.ticktext, ['Ebook: Funnel Metrics T…', 'Ads']);
  assert.equal(fig.layout.yaxis.autorange, 'reversed');
  assert.equal(fig.layout.xaxis.title.text, 'leads');
});

test('cohort cells keep their percentages only where rows are tall enough', () => {
  const weeks = { data: [{ type: 'heatmap', texttemplate: '%{z:.0%}', y: Array.from({ length: 26 }, String), z: [] }], layout: {} };
  assert.equal(panelFigure('cohorts', weeks).data[0].texttemplate, '%{z:.0%}');
  assert.equal(panelFigure('cohorts', weeks, { width: 560, height: 260 }).data[0].texttemplate, '');
});

test('heights follow the content: a row per cohort week, bars per campaign', () => {
  assert.equal(chartHeight('cohorts', FIGURES.cohorts), 220);
  const weeks = { data: [{ y: Array.from({ length: 26 }, (_, i) => `w${i}`) }] };
  assert.equal(chartHeight('cohorts', weeks), 90 + 26 * 16);
  assert.equal(chartHeight('cohorts', { data: [{ y: Array.from({ length: 200 }, String) }] }), 560);
  assert.equal(chartHeight('campaigns', { data: [{ x: Array.from({ length: 8 }, String) }] }), 330);
});

test('an empty board is said so, not drawn as empty axes', () => {
  assert.equal(chartsEmpty(FIGURES), false);
  assert.equal(chartsEmpty({ ...FIGURES, funnel: { data: [{ y: ['New'], x: [0] }] } }), true);
  assert.equal(chartsEmpty({ funnel: { data: [] } }), true);
  assert.equal(chartsEmpty(null), true);
});

test('screen readers hear the figures', () => {
  assert.equal(chartSummary('funnel', FIGURES.funnel), 'Funnel: New 240, MQL 113, Won 13');
  assert.equal(
    chartSummary('time_in_stage', FIGURES.time_in_stage),
    'Left after (median): New 3.4 days, MQL no data; Left after (p90): New 4.9 days, MQL no data; '
      + 'Here now (median age): New 82.6 days, MQL 1.0 days',
  );
  assert.equal(chartSummary('cohorts', FIGURES.cohorts), 'Weekly cohorts');
  assert.equal(shortLabel('abc', 24), 'abc');
});
