// A small board as /state/ answers it: New [1 2 3 | more] -> MQL [4] -> Won [],
// and builders of every message the socket and /events/ carry. The messages
// are checked against the server's schema (generated/contract.js, see
// contract.test.js): a builder that drifts from the server fails there.
export const DANA = { id: 7, username: 'dana', name: 'Dana Kim', team: 'sales' };
export const ME = { id: 1, username: 'mara', name: 'Mara Keller', team: 'marketing' };

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The rank (a fractional-indexing key) in the order of the number ``n``: an
 * integer from -62 to 3905, or one and a half: ..., -1 "Zz", 0 "a0", 1 "a1", 1.5
 * "a1V", 61 "az", 62 "b00", ... Lets a test write the order it means. */
export function rank(n) {
  const whole = Math.floor(n);
  if (whole < -62 || whole > 3905 || (n !== whole && n !== whole + 0.5)) throw new Error(`no rank for ${n}`);
  let key;
  if (whole < 0) key = 'Z' + DIGITS[62 + whole];
  else if (whole < 62) key = 'a' + DIGITS[whole];
  else key = 'b' + DIGITS[Math.floor((whole - 62) / 62)] + DIGITS[(whole - 62) % 62];
  return n === whole ? key : key + 'V';
}

/** A card as /state/ and events carry it; a number ``position`` is ``rank(position)``. */
export function card(id, stage, position, extra = {}) {
  if (typeof position === 'number') position = rank(position);
  return {
    id,
    name: `Lead ${id}`,
    company: `Company ${id}`,
    email: `lead${id}@example.com`,
    title: '',
    stage,
    campaign: 30,
    owner: 1,
    score: 50,
    value: 1000,
    position,
    version: 1,
    stage_entered_at: '2025-11-01T00:00:00Z',
    created_at: '2025-10-01T00:00:00Z',
    verdict: null,
    verdict_at: null,
    ...extra,
  };
}

export const AT = '2025-11-20T12:00:00Z';

/** A stored event's envelope. */
function stored(type, seq, extra) {
  return { type, seq, at: AT, actor: DANA, ...extra };
}

/** One lead's part of a batch move, as the lead is after it (a number
 * ``position`` is ``rank(position)``). */
export function move(lead, from, to, position, version, extra = {}) {
  if (typeof position === 'number') position = rank(position);
  return { lead, from_stage: from, to_stage: to, position, version, stage_entered_at: AT, ...extra };
}

export function created(seq, lead, extra = {}) {
  return stored('lead.created', seq, { lead, transition: 200 + seq, ...extra });
}

export function updated(seq, lead, fields, extra = {}) {
  return stored('lead.updated', seq, { lead, fields, ...extra });
}

export function campaignCreated(seq, campaign, extra = {}) {
  return stored('campaign.created', seq, { campaign: { channel: '', color: '#000000', cost: 0, archived: false, ...campaign }, ...extra });
}

/** A campaign's fields changed (``campaign``: the whole campaign after the change;
 * ``cost`` null is "cost missing", ``archived`` true takes its chip away). */
export function campaignUpdated(seq, campaign, fields, extra = {}) {
  const detail = { channel: '', color: '#000000', cost: null, archived: false, starts_on: null, ends_on: null, external_id: '', ...campaign };
  return stored('campaign.updated', seq, { campaign: detail, fields, ...extra });
}

export function campaignMoved(seq, campaign, from, to, moves, extra = {}) {
  return stored('campaign.moved', seq, { campaign, from_stage: from, to_stage: to, batch: '00000000-0000-4000-8000-000000000001', source: 'campaign', moves, reason: '', ...extra });
}

export function batchUndone(seq, moves, extra = {}) {
  return stored('leads.moved', seq, {
    batch: '00000000-0000-4000-8000-000000000002',
    source: 'undo',
    moves,
    undoes: { batch: '00000000-0000-4000-8000-000000000001' },
    reason: '',
    ...extra,
  });
}

export function feedback(seq, lead, verdict, reason = '', extra = {}) {
  return stored('lead.feedback', seq, { lead, feedback: 300 + seq, verdict, reason, valuable_fields: [], useless_fields: [], ...extra });
}

export function imported(seq, extra = {}) {
  return stored('leads.imported', seq, {
    batch: '00000000-0000-4000-8000-000000000003',
    created: 0,
    updated: 0,
    moved: 0,
    stages_created: [],
    campaigns_created: [],
    ...extra,
  });
}

/** A stage as events carry it (StageSummary). */
export function stage(id, name, position, extra = {}) {
  return { id, name, position, kind: 'open', team: 'marketing', sla_days: null, wip_limit: null, color: '#7c3aed', ...extra };
}

export function stageCreated(seq, summary, order, extra = {}) {
  return stored('stage.created', seq, { stage: summary, order, handoff: null, ...extra });
}

export function stageUpdated(seq, summary, fields, order, extra = {}) {
  return stored('stage.updated', seq, { stage: summary, fields, order, handoff: null, ...extra });
}

export function stageDeleted(seq, stageId, moveTo, moves, order, extra = {}) {
  return stored('stage.deleted', seq, { stage: stageId, move_to: moveTo, batch: '00000000-0000-4000-8000-000000000004', moves, order, handoff: null, ...extra });
}

export function stagesReordered(seq, stages, extra = {}) {
  return stored('stages.reordered', seq, { stages, handoff: null, ...extra });
}

/** A member as the member events carry them (rights from the server's rules). */
export function member(person, role = 'editor', extra = {}) {
  const mayEdit = role !== 'viewer';
  return { ...person, role, may_edit: mayEdit, may_judge: role === 'owner' || (mayEdit && person.team === 'sales'), may_set_up: role === 'owner', ...extra };
}

export function memberJoined(seq, person, role = 'editor', extra = {}) {
  return stored('member.joined', seq, { member: member(person, role), ...extra });
}

export function memberUpdated(seq, person, role, fields, extra = {}) {
  return stored('member.updated', seq, { member: member(person, role), fields, ...extra });
}

export function memberRemoved(seq, user, extra = {}) {
  return stored('member.removed', seq, { user, ...extra });
}

export function boardUpdated(seq, board, fields, extra = {}) {
  return stored('board.updated', seq, { board: { id: 9, name: 'Q4', currency: 'USD', archived: false, ...board }, fields, ...extra });
}

/** Selected cards moved as one batch (a bulk move: one undo for all). */
export function bulkMoved(seq, moves, extra = {}) {
  return stored('leads.moved', seq, { batch: '00000000-0000-4000-8000-000000000005', source: 'bulk', moves, undoes: null, reason: '', ...extra });
}

/** Selected cards changed as one batch (a bulk assign or campaign). */
export function leadsUpdated(seq, leads, fields, extra = {}) {
  return stored('leads.updated', seq, { batch: '00000000-0000-4000-8000-000000000006', leads, fields, ...extra });
}

export function archived(seq, lead, stageId, extra = {}) {
  return stored('lead.archived', seq, { lead, stage: stageId, ...extra });
}

export function restored(seq, lead, extra = {}) {
  return stored('lead.restored', seq, { lead, ...extra });
}

export function erased(seq, lead, stageId, wasArchived = false, extra = {}) {
  return stored('lead.erased', seq, { lead, stage: stageId, archived: wasArchived, ...extra });
}

/** A note on a lead as the note events carry it. */
export function note(id, lead, body, extra = {}) {
  return { id, lead, author: DANA, body, mentions: [], created_at: AT, edited_at: null, ...extra };
}

export const noteCreated = (seq, n, extra = {}) => stored('note.created', seq, { note: n, ...extra });
export const noteUpdated = (seq, n, extra = {}) => stored('note.updated', seq, { note: n, ...extra });
export const noteDeleted = (seq, id, lead, extra = {}) => stored('note.deleted', seq, { note: id, lead, ...extra });

// Ephemeral messages (no seq).
/** Something for me: the bell's new item and its unread count. */
export function notification(id, extra = {}, unread = 1) {
  const item = { id, board: 9, lead: 1, kind: 'mention', text: 'Dana Kim mentioned you on Lead 1', actor: DANA, created_at: AT, read: false, ...extra };
  return { type: 'notification', notification: item, unread };
}
export const hello = (seq, presence = [ME], extra = {}) => ({ type: 'hello', seq, presence, you: { ...ME, role: 'editor' }, ...extra });
export const joined = (user) => ({ type: 'presence.joined', user });
export const left = (user) => ({ type: 'presence.left', user });

export function apiState(overrides = {}) {
  return {
    board: { id: 9, name: 'Q4', me: { role: 'editor', team: 'marketing' } },
    seq: 10,
    stages: [
      { id: 1, name: 'New', position: 0, kind: 'open', team: 'marketing', sla_days: 7, wip_limit: null, color: '#7c3aed', count: 5, value: 5000, overdue: 4, next: 'cursor-new', leads: [card(1, 1, 0), card(2, 1, 1), card(3, 1, 2)] },
      { id: 2, name: 'MQL', position: 1, kind: 'open', team: 'marketing', sla_days: 14, wip_limit: 3, color: '#7c3aed', count: 1, value: 1000, overdue: 1, next: null, leads: [card(4, 2, 0)] },
      { id: 3, name: 'Won', position: 2, kind: 'won', team: 'sales', sla_days: null, wip_limit: null, color: '#16a34a', count: 0, value: 0, overdue: 0, next: null, leads: [] },
    ],
    campaigns: [
      { id: 30, name: 'Webinar', channel: 'webinar', color: '#6366f1', cost: 100, archived: false, count: 6, value: 6000, stages: { 1: { count: 5, value: 5000 }, 2: { count: 1, value: 1000 }, 3: { count: 0, value: 0 } } },
      { id: 31, name: 'Ads', channel: 'paid', color: '#f59e0b', cost: 50, archived: false, count: 0, value: 0, stages: { 1: { count: 0, value: 0 }, 2: { count: 0, value: 0 }, 3: { count: 0, value: 0 } } },
    ],
    people: { 1: { ...ME }, 7: { ...DANA } },
    ...overrides,
  };
}

export function moved(seq, lead, from, extra = {}) {
  return stored('lead.moved', seq, {
    lead,
    from_stage: from,
    to_stage: lead.stage,
    transition: 100 + seq,
    batch: null,
    source: 'drag',
    moves: [move(lead.id, from, lead.stage, lead.position, lead.version, { stage_entered_at: lead.stage_entered_at })],
    undoes: null,
    reason: '',
    ...extra,
  });
}
