// Time travel, the pure part: the date slider's days, the moments it names,
// Replay's periods and playback schedule, paging through a period's moves, and
// a past move turned into the board's own event so the reducer and the travel
// animation show it as they show a live one.
//
// Dates are written as core/format.js dateLabel has them. Days are UTC days,
// as the server reads a bare date in ``?as_of=``: a slider day means the board
// at the end of that day.

import { dateLabel } from './format.js';

export const DAY_MS = 86_400_000;
export const SPEEDS = [1, 4, 16];
/** At x1 one move every MOVE_MS, unless that makes the period longer than
 * MAX_X1_MS: big periods play faster, several moves a frame. */
export const MOVE_MS = 600;
export const MAX_X1_MS = 120_000;
/** A frame after a long pause (hidden tab) counts as this much, not more. */
export const MAX_FRAME_MS = 250;
/** More moves than this in one period: pick a shorter one. */
export const MAX_MOVES = 100_000;
/** Moves per request (the server's default page). */
export const TRANSITIONS_PAGE = 10_000;

const toMs = (t) => (t instanceof Date ? t.getTime() : typeof t === 'number' ? t : Date.parse(t));
const dayStart = (ms) => Math.floor(ms / DAY_MS) * DAY_MS;
const iso = (ms) => new Date(ms).toISOString();

// The date slider.

/** Slider positions 0..days: one per UTC day since the board began; ``days``
 * (the last) is the live board. */
export function sliderDays(began, now) {
  return Math.max(0, Math.round((dayStart(toMs(now)) - dayStart(toMs(began))) / DAY_MS));
}

/** The moment of slider position ``index``: the end of that day, or null (live)
 * at the last position. */
export function sliderMoment(index, began, now) {
  const days = sliderDays(began, now);
  if (index >= days) return null;
  const i = Math.max(0, Math.floor(index));
  return iso(dayStart(toMs(began)) + (i + 1) * DAY_MS - 1);
}

/** The slider position that shows ``moment`` (null: live, the last position). */
export function sliderIndex(moment, began, now) {
  const days = sliderDays(began, now);
  if (moment == null) return days;
  const i = Math.floor((toMs(moment) - dayStart(toMs(began))) / DAY_MS);
  return Math.min(Math.max(0, i), Math.max(0, days - 1));
}

const TIME = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** "3 Nov 2026" for the end of a day (what the slider names), "3 Nov 2026,
 * 14:05 UTC" for any other moment; "now" for the live board. */
export function momentLabel(moment) {
  if (moment == null) return 'now';
  const ms = toMs(moment);
  if (!Number.isFinite(ms)) return 'now';
  const date = dateLabel(ms);
  if (ms % DAY_MS === DAY_MS - 1) return date;
  return `${date}, ${TIME.format(ms)} UTC`;
}

/** "3 Nov 2026" */
export function dayLabel(moment) {
  return dateLabel(toMs(moment));
}

/** "2026-11-03" (UTC), for file names and date inputs. */
export function isoDay(moment) {
  return iso(toMs(moment)).slice(0, 10);
}

// Replay's periods.

export const PERIODS = [
  { id: 'last-30-days', label: 'Last 30 days' },
  { id: 'last-quarter', label: 'Last quarter' },
  { id: 'this-quarter', label: 'This quarter' },
  { id: 'custom', label: 'Custom…' },
];

function quarterStart(ms) {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
}

/**
 * The period to replay: {start, end} (ISO), clamped to [began, now], or
 * {error} in the board's words. ``custom``: {from, to} as "YYYY-MM-DD" days,
 * both included.
 */
export function replayPeriod(id, { now, began, from = '', to = '' }) {
  const nowMs = toMs(now);
  let start;
  let end = nowMs;
  if (id === 'last-30-days') {
    start = nowMs - 30 * DAY_MS;
  } else if (id === 'last-quarter') {
    end = quarterStart(nowMs);
    start = quarterStart(end - 1);
  } else if (id === 'this-quarter') {
    start = quarterStart(nowMs);
  } else if (id === 'custom') {
    start = Date.parse(`${from}T00:00:00Z`);
    end = Date.parse(`${to}T00:00:00Z`) + DAY_MS;
    if (!Number.isFinite(start) || !Number.isFinite(end)) return { error: 'Pick the first and the last day to replay.' };
    if (end <= start) return { error: 'The last day comes before the first.' };
  } else {
    return { error: 'Pick a period to replay.' };
  }
  const beganMs = toMs(began);
  start = Math.max(start, beganMs);
  end = Math.min(end, nowMs);
  if (end <= start) return { error: `Nothing to replay: the board's history begins ${dayLabel(beganMs)}.` };
  return { start: iso(start), end: iso(end) };
}

// The schedule.

/** Moves per millisecond at ``speed`` for a period of ``total`` moves. */
export function replayRate(total, speed) {
  return speed * Math.max(1 / MOVE_MS, total / MAX_X1_MS);
}

/** Progress (moves played, fractional) after a frame of ``dtMs``. */
export function advance(progress, dtMs, rate, total) {
  const dt = Math.min(Math.max(0, dtMs), MAX_FRAME_MS);
  return Math.min(total, progress + dt * rate);
}

/** Whole moves due by ``progress``, after ``played`` of them: [played, end). */
export function dueRange(progress, played, total) {
  return [played, Math.min(total, Math.max(played, Math.floor(progress)))];
}

// Paging through a period's moves (``GET /transitions/?start=&end=``, oldest
// first by (at, id), ``has_more`` when the page was full).

/**
 * Add a page to the moves collected so far. The next page starts at the last
 * move's time (inclusive: moves at the same instant may straddle the pages), so
 * the moves already held are dropped by id. Returns {moves, next: start of the
 * next page | null when done, stuck: a full page with nothing new}.
 */
export function addPage(moves, page, seen = new Set(moves.map((m) => m.id))) {
  const fresh = (page.transitions || []).filter((t) => !seen.has(t.id));
  for (const t of fresh) seen.add(t.id);
  const all = moves.concat(fresh);
  const last = all[all.length - 1];
  if (!page.has_more) return { moves: all, next: null, stuck: false };
  return { moves: all, next: last ? last.at : null, stuck: fresh.length === 0 };
}

// Past moves as events.

/**
 * The board's event for one past move: ``lead.created`` when the move brought
 * the lead in, else ``lead.moved``; ``card`` is the lead's card as last placed
 * (its version goes up by one so the reducer takes it). Null when the card is
 * unknown (filtered out, or never loaded) or the move went nowhere.
 */
export function moveEvent(transition, card, seq) {
  if (!card) return null;
  const t = transition;
  if (t.from_stage != null && t.from_stage === t.to_stage) return null;
  const lead = { ...card, stage: t.to_stage, stage_entered_at: t.at, version: (card.version || 0) + 1 };
  const actor = { id: null, username: '', name: t.actor || (t.source === 'import' ? 'the import' : 'someone') };
  const common = { seq, at: t.at, actor, lead, transition: t.id, batch: null, source: t.source, replay: true };
  if (t.from_stage == null) return { type: 'lead.created', ...common };
  return {
    type: 'lead.moved',
    ...common,
    from_stage: t.from_stage,
    to_stage: t.to_stage,
    moves: [{ lead: card.id, from_stage: t.from_stage, to_stage: t.to_stage, position: card.position, version: lead.version }],
  };
}

/**
 * The events of moves [from, to): seqs follow ``seq``; ``cardOf(leadId)`` gives
 * the latest card known; a lead moving twice in one frame moves from where the
 * first move left it. Returns {events, cards: Map of the cards placed, skipped}.
 */
export function frameEvents(moves, from, to, cardOf, seq) {
  const events = [];
  const cards = new Map();
  let skipped = 0;
  for (let i = from; i < to; i++) {
    const t = moves[i];
    const card = cards.get(t.lead) || cardOf(t.lead);
    const event = moveEvent(t, card, seq + events.length + 1);
    if (!event) {
      if (!card) skipped += 1;
      continue;
    }
    events.push(event);
    cards.set(t.lead, event.lead);
  }
  return { events, cards, skipped };
}

/** The newer of two cards of one lead (by version); either may be missing. */
export function newerCard(a, b) {
  if (!a) return b || null;
  if (!b) return a;
  return (b.version || 0) > (a.version || 0) ? b : a;
}
