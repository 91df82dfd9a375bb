// The board's state and the pure functions that change it: load /state/, merge
// a page of one stage, and apply stored events strictly in seq order.
//
// State (plain objects, never mutated; a change copies what it touches):
//   seq          last event applied
//   board        {id, name, slug, last_seq, currency, archived, me}
//   stageOrder   [stage id] in funnel order (a stage's ``position`` is its index)
//   stages       {id: {...stage, count, value, overdue, median_age_days, sort, next, ids: [lead id, loaded, in order]}}
//   leads        {id: card} (loaded cards only)
//   campaigns    {id: {...campaign, count, value, stages: {stage id: {count, value}}}},
//                archived ones too (their figures stay; model.js draws no chip for them)
//   campaignOrder, people {user id: person}, filters (as /state/ was asked)
//   touched      {lead id: {actor, from, to, at, seq, type}}: the last event that
//                moved each lead (for "Dana moved this to SQL 3 s ago")
//   handoff      the handoff lane, or null (no sales stage, or a past moment):
//                {stage, count, ids: [waiting lead ids, longest waiting first],
//                 cards: {id: card}}. Its cards may lie past the stage's loaded
//                page, so the lane keeps its own copies; ``count`` is the
//                server's (filtered) number of waiting leads, kept by the events.
//
// Cards carry ``verdict``: sales' latest verdict, null while there is none, and
// ``verdict_at``. A lead waits in the lane while it is in the handoff stage
// without a verdict given since it entered that stage.
//
// Counts and values come from the server and are only adjusted by events;
// they are never recounted from loaded cards. ``overdue`` (leads past the
// stage's SLA, counted by the server when it answered) is kept roughly right
// between loads: a loaded card entering or leaving a stage counts as the SLA
// rule says at the event's moment (``format.aging``, the server's
// ``leads.rules.past_sla_since``), and a new SLA recounts a whole column (a
// paged one asks the server). Leads that pass their SLA while nothing happens
// are counted at the next load.
//
// Stage events (owners set the stages up) carry the funnel order, which gives
// every position, and the handoff stage after the change: when that is
// another stage, its lane comes from the server (refetch).

import { cardMatches, filtersActive } from './filters.js';
import { compareRanks } from './rank.js';
import { compareBySort } from './cardsort.js';
import { aging } from './format.js';

/** Cards are ordered by (position, id), as on the server: the rank by its bytes,
 * then the id (two cards may share a rank). */
/** Card order in a column: board order, or the person's ``sort`` of it (cardsort.js). */
export function compareCards(a, b, sort = 'position') {
  if (sort && sort !== 'position') return compareBySort(a, b, sort);
  return compareRanks(a.position, b.position) || a.id - b.id;
}

const cents = (v) => Math.round(v * 100) / 100;

/** The fields of a campaign the board keeps (``CampaignSummary``; ``/state/`` adds
 * the figures). ``cost`` null: cost missing; ``archived``: no chip, in no picker. */
const CAMPAIGN_SUMMARY = ['name', 'channel', 'color', 'cost', 'archived'];

/** Campaigns are ordered by name, code point by code point, then id: the
 * server's order (leads.selectors.campaign_figures), whatever the database's
 * collation. */
export function compareCampaigns(a, b) {
  const x = [...String(a.name)];
  const y = [...String(b.name)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const diff = x[i].codePointAt(0) - y[i].codePointAt(0);
    if (diff) return diff;
  }
  return x.length - y.length || a.id - b.id;
}

export function loadState(api, filters, previous = null) {
  const stages = {};
  const stageOrder = [];
  const leads = {};
  for (const stage of api.stages) {
    const { leads: cards, ...rest } = stage;
    stageOrder.push(stage.id);
    stages[stage.id] = { ...rest, ids: cards.map((c) => c.id) };
    for (const card of cards) leads[card.id] = card;
  }
  const campaigns = {};
  for (const campaign of api.campaigns || []) campaigns[campaign.id] = campaign;
  return {
    seq: api.seq,
    board: api.board,
    stageOrder,
    stages,
    leads,
    campaigns,
    campaignOrder: (api.campaigns || []).map((c) => c.id),
    people: api.people || {},
    filters,
    touched: previous ? previous.touched : {},
    handoff: loadLane(api.handoff),
  };
}

function loadLane(lane) {
  if (!lane || lane.stage == null) return null;
  const cards = {};
  for (const card of lane.leads || []) cards[card.id] = card;
  return { stage: lane.stage, count: lane.count, ids: (lane.leads || []).map((c) => c.id), cards };
}

/** Has sales not judged ``card`` since it entered its stage? (A lead rejected,
 * sent back and handed over again waits again.) */
export function awaitsVerdict(card) {
  if (card.verdict === undefined) return false; // not known (a past moment's card)
  if (card.verdict === null) return true;
  if (!card.verdict_at || !card.stage_entered_at) return false; // judged, when unknown
  return Date.parse(card.verdict_at) < Date.parse(card.stage_entered_at);
}

/** Does ``card`` wait in the handoff lane of ``stageId``? (undefined: not known) */
export function waitsInLane(card, stageId) {
  return card != null && stageId != null && card.stage === stageId && awaitsVerdict(card);
}

/** Longest waiting first, as the server orders the lane. */
export function compareWaiting(a, b) {
  return Date.parse(a.stage_entered_at) - Date.parse(b.stage_entered_at) || a.id - b.id;
}

/** Append a page of one stage (``GET /state/?stage=&cursor=``). Counts stay ours:
 * they follow the events; cards already placed by a newer event are kept. */
export function mergePage(state, stageId, api) {
  const page = (api.stages || []).find((s) => s.id === stageId);
  if (!page || !state.stages[stageId]) return state;
  const d = draft(state);
  const stage = stageFor(d, stageId);
  for (const card of page.leads) {
    const known = d.leads[card.id];
    if (known && known.version >= card.version) continue;
    if (known) removeFromColumn(d, known.stage, card.id);
    if (!cardMatches(card, d.filters, d.people, d.stages)) continue;
    stage.ids.push(card.id);
    d.leads[card.id] = card;
  }
  stage.ids.sort((a, b) => compareCards(d.leads[a], d.leads[b], stage.sort));
  stage.next = page.next;
  d.people = { ...d.people, ...(api.people || {}) };
  return finish(d);
}

/**
 * Apply events in seq order. Events at or below ``state.seq`` are duplicates and
 * skipped; an event past ``seq + 1`` is a gap: it and the rest are left for
 * the caller to fetch what is missing first.
 *
 * Returns {state, applied, duplicates, gap: null | {after, next}, rest,
 *          refetch (figures need the server), effects: [what happened, for
 *          animations and announcements]}.
 */
export function applyEvents(state, events) {
  const sorted = [...events].filter((e) => e && e.seq != null).sort((a, b) => a.seq - b.seq);
  const d = draft(state);
  const result = { applied: 0, duplicates: 0, gap: null, rest: [], refetch: false, effects: [] };
  for (let i = 0; i < sorted.length; i++) {
    const event = sorted[i];
    if (event.seq <= d.seq) {
      result.duplicates += 1;
      continue;
    }
    if (event.seq > d.seq + 1) {
      result.gap = { after: d.seq, next: event.seq };
      result.rest = sorted.slice(i);
      break;
    }
    // The lane first: it compares with the cards as they were before the event.
    if (d.handoff) applyToLane(d, event, result);
    const handler = HANDLERS[event.type];
    if (handler) handler(d, event, result);
    d.seq = event.seq;
    result.applied += 1;
  }
  if (result.applied && d.board && d.board.last_seq != null) d.board = { ...d.board, last_seq: d.seq };
  return { ...result, state: result.applied ? finish(d) : state };
}

export function applyEvent(state, event) {
  return applyEvents(state, [event]);
}

// Drafts: a shallow copy of the state whose stages and campaigns are copied on
// first write.

/** A member as ``people`` lists them; with a team filter on, the figures of the
 * cards they own may change: those come from the server. */
function setMember(d, member, result) {
  if (!member) return;
  const { role, may_edit, may_judge, may_set_up, ...person } = member;
  const before = d.people[member.id];
  d.people = { ...d.people, [member.id]: person };
  if (d.filters && d.filters.team && (!before || before.team !== member.team)) result.refetch = true;
}

function draft(state) {
  return {
    ...state,
    stages: { ...state.stages },
    leads: { ...state.leads },
    campaigns: { ...state.campaigns },
    touched: { ...state.touched },
    _stages: new Set(),
    _campaigns: new Set(),
    _lane: false,
  };
}

function finish(d) {
  const { _stages, _campaigns, _lane, ...state } = d;
  return state;
}

function stageFor(d, id) {
  if (!d._stages.has(id)) {
    const stage = d.stages[id];
    if (!stage) return null;
    d.stages[id] = { ...stage, ids: stage.ids.slice() };
    d._stages.add(id);
  }
  return d.stages[id];
}

function campaignFor(d, id) {
  if (id == null) return null;
  if (!d._campaigns.has(id)) {
    const campaign = d.campaigns[id];
    if (!campaign) return null;
    d.campaigns[id] = { ...campaign, stages: { ...campaign.stages } };
    d._campaigns.add(id);
  }
  return d.campaigns[id];
}

function addFigures(d, stageId, campaignId, count, value) {
  const stage = stageFor(d, stageId);
  if (stage) {
    stage.count = Math.max(0, stage.count + count);
    stage.value = Math.max(0, cents(stage.value + value));
  }
  const campaign = campaignFor(d, campaignId);
  if (campaign) {
    const fig = campaign.stages[stageId] || { count: 0, value: 0 };
    campaign.stages[stageId] = {
      count: Math.max(0, fig.count + count),
      value: Math.max(0, cents(fig.value + value)),
    };
    campaign.count = Math.max(0, campaign.count + count);
    campaign.value = Math.max(0, cents(campaign.value + value));
  }
}

/** A lead leaves the board (archived, erased): its card, its figures, its place in the lane. */
function cardLeaves(d, leadId, stageId, event, result) {
  const known = d.leads[leadId];
  if (known) {
    // A loaded card passed the filters: it is in the figures.
    addFigures(d, known.stage, known.campaign, -1, -known.value);
    shiftOverdue(d, known, known.stage, null, event);
    removeFromColumn(d, known.stage, leadId);
    delete d.leads[leadId];
  } else {
    const stage = d.stages[stageId];
    // Past a column's loaded page, it may be in the figures: the server's count says.
    if (!stage || stage.next != null) result.refetch = true;
  }
  const lane = d.handoff;
  if (lane) {
    if (lane.cards[leadId]) laneRemove(d, leadId);
    else if (stageId === lane.stage && lane.count > lane.ids.length) result.refetch = true;
  }
}

function removeFromColumn(d, stageId, leadId) {
  const stage = d.stages[stageId];
  if (!stage || !stage.ids.includes(leadId)) return;
  const own = stageFor(d, stageId);
  own.ids.splice(own.ids.indexOf(leadId), 1);
}

/** Does ``card`` belong among a column's loaded cards (a prefix of the stage)? */
function insertable(d, stage, card) {
  if (stage.next == null) return true;
  const last = stage.ids.length ? d.leads[stage.ids[stage.ids.length - 1]] : null;
  return last != null && compareCards(card, last, stage.sort) < 0;
}

/** Put a card where it now belongs, or drop it from the loaded cards when it is
 * filtered out or lands past a column's loaded page. Returns whether it shows. */
function placeCard(d, card) {
  const known = d.leads[card.id];
  if (known) removeFromColumn(d, known.stage, card.id);
  delete d.leads[card.id];
  if (!cardMatches(card, d.filters, d.people, d.stages)) return false;
  const target = d.stages[card.stage];
  if (!target || !insertable(d, target, card)) return false;
  const stage = stageFor(d, card.stage);
  let lo = 0;
  let hi = stage.ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareCards(d.leads[stage.ids[mid]], card, stage.sort) < 0) lo = mid + 1;
    else hi = mid;
  }
  stage.ids.splice(lo, 0, card.id);
  d.leads[card.id] = card;
  return true;
}

/** A loaded card as one move of a batch (``event``) leaves it. Moves stored
 * before they carried ``stage_entered_at`` entered at the event's moment. */
function movedCard(known, move, event) {
  const { to_stage: stage, position, version } = move;
  return { ...known, stage, position, version, stage_entered_at: move.stage_entered_at ?? event.at };
}

/**
 * Can the loaded state follow a batch of moves only with the server's help?
 * When a moved lead is not loaded although it may show: its column has more
 * cards than are loaded (the lead may now top the target column, its value is
 * unknown), or it may wait in a lane with more leads than loaded. A lead
 * missing from a whole column is one the filters leave out: it stays out.
 */
function movesNeedServer(d, moves) {
  const lane = d.handoff;
  return moves.some((m) => {
    if (d.leads[m.lead]) return false;
    const from = d.stages[m.from_stage];
    if (!from || from.next != null) return true;
    return lane != null && m.from_stage === lane.stage && lane.count > lane.ids.length;
  });
}

/** Is ``card`` past the SLA of stage ``stageId`` at the event's moment? */
function pastSla(d, card, stageId, event) {
  const stage = d.stages[stageId];
  if (!card || !stage || stage.sla_days == null) return false;
  const at = Date.parse(event.at);
  return aging(card, stage, Number.isFinite(at) ? at : Date.now()).overdue;
}

function addOverdue(d, stageId, n) {
  const stage = d.stages[stageId];
  if (!n || !stage || stage.overdue == null) return;
  stageFor(d, stageId).overdue = Math.max(0, stage.overdue + n);
}

/** A known card left ``from`` (as ``before``) and is now ``after`` (null: gone from
 * the figures): ``overdue`` follows. */
function shiftOverdue(d, before, from, after, event) {
  if (before && pastSla(d, before, from, event)) addOverdue(d, from, -1);
  if (after && pastSla(d, after, after.stage, event)) addOverdue(d, after.stage, 1);
}

function touch(d, leadId, event, from, to) {
  d.touched[leadId] = { actor: event.actor, from, to, at: event.at, seq: event.seq, type: event.type };
}

/** A loaded card already carries this version (the event is in the data). */
function alreadyHas(d, leadId, version) {
  const known = d.leads[leadId];
  return known != null && known.version >= version;
}

// The handoff lane. Events carry cards with their verdict, so a lead moving into
// the handoff stage is known to wait (or not); a lead past the lane's loaded
// page is only counted.

function laneFor(d) {
  if (!d._lane) {
    d.handoff = { ...d.handoff, ids: d.handoff.ids.slice(), cards: { ...d.handoff.cards } };
    d._lane = true;
  }
  return d.handoff;
}

/** Put ``card`` in the lane; ``isNew``: it was not counted in ``count`` yet. */
function laneAdd(d, card, isNew) {
  const lane = laneFor(d);
  if (!lane.cards[card.id]) {
    let at = lane.ids.length;
    while (at > 0 && compareWaiting(lane.cards[lane.ids[at - 1]], card) > 0) at -= 1;
    lane.ids.splice(at, 0, card.id);
  }
  if (isNew) lane.count += 1;
  lane.cards[card.id] = card;
}

function laneRemove(d, leadId) {
  const lane = laneFor(d);
  if (lane.cards[leadId]) {
    lane.ids.splice(lane.ids.indexOf(leadId), 1);
    delete lane.cards[leadId];
  }
  lane.count = Math.max(0, lane.count - 1);
}

/**
 * A lead as an event leaves it (``card``): in the lane or not, and the count.
 * ``fromStage``: where a move took it from (null: not a move, or unknown).
 */
function laneCard(d, card, event, fromStage, result) {
  const lane = d.handoff;
  const inLane = lane.cards[card.id];
  const loaded = d.leads[card.id];
  const newest = inLane && loaded ? (inLane.version >= loaded.version ? inLane : loaded) : inLane || loaded;
  if (newest && newest.version > card.version) return; // older news than the lane has
  const counts = (c) => waitsInLane(c, lane.stage) && cardMatches(c, d.filters, d.people, d.stages);
  const now = counts(card);
  // Did it wait before this event (is it in ``count``)? null: cannot tell.
  let was;
  if (inLane) was = true;
  else if (newest) was = newest.version === card.version ? now : counts(newest); // equal: the data has it
  else if (event.type === 'lead.created' || event.type === 'lead.restored') was = false;
  else if (fromStage != null) was = fromStage === lane.stage && counts({ ...card, stage: fromStage });
  else if (lane.count <= lane.ids.length) was = false; // the lane is whole and did not have it
  else was = null;
  if (now) laneAdd(d, card, was === false);
  else if (inLane || was === true) laneRemove(d, card.id);
  if (was === null) result.refetch = true;
}

function applyToLane(d, event, result) {
  switch (event.type) {
    case 'lead.created':
    case 'lead.updated':
    case 'lead.restored':
      if (event.lead) laneCard(d, event.lead, event, null, result);
      break;
    case 'leads.updated':
      for (const card of event.leads || []) laneCard(d, card, { ...event, type: 'lead.updated' }, null, result);
      break;
    case 'lead.moved':
      if (event.lead) {
        const move = (event.moves || [])[0] || {};
        laneCard(d, event.lead, event, event.from_stage ?? move.from_stage ?? null, result);
      }
      break;
    case 'campaign.moved':
    case 'leads.moved':
    case 'stage.deleted':
      // Refetched anyway (see their handlers); meanwhile the lane follows the cards it knows.
      for (const m of event.moves || []) {
        const known = d.handoff.cards[m.lead] || d.leads[m.lead];
        if (!known || known.version >= m.version) continue;
        laneCard(d, movedCard(known, m, event), { type: 'lead.moved' }, known.stage, result);
      }
      break;
    default:
      break;
  }
}

/** A card comes onto the board (made, or restored): in the figures when it
 * passes the filters, placed, touched. Whether it is drawn. */
function cardArrives(d, card, event) {
  if (cardMatches(card, d.filters, d.people, d.stages)) {
    addFigures(d, card.stage, card.campaign, 1, card.value);
    shiftOverdue(d, null, null, card, event);
  }
  const shown = placeCard(d, card);
  touch(d, card.id, event, null, card.stage);
  return shown;
}

const HANDLERS = {
  'lead.created'(d, event, result) {
    const card = event.lead;
    if (!card || alreadyHas(d, card.id, card.version)) return;
    const shown = cardArrives(d, card, event);
    result.effects.push({ kind: 'created', lead: card.id, name: card.name, to: card.stage, shown, event });
  },

  'lead.moved'(d, event, result) {
    const card = event.lead;
    if (!card) return;
    const move = (event.moves || [])[0] || {};
    const from = event.from_stage ?? move.from_stage ?? card.stage;
    const to = card.stage;
    touch(d, card.id, event, from, to);
    if (alreadyHas(d, card.id, card.version)) return;
    const wasShown = d.leads[card.id] != null;
    if (from !== to && cardMatches(card, d.filters, d.people, d.stages)) {
      addFigures(d, from, card.campaign, -1, -card.value);
      addFigures(d, to, card.campaign, 1, card.value);
      shiftOverdue(d, d.leads[card.id] || (d.handoff && d.handoff.cards[card.id]), from, card, event);
    }
    const shown = placeCard(d, card);
    result.effects.push({
      kind: from === to ? 'reordered' : 'moved',
      lead: card.id,
      name: card.name,
      from,
      to,
      wasShown,
      shown,
      undo: event.source === 'undo',
      event,
    });
  },

  'campaign.moved'(d, event, result) {
    const moves = event.moves || [];
    const { from_stage: from, to_stage: to } = event;
    for (const m of moves) touch(d, m.lead, event, from, to);
    if (movesNeedServer(d, moves)) result.refetch = true;
    if (moves.some((m) => alreadyHas(d, m.lead, m.version))) return;
    // Every lead of the campaign in ``from`` moved: its (filtered) figures move whole.
    const campaign = d.campaigns[event.campaign];
    const fig = campaign && campaign.stages[from];
    if (fig && fig.count) {
      addFigures(d, from, null, -fig.count, -fig.value);
      addFigures(d, to, null, fig.count, fig.value);
      const own = campaignFor(d, event.campaign);
      const target = own.stages[to] || { count: 0, value: 0 };
      own.stages[to] = { count: target.count + fig.count, value: cents(target.value + fig.value) };
      own.stages[from] = { count: 0, value: 0 };
    }
    for (const m of moves) {
      const known = d.leads[m.lead];
      if (!known) continue;
      const card = movedCard(known, m, event);
      shiftOverdue(d, known, from, card, event);
      placeCard(d, card);
    }
    result.effects.push({ kind: 'batch', campaign: event.campaign, count: moves.length, from, to, event });
  },

  'leads.moved'(d, event, result) {
    const moves = event.moves || [];
    if (movesNeedServer(d, moves)) result.refetch = true;
    for (const m of moves) {
      touch(d, m.lead, event, m.from_stage, m.to_stage);
      const known = d.leads[m.lead];
      if (!known || known.version >= m.version) continue;
      const card = movedCard(known, m, event);
      if (m.from_stage !== m.to_stage) {
        addFigures(d, m.from_stage, known.campaign, -1, -known.value);
        addFigures(d, m.to_stage, known.campaign, 1, known.value);
        shiftOverdue(d, known, m.from_stage, card, event);
      }
      placeCard(d, card);
    }
    // A bulk move of selected cards has its own effect; an undo of a batch says "undid".
    const kind = event.source === 'bulk' ? 'bulk-moved' : 'undo-batch';
    result.effects.push({ kind, count: moves.length, to: moves.length ? moves[0].to_stage : null, reason: event.reason || '', event });
  },

  'leads.updated'(d, event, result) {
    // A bulk assign or campaign: each card as 'lead.updated' takes it, one effect.
    const cards = event.leads || [];
    const each = { ...result, effects: [] };
    for (const card of cards) HANDLERS['lead.updated'](d, { ...event, type: 'lead.updated', lead: card }, each);
    if (each.refetch) result.refetch = true;
    result.effects.push({ kind: 'bulk-updated', count: cards.length, fields: event.fields || [], event });
  },

  'lead.archived'(d, event, result) {
    const name = (d.leads[event.lead] || {}).name ?? null;
    cardLeaves(d, event.lead, event.stage, event, result);
    result.effects.push({ kind: 'archived', lead: event.lead, name, event });
  },

  'lead.restored'(d, event, result) {
    // Back where it stood: as a created card, at its kept rank.
    const card = event.lead;
    if (!card || alreadyHas(d, card.id, card.version)) return;
    const shown = cardArrives(d, card, event);
    result.effects.push({ kind: 'restored', lead: card.id, name: card.name, to: card.stage, shown, event });
  },

  'lead.erased'(d, event, result) {
    // Off the board already when it was archived; else it leaves now.
    if (!event.archived) cardLeaves(d, event.lead, event.stage, event, result);
    result.effects.push({ kind: 'erased', lead: event.lead, event });
  },

  'lead.updated'(d, event, result) {
    const card = event.lead;
    if (!card || alreadyHas(d, card.id, card.version)) return;
    const known = d.leads[card.id];
    const fields = event.fields || [];
    if (known) {
      // A loaded card passed the filters: it is in the figures.
      if (cardMatches(card, d.filters, d.people, d.stages)) {
        if (known.campaign !== card.campaign) {
          addFigures(d, known.stage, known.campaign, -1, -known.value);
          addFigures(d, card.stage, card.campaign, 1, card.value);
        } else {
          addFigures(d, card.stage, card.campaign, 0, card.value - known.value);
        }
      } else {
        addFigures(d, known.stage, known.campaign, -1, -known.value);
        shiftOverdue(d, known, known.stage, null, event);
      }
    } else if (d.stages[card.stage] && d.stages[card.stage].next == null) {
      // Not loaded from a whole column: the filters left it out, so it was in no
      // figure; now it may pass them.
      if (cardMatches(card, d.filters, d.people, d.stages)) {
        addFigures(d, card.stage, card.campaign, 1, card.value);
        shiftOverdue(d, null, null, card, event);
      }
    } else if (filtersActive(d.filters) || !fields.length || fields.includes('value') || fields.includes('campaign')) {
      result.refetch = true;
    }
    placeCard(d, card);
    result.effects.push({ kind: 'updated', lead: card.id, name: card.name, event });
  },

  'campaign.created'(d, event) {
    const c = event.campaign;
    if (!c || d.campaigns[c.id]) return;
    const stages = {};
    for (const id of d.stageOrder) stages[id] = { count: 0, value: 0 };
    d.campaigns[c.id] = { ...c, count: 0, value: 0, stages };
    d.campaignOrder = [...d.campaignOrder, c.id].sort((a, b) => compareCampaigns(d.campaigns[a], d.campaigns[b]));
  },

  'campaign.updated'(d, event, result) {
    // A campaign's own fields; its figures stay (an archived campaign keeps its
    // leads and numbers: it only leaves the chips and pickers, see model.js).
    const c = event.campaign;
    if (!c) return;
    const known = d.campaigns[c.id];
    const fields = {};
    for (const name of CAMPAIGN_SUMMARY) fields[name] = c[name];
    if (known) {
      d.campaigns[c.id] = { ...known, ...fields };
    } else {
      // Not in the state (made by an import not refetched yet): its figures are the server's.
      const stages = {};
      for (const id of d.stageOrder) stages[id] = { count: 0, value: 0 };
      d.campaigns[c.id] = { id: c.id, ...fields, count: 0, value: 0, stages };
      d.campaignOrder = [...d.campaignOrder, c.id];
      result.refetch = true;
    }
    d.campaignOrder = [...d.campaignOrder].sort((a, b) => compareCampaigns(d.campaigns[a], d.campaigns[b]));
    result.effects.push({ kind: 'campaign', campaign: c.id, name: c.name, fields: event.fields || [], archived: c.archived, event });
  },

  'lead.feedback'(d, event, result) {
    // Sales' verdict: the lead leaves the lane; its card keeps its place and
    // version and shows the verdict.
    const known = d.leads[event.lead];
    const waiting = d.handoff ? d.handoff.cards[event.lead] : null;
    if (waiting || (known && d.handoff && waitsInLane(known, d.handoff.stage))) {
      laneRemove(d, event.lead);
    } else if (!known && d.handoff && d.handoff.count > d.handoff.ids.length) {
      result.refetch = true; // it may have waited past the lane's loaded page
    }
    if (known) d.leads[event.lead] = { ...known, verdict: event.verdict, verdict_at: event.at };
    result.effects.push({
      kind: 'feedback',
      lead: event.lead,
      name: (known || waiting || {}).name ?? null,
      campaign: (known || waiting || {}).campaign ?? null,
      verdict: event.verdict,
      reason: event.reason || '',
      event,
    });
  },

  'leads.imported'(d, event, result) {
    // One summary event for a whole import: the cards come from the server.
    result.refetch = true;
    result.effects.push({ kind: 'imported', created: event.created || 0, updated: event.updated || 0, event });
  },

  'stage.created'(d, event, result) {
    const summary = event.stage;
    if (!summary) return;
    if (!d.stages[summary.id]) {
      d.stages[summary.id] = { ...summary, count: 0, value: 0, overdue: 0, sort: 'position', next: null, ids: [] };
      d._stages.add(summary.id);
      for (const id of d.campaignOrder) {
        const campaign = campaignFor(d, id);
        if (campaign) campaign.stages[summary.id] = { count: 0, value: 0 };
      }
    }
    stageOrderSet(d, event.order);
    handoffSet(d, event.handoff, result);
    result.effects.push({ kind: 'stage-created', stage: summary.id, name: summary.name, event });
  },

  'stage.updated'(d, event, result) {
    const summary = event.stage;
    if (!summary || !d.stages[summary.id]) {
      result.refetch = true; // a stage this state never had
      return;
    }
    const stage = stageFor(d, summary.id);
    const was = { name: stage.name, sla_days: stage.sla_days };
    Object.assign(stage, summary);
    if (was.sla_days !== stage.sla_days) {
      // A new SLA: a whole column recounts its cards, a paged one asks the server.
      if (stage.next == null) stage.overdue = stage.ids.filter((id) => pastSla(d, d.leads[id], stage.id, event)).length;
      else result.refetch = true;
    }
    stageOrderSet(d, event.order);
    handoffSet(d, event.handoff, result);
    result.effects.push({ kind: 'stage-updated', stage: stage.id, name: stage.name, was: was.name, fields: event.fields || [], event });
  },

  'stage.deleted'(d, event, result) {
    const gone = d.stages[event.stage];
    const moves = event.moves || [];
    const to = event.move_to;
    for (const m of moves) touch(d, m.lead, event, m.from_stage, m.to_stage);
    if (gone) {
      if (movesNeedServer(d, moves)) result.refetch = true;
      if (to != null && d.stages[to]) {
        // Every lead of the stage moved: its (filtered) figures move whole.
        addFigures(d, to, null, gone.count, gone.value);
        for (const id of d.campaignOrder) {
          const fig = d.campaigns[id] && d.campaigns[id].stages[gone.id];
          if (!fig || !fig.count) continue;
          const own = campaignFor(d, id);
          const target = own.stages[to] || { count: 0, value: 0 };
          own.stages[to] = { count: target.count + fig.count, value: cents(target.value + fig.value) };
        }
        for (const m of moves) {
          const known = d.leads[m.lead];
          if (!known) continue;
          const card = movedCard(known, m, event);
          shiftOverdue(d, null, null, card, event);
          placeCard(d, card);
        }
      }
      for (const id of gone.ids) if (d.leads[id] && d.leads[id].stage === gone.id) delete d.leads[id];
      delete d.stages[gone.id];
      for (const id of d.campaignOrder) {
        if (d.campaigns[id] && d.campaigns[id].stages[gone.id]) delete campaignFor(d, id).stages[gone.id];
      }
    }
    stageOrderSet(d, event.order);
    handoffSet(d, event.handoff, result);
    result.effects.push({ kind: 'stage-deleted', stage: event.stage, name: gone ? gone.name : null, count: moves.length, to, event });
  },

  'stages.reordered'(d, event, result) {
    stageOrderSet(d, event.stages);
    handoffSet(d, event.handoff, result);
    result.effects.push({ kind: 'stages-reordered', event });
  },
  // People (leads.services.people): ``people`` keeps each member with their team,
  // as /state/ lists them; a card's owner who is no member keeps a name and no team.
  'member.joined'(d, event, result) {
    setMember(d, event.member, result);
    result.effects.push({ kind: 'member', change: 'joined', member: event.member, event });
  },

  'member.updated'(d, event, result) {
    setMember(d, event.member, result);
    result.effects.push({ kind: 'member', change: 'updated', member: event.member, fields: event.fields || [], event });
  },

  'member.removed'(d, event, result) {
    const known = d.people[event.user];
    if (known) {
      const { [event.user]: gone, ...rest } = d.people;
      const owns = (card) => card && card.owner === event.user;
      const ownsCards = Object.values(d.leads).some(owns) || (d.handoff && Object.values(d.handoff.cards).some(owns));
      d.people = ownsCards ? { ...rest, [event.user]: { ...gone, team: null } } : rest;
      if (d.filters && d.filters.team) result.refetch = true; // their cards' team changed
    }
    result.effects.push({ kind: 'member', change: 'removed', user: event.user, name: known ? known.name : null, event });
  },

  'board.updated'(d, event, result) {
    // The board's name, currency or archived state: the page's title and money follow.
    const { name, currency, archived } = event.board || {};
    d.board = { ...d.board, name, currency, archived };
    result.effects.push({ kind: 'board', fields: event.fields || [], board: d.board, event });
  },

};

/** The funnel order after a stage event: positions are the index in it. */
function stageOrderSet(d, order) {
  if (!Array.isArray(order)) return;
  d.stageOrder = order.filter((id) => d.stages[id]);
  d.stageOrder.forEach((id, index) => {
    if (d.stages[id].position !== index) stageFor(d, id).position = index;
  });
}

/** The handoff stage after a stage event (the server's rule, answered): no stage,
 * no lane; another stage, its waiting leads come from the server. */
function handoffSet(d, handoff, result) {
  if (handoff === undefined) return;
  const current = d.handoff ? d.handoff.stage : null;
  if (handoff === current) return;
  if (handoff == null) d.handoff = null;
  else result.refetch = true;
}
