// The handoff lane: who waits in it (state + events), how the column draws it,
// and its list geometry.
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvent, applyEvents, waitsInLane, awaitsVerdict } from '../core/reducer.js';
import { buildColumns, canJudge, cardFor, dropPosition, dropNeighbour } from '../core/model.js';
import { rankBetween } from '../core/rank.js';
import { listLayout, LANE, M, cardTop } from '../canvas/layout.js';
import { emptyFilters } from '../core/filters.js';
import { apiState, card, moved, created, updated, feedback, campaignMoved, imported, move } from './fixtures.js';

// New [1 2 3 | more]  MQL [4]  SQL (sales) [5 6 | more]: 5 waits, 6 was accepted;
// the lane also lists 7, waiting past SQL's loaded page. 9 waits, not loaded at all.
const SQL = 5;
function laneState(overrides = {}, filters = emptyFilters()) {
  const base = apiState();
  const sql = {
    id: SQL, name: 'SQL', position: 2, kind: 'open', team: 'sales', sla_days: null, color: '#0284c7',
    count: 9, value: 9000, next: 'cursor-sql',
    leads: [card(5, SQL, 0, { verdict: null, stage_entered_at: '2025-11-03T00:00:00Z' }), card(6, SQL, 1, { verdict: 'accepted' })],
  };
  const stages = [...base.stages.slice(0, 2), sql, base.stages[2]];
  for (const s of stages) for (const c of s.leads) if (c.verdict === undefined) c.verdict = null;
  const lane = {
    stage: SQL,
    count: 3,
    leads: [card(7, SQL, 40, { verdict: null, stage_entered_at: '2025-11-02T00:00:00Z' }), card(5, SQL, 0, { verdict: null, stage_entered_at: '2025-11-03T00:00:00Z' })],
  };
  const campaigns = base.campaigns.map((c) => ({ ...c, stages: { ...c.stages, [SQL]: { count: 0, value: 0 } } }));
  return loadState({ ...base, stages, campaigns, handoff: lane, board: { ...base.board, me: { role: 'editor', team: 'sales', may_judge: true } }, ...overrides }, filters);
}
const col = (state, id, opts) => buildColumns(state, opts).find((c) => c.id === id);

test('load: the lane lists the waiting leads; the column draws them first', () => {
  const s = laneState();
  assert.deepEqual(s.handoff.ids, [7, 5]);
  assert.equal(s.handoff.count, 3);
  const sql = col(s, SQL);
  assert.deepEqual(sql.ids, [7, 5, 6]); // lane (longest waiting first), then the others
  assert.equal(sql.lane, 2);
  assert.deepEqual(sql.handoff, { ids: [7, 5], count: 3, canJudge: true });
  assert.equal(cardFor(s, new Map(), 7).name, 'Lead 7'); // past the page: the lane's copy
  assert.equal(col(s, 1).lane, 0);
  assert.equal(col(s, 1).handoff, null);
  // No lane block (a past moment, or no sales stage): no lane.
  const past = laneState({ handoff: null });
  assert.equal(past.handoff, null);
  assert.deepEqual(col(past, SQL).ids, [5, 6]);
});

test('who may judge: what the server says (me.may_judge), nothing guessed from role or team', () => {
  assert.equal(canJudge({ role: 'editor', team: 'sales', may_judge: true }), true);
  assert.equal(canJudge({ role: 'owner', team: 'sales' }), false); // no answer: no buttons
  assert.equal(canJudge({ role: 'viewer', team: 'sales', may_judge: false }), false);
  assert.equal(canJudge(null), false);
  assert.equal(col(laneState({ board: { id: 9, name: 'Q4', me: { role: 'editor', team: 'management', may_judge: false } } }), SQL).handoff.canJudge, false);
  assert.equal(col(laneState({ board: { id: 9, name: 'Q4', me: { role: 'owner', team: 'management', may_judge: true } } }), SQL).handoff.canJudge, true);
});

test('a verdict takes the lead out of the lane; its card stays and shows it', () => {
  const s = laneState();
  const r = applyEvent(s, feedback(11, 5, 'rejected', 'No budget'));
  assert.deepEqual(r.state.handoff.ids, [7]);
  assert.equal(r.state.handoff.count, 2);
  assert.equal(r.state.leads[5].verdict, 'rejected');
  assert.equal(r.state.leads[5].version, 1);
  assert.deepEqual(col(r.state, SQL).ids, [7, 5, 6]);
  assert.equal(col(r.state, SQL).lane, 1);
  assert.deepEqual(r.effects.map((e) => [e.kind, e.lead, e.name, e.verdict, e.reason, e.campaign]), [['feedback', 5, 'Lead 5', 'rejected', 'No budget', 30]]);
  // A lane-only card: gone from the lane, named from the lane's copy.
  const r2 = applyEvent(r.state, feedback(12, 7, 'accepted'));
  assert.deepEqual(r2.state.handoff.ids, []);
  assert.equal(r2.state.handoff.count, 1);
  assert.equal(r2.effects[0].name, 'Lead 7');
  assert.equal(s.handoff.ids.length, 2); // the original is untouched
  // Lead 9 waits unseen (count 1 > 0 drawn): only the server can say.
  const r3 = applyEvent(r2.state, feedback(13, 9, 'accepted'));
  assert.equal(r3.refetch, true);
});

test('a lead moved into the handoff stage waits there unless judged before', () => {
  const s = laneState();
  // MQL [4] -> SQL: no verdict yet, it joins the lane at its end (it arrived last).
  const arrive = moved(11, card(4, SQL, -1, { version: 2, verdict: null, stage_entered_at: '2025-11-20T12:00:00Z' }), 2);
  let r = applyEvent(s, arrive);
  assert.deepEqual(r.state.handoff.ids, [7, 5, 4]);
  assert.equal(r.state.handoff.count, 4);
  assert.deepEqual(col(r.state, SQL).ids, [7, 5, 4, 6]);
  // Replayed (duplicate seq): nothing twice.
  assert.equal(applyEvent(r.state, arrive).state.handoff.count, 4);
  // Judged before, it comes back to the stage's other cards.
  r = applyEvent(s, moved(11, card(4, SQL, -1, { version: 2, verdict: 'rejected' }), 2));
  assert.deepEqual(r.state.handoff.ids, [7, 5]);
  assert.equal(r.state.handoff.count, 3);
  assert.deepEqual(col(r.state, SQL).ids, [7, 5, 4, 6]);
  assert.equal(col(r.state, SQL).lane, 2);
});

test('moving out of the stage leaves the lane; a waiting lead past the page is only counted', () => {
  const s = laneState();
  let r = applyEvent(s, moved(11, card(5, 2, -1, { version: 2, verdict: null }), SQL));
  assert.deepEqual(r.state.handoff.ids, [7]);
  assert.equal(r.state.handoff.count, 2);
  r = applyEvent(s, moved(11, card(9, 2, -1, { version: 4, verdict: null }), SQL));
  assert.deepEqual(r.state.handoff.ids, [7, 5]);
  assert.equal(r.state.handoff.count, 2);
  assert.equal(r.refetch, false);
});

test('an event the loaded data already has changes nothing in the lane', () => {
  // The state was read after lead 4 went to SQL (v2), was accepted and came back
  // to MQL (v3); the event of its first move (v2, not judged then) comes after.
  const s = laneState();
  const later = { ...s, leads: { ...s.leads, 4: { ...s.leads[4], version: 3, verdict: 'accepted' } } };
  const r = applyEvent(later, moved(11, card(4, SQL, -1, { version: 2, verdict: null }), 2));
  assert.deepEqual(r.state.handoff.ids, [7, 5]);
  assert.equal(r.state.handoff.count, 3);
});

test('the lane follows the filters; created leads join it', () => {
  const filtered = laneState({}, { ...emptyFilters(), score_min: 60 });
  const r = applyEvents(filtered, [
    created(11, card(20, SQL, -2, { score: 30, verdict: null, stage_entered_at: '2025-11-21T00:00:00Z' })),
    created(12, card(21, SQL, -3, { score: 90, verdict: null, stage_entered_at: '2025-11-21T00:00:00Z' })),
  ]);
  assert.deepEqual(r.state.handoff.ids, [7, 5, 21]);
  assert.equal(r.state.handoff.count, 4);
  // Updated below the filter: out, and no longer counted.
  const r2 = applyEvent(r.state, updated(13, card(21, SQL, -3, { score: 10, version: 2, verdict: null }), ['score']));
  assert.deepEqual(r2.state.handoff.ids, [7, 5]);
  assert.equal(r2.state.handoff.count, 3);
});

test('campaign moves carry waiting cards out of (and into) the lane', () => {
  const s = laneState();
  const r = applyEvent(s, campaignMoved(11, 30, SQL, 2, [move(5, SQL, 2, 0, 2), move(7, SQL, 2, 1, 2)]));
  assert.deepEqual(r.state.handoff.ids, []);
  assert.equal(r.state.handoff.count, 1);
  assert.equal(r.refetch, true); // 7 is past SQL's loaded page: it may top MQL now
});

test('an import asks for the board again and says what it did', () => {
  const r = applyEvent(laneState(), imported(11, { created: 12, updated: 3 }));
  assert.equal(r.refetch, true);
  assert.deepEqual(r.effects.map((e) => [e.kind, e.created, e.updated]), [['imported', 12, 3]]);
});

test('a move in flight into the handoff stage shows in the lane at once', () => {
  const s = laneState();
  const drawn = col(s, SQL); // [7 5 | 6]
  const at = (leadId, index, column = drawn) => dropPosition(s, new Map(), column.ids, leadId, index, column.lane);
  const pending = new Map([[4, { card: s.leads[4], from: 2, to: SQL, position: at(4, 0) }]]);
  const sql = col(s, SQL, { pending });
  assert.deepEqual(sql.ids, [7, 5, 4, 6]);
  assert.equal(sql.handoff.count, 4);
  // A lane card dragged away leaves it; a judged card dropped under the lane lands at its index.
  const out = new Map([[5, { card: s.leads[5], from: SQL, to: 2, position: at(5, 0, col(s, 2)) }]]);
  assert.deepEqual(col(s, SQL, { pending: out }).ids, [7, 6]);
  assert.equal(col(s, SQL, { pending: out }).handoff.count, 2);
  const judged = { ...s.leads[4], verdict: 'accepted' };
  // Under the lane, above 6: the lane's cards are no neighbours, so before 6.
  assert.equal(at(4, 2), rankBetween(null, s.leads[6].position));
  const under = new Map([[4, { card: judged, from: 2, to: SQL, position: at(4, 2) }]]);
  assert.deepEqual(col(s, SQL, { pending: under }).ids, [7, 5, 4, 6]);
  assert.equal(col(s, SQL, { pending: under }).lane, 2);
});

test('waitsInLane needs a known null verdict in the handoff stage', () => {
  assert.equal(waitsInLane({ stage: SQL, verdict: null }, SQL), true);
  assert.equal(waitsInLane({ stage: SQL, verdict: 'accepted' }, SQL), false);
  assert.equal(waitsInLane({ stage: SQL }, SQL), false); // unknown (a past moment's card)
  assert.equal(waitsInLane({ stage: 2, verdict: null }, SQL), false);
});

test('a lead judged, sent back and handed over again waits again', () => {
  const judged = { stage: SQL, verdict: 'rejected', verdict_at: '2025-11-05T10:00:00.000Z', stage_entered_at: '2025-11-04T09:00:00Z' };
  assert.equal(waitsInLane(judged, SQL), false); // judged since it entered
  const again = { ...judged, stage_entered_at: '2025-11-06T08:00:00Z' };
  assert.equal(waitsInLane(again, SQL), true); // entered again after the verdict
  assert.equal(awaitsVerdict({ verdict: 'accepted' }), false); // judged, when unknown
});

test('list geometry: the lane on top, taller cards, then the plain list', () => {
  const plain = listLayout(3, false);
  assert.equal(plain.offset, 0);
  assert.equal(plain.top(2), cardTop(2));
  const g = listLayout(5, true, { n: 2, more: true });
  const lanePitch = LANE.cardH + M.cardGap;
  assert.equal(g.top(0), M.listInset + LANE.headH);
  assert.equal(g.top(1), M.listInset + LANE.headH + lanePitch);
  assert.equal(g.height(1), LANE.cardH);
  assert.equal(g.offset, M.listInset + LANE.headH + 2 * lanePitch - M.cardGap + LANE.moreH + LANE.footH);
  assert.equal(g.top(2), g.offset + cardTop(0));
  assert.equal(g.height(2), M.cardH);
  // Visible: from the lane on into the rest.
  assert.deepEqual(g.visible(0, g.offset + 10), [0, 4]);
  const [first] = g.visible(g.offset + 5 * (M.cardH + M.cardGap), 100);
  assert.ok(first >= 2);
  // Drops over the lane go to the top of the other cards.
  assert.equal(g.dropIndex(5), 2);
  assert.equal(g.dropIndex(g.offset + cardTop(1) + 10), 3);
  assert.equal(g.clampScroll(1e9, 100), g.content - 100);
  assert.equal(g.scrollToShow(3, 0, 100), g.top(3) + M.cardH + M.listInset - 100);
  // An empty lane still has its header.
  assert.equal(listLayout(0, false, { n: 0, more: false }).offset, M.listInset + LANE.headH + LANE.footH);
});

test('the drop neighbour is never a lane card', () => {
  // Drawn: lane [7 5] | 4 6
  assert.deepEqual(dropNeighbour([7, 5, 4, 6], 9, 2, 2), { before: 4 });
  assert.deepEqual(dropNeighbour([7, 5, 4, 6], 9, 3, 2), { after: 4 });
  assert.deepEqual(dropNeighbour([7, 5, 4, 6], 9, 0, 2), { before: 4 });
  assert.deepEqual(dropNeighbour([7, 5], 9, 2, 2), {});
  assert.deepEqual(dropNeighbour([1, 2, 3], 9, 1), { after: 1 }); // no lane: as before
});
