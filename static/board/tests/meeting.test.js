import test from 'node:test';
import assert from 'node:assert/strict';
import { meetingScale, presenterView, followPlan } from '../panels/meeting.js';
import { recapFigures, recapFileName } from '../panels/recap.js';
import { emptyFilters } from '../core/filters.js';
import { COLORS, setPalette } from '../canvas/theme.js';
import { socketUrl } from '../net/tickets.js';
import { createApi } from '../net/api.js';

const open = { folded: false };
const folded = { folded: true };

test('meeting type scale: as large as the window allows, never below 1', () => {
  const columns = [open, open, open, open, folded, folded];
  // 1920x1080 projector with the numbers panel beside the board.
  const projector = meetingScale({ width: 1500, height: 940, columns });
  assert.ok(projector >= 1.25 && projector <= 1.4, String(projector));
  // A small window: the board already fills it.
  assert.equal(meetingScale({ width: 900, height: 700, columns }), 1);
  // A huge wall: capped.
  assert.equal(meetingScale({ width: 8000, height: 4000, columns }), 1.8);
  // Nothing known yet.
  assert.equal(meetingScale({ width: 0, height: 900, columns }), 1);
  assert.equal(meetingScale({ width: 1500, height: 900, columns: [] }), 1);
});

test('the presenter shares filters as a query, zoom relative to the type scale, the moment', () => {
  const filters = { ...emptyFilters(), campaign: [7], team: 'sales' };
  const view = presenterView({ filters, zoom: 1.95, base: 1.3, asOf: null, meeting: 4 });
  assert.deepEqual(view, { filters: 'campaign=7&team=sales', zoom: 1.5, as_of: null, meeting: 4, presenting: true });
});

test('a follower changes only what differs, scaled to its own window', () => {
  const mine = { filters: emptyFilters(), zoom: 1.2, base: 1.2, asOf: null };
  const plan = followPlan({ filters: 'campaign=7', zoom: 1.5, as_of: '2026-10-01T00:00:00.000Z' }, mine);
  assert.deepEqual(plan.filters, { ...emptyFilters(), campaign: [7] });
  assert.ok(Math.abs(plan.zoom - 1.8) < 1e-9);
  assert.equal(plan.asOf, '2026-10-01T00:00:00.000Z');

  // Already there: nothing to do.
  const same = followPlan({ filters: '', zoom: 1, as_of: null }, mine);
  assert.deepEqual(same, {});
  // Back to live.
  assert.deepEqual(followPlan({ filters: '', zoom: 1, as_of: null }, { ...mine, asOf: '2026-10-01T00:00:00.000Z' }), { asOf: null });
  // Garbage is ignored, bad filter values dropped.
  assert.deepEqual(followPlan({ filters: 42, zoom: 'big' }, mine), {});
  assert.deepEqual(followPlan({ filters: 'campaign=x&team=pirates' }, mine), {});
});

test('palettes switch the colours the canvas reads, and back', () => {
  const light = COLORS.card;
  setPalette('dark');
  assert.equal(COLORS.card, '#1f2937');
  assert.equal(COLORS.ink, '#ffffff');
  setPalette('light');
  assert.equal(COLORS.ink, '#000000');
  assert.equal(COLORS.accent, '#4f46e5'); // the board's own where light does not change it
  setPalette('board');
  assert.equal(COLORS.card, light);
});

const recap = {
  board: { id: 1, name: 'Q4 Pipeline' },
  started_at: '2026-11-22T10:00:00Z',
  ended_at: '2026-11-22T10:45:00Z',
  minutes: 45,
  started_by: 'Morgan Lee',
  moves_total: 2,
  created: 1,
  moves: [
    { lead: 1, lead_name: 'Ada', from_stage_name: 'New', to_stage_name: 'MQL', actor: 'Dana', at: '2026-11-22T10:05:00Z' },
    { lead: 2, lead_name: 'Linus', from_stage_name: 'MQL', to_stage_name: 'SQL', actor: null, at: '2026-11-22T10:07:00Z' },
  ],
  people: [{ name: 'Dana', moves: 1 }, { name: 'System', moves: 1 }],
  stages: [
    { name: 'New', kind: 'open', before: { count: 4, value: 4000, conversion_to_next: 0.25 }, after: { count: 3, value: 3000, conversion_to_next: 0.5 } },
    { name: 'Won', kind: 'won', before: { count: 0, value: 0, conversion_to_next: null }, after: { count: 0, value: 0, conversion_to_next: null } },
  ],
  overall_conversion: { before: 0, after: 0.1 },
};

test('recap figures: the same text for the dialog and the picture', () => {
  const f = recapFigures(recap);
  assert.equal(f.title, 'Meeting recap: Q4 Pipeline');
  assert.equal(f.subtitle, '2026-11-22 10:00–10:45 UTC · 45 min · started by Morgan Lee');
  assert.equal(f.summary, '2 moves made, 1 lead added');
  assert.equal(f.overall, 'Overall conversion 0% → 10% (+10 pts)');
  assert.deepEqual(f.stages[0], { name: 'New', before: '4', after: '3', change: '−1', value: '$4K → $3K', conversion: '25% → 50%', conversionChange: '+25 pts' });
  assert.equal(f.stages[1].conversion, '');
  assert.deepEqual(f.moves[1], { at: '10:07', lead: 'Linus', from: 'MQL', to: 'SQL', by: 'System' });
  assert.equal(f.moreMoves, 0);
  assert.equal(recapFileName(recap, 'png'), 'meeting-recap-2026-11-22.png');
  const small = { ...recap, stages: [{ name: 'MQL', kind: 'open', before: { count: 1, value: 0, conversion_to_next: 0.4762 }, after: { count: 1, value: 0, conversion_to_next: 0.48 } }] };
  assert.equal(recapFigures(small).stages[0].conversionChange, '+0.4 pts');
  // The recap's money is in the board's currency (recaps kept before it had one: USD).
  const euros = { ...recap, board: { ...recap.board, currency: 'EUR' } };
  assert.equal(recapFigures(euros).stages[0].value, '€4K → €3K');
});

test('a share link: the API carries its token, the socket only a ticket', async () => {
  // The socket's URL (access logs) never holds the link's token; see socket.test.js.
  assert.equal(socketUrl({ protocol: 'https:', host: 'fb.example' }, 3, { share: 'a b/c' }), 'wss://fb.example/ws/boards/3/');
  assert.equal(socketUrl({ protocol: 'http:', host: 'h' }, 3, { ticket: 'T' }), 'ws://h/ws/boards/3/?ticket=T');
  const seen = [];
  const fetchImpl = async (url, init) => {
    seen.push({ url, headers: init.headers });
    return { ok: true, status: 200, headers: { get: () => 'application/json' }, json: async () => ({}), text: async () => '# md' };
  };
  const guest = createApi(3, { fetchImpl, csrf: () => 't', share: 'tok' });
  await guest.meeting(9);
  assert.equal(seen[0].url, '/api/boards/3/meetings/9/');
  assert.equal(seen[0].headers['X-Share-Token'], 'tok');
  assert.equal(await guest.meetingRecapMarkdown(9), '# md');
  const member = createApi(3, { fetchImpl, csrf: () => 't' });
  await member.meetingStart();
  assert.equal(seen[2].headers['X-Share-Token'], undefined);
  assert.equal(seen[2].headers['X-CSRFToken'], 't');
});
