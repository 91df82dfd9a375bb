// What the canvas draws, derived from the state plus this browser's moves in
// flight (shown at once, before the server has answered). Pure.
//
// The handoff stage's column draws its lane first: ``ids`` are the drawn lead
// ids, the ``lane`` first ones waiting for sales' verdict (longest waiting
// first), then the stage's other loaded cards in (position, id) order. Other
// columns have ``lane: 0`` and ``handoff: null``.

import { compareCards, compareWaiting, waitsInLane } from './reducer.js';
import { rankBetween } from './rank.js';

/** A stage's name as the board's sentences say it (a stage not in ``state``:
 * "another stage"). */
export function stageName(state, id) {
  return state && state.stages[id] ? state.stages[id].name : 'another stage';
}

/** Is the campaign's cost not entered yet? (null on the server: cost per SQL and
 * per Won are unknown, shown "—"; the chip and the settings row say "cost missing".) */
export function campaignCostMissing(campaign) {
  return !!campaign && campaign.cost == null;
}

/** The campaigns a picker offers, by name: the archived ones are left out, except
 * ``keep`` (ids already chosen, so a filter on one still reads). */
export function pickableCampaigns(state, keep = []) {
  return state.campaignOrder.filter((id) => state.campaigns[id] && (!state.campaigns[id].archived || keep.includes(id)));
}

/** May this member accept or reject leads in the handoff lane? The server's
 * answer (``me.may_judge``, from ``leads.rules.may_judge``): the rule lives there. */
export function canJudge(me) {
  return !!me && me.may_judge === true;
}

/**
 * pending: Map lead id -> {card, from, to, position}: a move sent and not yet
 * seen in the state, drawn at ``position``, the rank the server is expected to
 * give it (``dropPosition``). folded: Set of stage ids. funnel: the /funnel/
 * answer or null.
 */
export function buildColumns(state, { pending = new Map(), folded = new Set(), funnel = null } = {}) {
  const ids = {};
  const figures = {};
  const chipCounts = {};
  const hand = state.handoff && state.stages[state.handoff.stage] ? state.handoff : null;
  const lane = hand ? laneOf(state, hand) : new Set();
  let waitingDelta = 0; // moves in flight into (+) or out of (-) the lane
  for (const id of state.stageOrder) {
    ids[id] = state.stages[id].ids.filter((leadId) => !lane.has(leadId));
    figures[id] = { count: state.stages[id].count, value: state.stages[id].value };
  }
  const bump = (stageId, campaignId, n, value) => {
    if (figures[stageId]) {
      figures[stageId].count = Math.max(0, figures[stageId].count + n);
      figures[stageId].value = Math.max(0, figures[stageId].value + value);
    }
    if (campaignId != null) {
      const key = `${campaignId}:${stageId}`;
      chipCounts[key] = (chipCounts[key] || 0) + n;
    }
  };
  for (const [leadId, p] of pending) {
    const known = state.leads[leadId] || (hand && hand.cards[leadId]) || null;
    const at = known ? known.stage : null;
    if (at != null && ids[at]) {
      const i = ids[at].indexOf(leadId);
      if (i >= 0) ids[at].splice(i, 1);
    }
    if (lane.delete(leadId)) waitingDelta -= 1;
    if (!ids[p.to]) continue;
    const entered = p.to !== p.card.stage ? new Date().toISOString() : p.card.stage_entered_at;
    if (hand && waitsInLane({ ...p.card, stage: p.to, stage_entered_at: entered }, hand.stage)) {
      lane.add(leadId);
      waitingDelta += 1;
    } else {
      // Among the column's cards (and other moves in flight) by its expected rank.
      const card = { ...cardFor(state, pending, leadId), stage_entered_at: entered };
      const sort = state.stages[p.to] && state.stages[p.to].sort;
      const at = ids[p.to].findIndex((id) => compareCards(card, cardFor(state, pending, id), sort) < 0);
      ids[p.to].splice(at < 0 ? ids[p.to].length : at, 0, leadId);
    }
    // Figures move only while the state has the card where it was.
    if (at != null && at !== p.to) {
      bump(at, p.card.campaign, -1, -p.card.value);
      bump(p.to, p.card.campaign, 1, p.card.value);
    }
  }
  const funnelById = {};
  for (const s of (funnel && funnel.stages) || []) funnelById[s.id] = s;
  return state.stageOrder.map((id, index) => {
    const stage = state.stages[id];
    const next = state.stages[state.stageOrder[index + 1]];
    const f = funnelById[id];
    const chips = [];
    for (const campaignId of state.campaignOrder) {
      const campaign = state.campaigns[campaignId];
      if (!campaign || campaign.archived) continue; // archived: its leads stay, its chip goes
      const fig = campaign.stages && campaign.stages[id];
      const n = (fig ? fig.count : 0) + (chipCounts[`${campaignId}:${id}`] || 0);
      if (n > 0) chips.push({ id: campaignId, name: campaign.name, color: campaign.color, count: n, costMissing: campaignCostMissing(campaign) });
    }
    chips.sort((a, b) => b.count - a.count || String(a.name).localeCompare(String(b.name)));
    const handoff =
      hand && id === hand.stage
        ? {
            ids: [...lane].sort((a, b) => compareWaiting(laneCardFor(state, pending, a), laneCardFor(state, pending, b))),
            count: Math.max(lane.size, hand.count + waitingDelta),
            canJudge: canJudge(state.board && state.board.me),
          }
        : null;
    return {
      id,
      name: stage.name,
      kind: stage.kind,
      team: stage.team,
      color: stage.color,
      sla_days: stage.sla_days,
      wip_limit: stage.wip_limit ?? null,
      wip: wipState(figures[id].count, stage.wip_limit),
      overdue: stage.overdue ?? 0,
      folded: folded.has(id),
      count: figures[id].count,
      value: figures[id].value,
      currency: state.board ? state.board.currency : undefined,
      hasMore: stage.next != null,
      ids: handoff ? [...handoff.ids, ...ids[id]] : ids[id],
      // A column in another sort than board order: its cards in board order, for the
      // rank of a card dropped into it (net/writes.js).
      boardIds: stage.sort && stage.sort !== 'position' ? boardOrder(state, pending, handoff, ids[id]) : undefined,
      lane: handoff ? handoff.ids.length : 0,
      handoff,
      conversion: f && stage.kind === 'open' && next ? f.conversion_to_next ?? null : null,
      medianDays: f ? f.median_days ?? null : null, // left after: finished visits (the funnel)
      medianAgeDays: stage.median_age_days ?? null, // here now: the leads in it (/state/)
      sort: stage.sort || 'position', // the person's sort of the column (core/cardsort.js)
      nextName: next ? next.name : null,
      chips,
    };
  });
}

function boardOrder(state, pending, handoff, ids) {
  const byPosition = [...ids].sort((a, b) => compareCards(cardFor(state, pending, a), cardFor(state, pending, b)));
  return handoff ? [...handoff.ids, ...byPosition] : byPosition;
}

/** The card to draw for a lead: in flight, it is already in its new stage, at
 * its expected rank. */
export function cardFor(state, pending, leadId) {
  const p = pending.get(leadId);
  if (p) return { ...p.card, stage: p.to, position: p.position };
  return state.leads[leadId] || (state.handoff && state.handoff.cards[leadId]) || null;
}

/**
 * The rank the server gives a card dropped at ``index`` of a drawn column (``ids``,
 * its first ``lane`` ones the handoff lane's): the server places it next to the
 * same drawn neighbour (``dropNeighbour``) and takes a rank between that card's and
 * the one beyond, with the same algorithm. So the card is drawn where it will
 * stay, between the same two cards whatever else arrives meanwhile.
 */
export function dropPosition(state, pending, ids, leadId, index, lane = 0) {
  const others = ids.slice(lane).filter((id) => id !== leadId);
  const rankOf = (id) => (id == null ? null : cardFor(state, pending, id).position);
  const { after, before } = dropNeighbour(ids, leadId, index, lane);
  if (before != null) return rankBetween(null, rankOf(before));
  if (after != null) return rankBetween(rankOf(after), rankOf(others[others.indexOf(after) + 1]));
  return rankBetween(null, null);
}

/** For the lane's order: a card on its way into the stage has only just arrived. */
function laneCardFor(state, pending, leadId) {
  const card = cardFor(state, pending, leadId);
  const p = pending.get(leadId);
  return p && p.from !== p.to ? { ...card, stage_entered_at: '9999-12-31T00:00:00Z' } : card;
}

/** The lead ids drawn in the lane: those the server listed, and any loaded card
 * of the stage that waits (placed there by an event, or past the lane's page). */
function laneOf(state, hand) {
  const lane = new Set();
  for (const id of hand.ids) {
    const card = state.leads[id] || hand.cards[id];
    if (waitsInLane(card, hand.stage)) lane.add(id);
  }
  for (const id of state.stages[hand.stage].ids) {
    if (waitsInLane(state.leads[id], hand.stage)) lane.add(id);
  }
  return lane;
}

/** A column's work in progress against its WIP limit: null (no limit), 'under',
 * 'at' (amber) or 'over' (red). */
export function wipState(count, limit) {
  if (limit == null) return null;
  if (count > limit) return 'over';
  return count === limit ? 'at' : 'under';
}

/** The funnel order with ``stageId`` dropped at ``index`` among the other stages
 * (a column dragged by its header); the same order when it stays where it was. */
export function stageOrderAfterDrop(order, stageId, index) {
  const rest = order.filter((id) => id !== stageId);
  const at = Math.max(0, Math.min(rest.length, index));
  return [...rest.slice(0, at), stageId, ...rest.slice(at)];
}

/**
 * "Returned by sales": the card's latest verdict is a rejection and it sits in an
 * open marketing stage (recycled, or moved back by hand). The one rule for the badge.
 */
export function returnedBySales(card, stage) {
  return Boolean(card && stage && card.verdict === 'rejected' && stage.team === 'marketing' && stage.kind === 'open');
}

/** The stages that close a deal (won, lost): reached only by a move of their own. */
export function closingStages(state) {
  return new Set(state.stageOrder.filter((id) => state.stages[id].kind !== 'open'));
}

/** Won and Lost start folded; anything the user unfolded or folded is kept. */
export function defaultFolded(state) {
  return new Set(state.stageOrder.filter((id) => state.stages[id].kind !== 'open'));
}

/**
 * The drawn neighbour of a drop, for the server to place the card next to it.
 * A filtered column hides cards, so an index among the drawn cards is not an
 * index in the stage; "after the card drawn above" (or "before the card drawn
 * below", at the top) is the same place on both sides.
 * @param {number[]} ids the column's drawn lead ids (may include the dragged one)
 * @param {number} lane how many of ``ids`` are the handoff lane's (drawn first)
 * @returns {{after?: number, before?: number}}
 */
export function dropNeighbour(ids, leadId, index, lane = 0) {
  // The handoff lane's cards are drawn out of (position) order: never a neighbour.
  const others = ids.slice(lane).filter((id) => id !== leadId);
  index = Math.max(0, index - lane);
  if (index > 0 && index - 1 < others.length) return { after: others[index - 1] };
  if (index <= 0 && others.length) return { before: others[0] };
  if (others.length) return { after: others[others.length - 1] };
  return {};
}
