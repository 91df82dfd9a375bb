// The time bar under the board: a date slider that shows the board as it stood
// at the end of any day since its history began (read-only; the last position
// is the live board), "Back to live", and Replay: the board goes back to the
// start of a period, then the period's moves play card by card, in time order,
// at x1 / x4 / x16 (big periods play several moves a frame), with pause, stop
// and a date readout that moves with them. At the end the board stays at the
// period's end.

import {
  DAY_MS, SPEEDS, PERIODS, MAX_MOVES, TRANSITIONS_PAGE, sliderDays, sliderMoment, sliderIndex, momentLabel, dayLabel,
  isoDay, replayPeriod, replayRate, advance, dueRange, addPage, frameEvents, newerCard,
} from '../core/replay.js';
import { count } from '../core/format.js';
import { addToTestHook } from '../ui/hook.js';
import { afterFirstDraw } from './idle.js';

const SPEED_KEY = 'funnelboard.replaySpeed';
const SLIDER_SETTLE_MS = 300; // a dragged slider loads once it rests
const KEY_SETTLE_MS = 120; // ... and a run of arrow keys once it pauses
// The end of a period that reaches "now" is asked a minute back: a browser clock
// a little ahead of the server's must not ask for the future.
const CLOCK_SLACK_MS = 60_000;

const TEMPLATE = `
  <div class="tb-travel">
    <label class="tb-title" for="tb-slider">Time travel</label>
    <span class="tb-edge" data-first></span>
    <input id="tb-slider" class="tb-slider" type="range" min="0" max="0" step="1" value="0" disabled>
    <span class="tb-edge">now</span>
    <output class="tb-readout" for="tb-slider" data-readout>as of: <strong>now</strong></output>
    <button type="button" class="button tb-live" data-live hidden>Back to live</button>
  </div>
  <div class="tb-replay" role="group" aria-label="Replay">
    <label class="visually-hidden" for="tb-period">Period to replay</label>
    <select id="tb-period" class="tb-period">${PERIODS.map((p) => `<option value="${p.id}">${p.label}</option>`).join('')}</select>
    <span class="tb-custom" data-custom hidden>
      <label class="visually-hidden" for="tb-from">Replay from</label>
      <input id="tb-from" type="date">
      <span aria-hidden="true">–</span>
      <label class="visually-hidden" for="tb-to">Replay to</label>
      <input id="tb-to" type="date">
    </span>
    <button type="button" class="button tb-play" data-replay><span aria-hidden="true">▶</span> Replay</button>
    <button type="button" class="button" data-pause hidden>Pause</button>
    <button type="button" class="button" data-stop hidden>Stop</button>
    <span class="tb-speed" role="group" aria-label="Replay speed">
      ${SPEEDS.map((s) => `<button type="button" data-speed="${s}" aria-pressed="false" title="Replay at ${s} times the normal speed">x${s}</button>`).join('')}
    </span>
    <span class="tb-status" data-status role="status"></span>
  </div>`;

function readSpeed() {
  try {
    const saved = Number(localStorage.getItem(SPEED_KEY));
    return SPEEDS.includes(saved) ? saved : SPEEDS[1];
  } catch {
    return SPEEDS[1];
  }
}

export function createTimebar(board, { root = document.getElementById('timebar') } = {}) {
  if (!root) return {};
  root.innerHTML = TEMPLATE;
  const $ = (sel) => root.querySelector(sel);
  const slider = $('#tb-slider');
  const readout = $('[data-readout]');
  const first = $('[data-first]');
  const live = $('[data-live]');
  const period = $('#tb-period');
  const custom = $('[data-custom]');
  const from = $('#tb-from');
  const to = $('#tb-to');
  const replayButton = $('[data-replay]');
  const pauseButton = $('[data-pause]');
  const stopButton = $('[data-stop]');
  const statusEl = $('[data-status]');

  let began = null; // ms: where the board's history begins (first transition or creation)
  let speed = readSpeed();
  let settle = null;
  let sliding = false; // the pointer holds the slider: do not move it under the hand
  let replay = null; // the replay in progress, see startReplay()

  function status(text, kind = 'info') {
    statusEl.textContent = text;
    statusEl.title = text; // where a narrow bar cuts it short
    statusEl.classList.toggle('error', kind === 'error');
    statusEl.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  }

  // Where the board's history begins: its first move (imports and the demo
  // bring history from before the board was made), else its creation.
  async function findBeginning() {
    const created = Date.parse(board.state.board.created_at);
    try {
      const page = await board.api.boardTransitions({ limit: 1 });
      const firstMove = page.transitions[0];
      began = firstMove ? Math.min(created, Date.parse(firstMove.at)) : created;
    } catch (error) {
      began = created;
      status(`The slider starts at the board's creation: could not read its first move (${error.message}).`, 'error');
    }
    if (!Number.isFinite(began)) began = Date.now();
    from.value = isoDay(Math.max(began, Date.now() - 90 * DAY_MS));
    to.value = isoDay(Date.now());
    from.min = to.min = isoDay(began);
    from.max = to.max = isoDay(Date.now());
    show();
  }

  function setReadout(moment) {
    const strong = document.createElement('strong');
    strong.textContent = momentLabel(moment);
    readout.replaceChildren('as of: ', strong);
    readout.classList.toggle('past', moment != null);
  }

  /** Slider, readout and buttons as the board stands. */
  function show() {
    const moment = board.asOf;
    const label = momentLabel(moment);
    setReadout(moment);
    live.hidden = moment == null;
    if (began != null) {
      const now = Date.now();
      const days = sliderDays(began, now);
      slider.max = String(days);
      slider.disabled = days === 0;
      slider.title = days === 0 ? "The board's history begins today" : '';
      first.textContent = dayLabel(began);
      if (!sliding && settle == null) slider.value = String(sliderIndex(moment, began, now));
    }
    slider.setAttribute('aria-valuetext', moment == null ? 'now, live board' : `as of ${label}`);
    const phase = replay ? replay.phase : 'idle';
    board.broadcast('replayPhase', phase); // the mode pill (ui/mode.js)
    replayButton.hidden = phase === 'playing' || phase === 'paused';
    replayButton.disabled = phase === 'loading' || began == null;
    pauseButton.hidden = phase !== 'playing' && phase !== 'paused';
    pauseButton.textContent = phase === 'paused' ? 'Resume' : 'Pause';
    stopButton.hidden = phase === 'idle';
    for (const button of root.querySelectorAll('[data-speed]')) {
      button.setAttribute('aria-pressed', String(Number(button.dataset.speed) === speed));
    }
  }

  // The slider.

  // One load at a time; a slider that moved on meanwhile loads its last moment next.
  let going = false;
  let wanted; // undefined: nothing asked
  async function goTo(moment) {
    wanted = moment;
    if (going) return;
    going = true;
    try {
      while (wanted !== undefined) {
        const next = wanted;
        wanted = undefined;
        if (next === board.asOf) continue;
        try {
          await board.setAsOf(next);
          status(next != null ? 'The board as it stood then: read-only.' : '');
        } catch (error) {
          status(`Could not show the board as of ${momentLabel(next)}: ${error.message}`, 'error');
        }
      }
    } finally {
      going = false;
      show();
    }
  }

  function sliderMomentNow() {
    return sliderMoment(Number(slider.value), began, Date.now());
  }

  slider.addEventListener('pointerdown', () => {
    sliding = true;
  });
  window.addEventListener('pointerup', () => {
    sliding = false;
  });
  slider.addEventListener('input', () => {
    if (replay) stopReplay({ quiet: true });
    setReadout(sliderMomentNow());
    clearTimeout(settle);
    settle = setTimeout(() => {
      settle = null;
      goTo(sliderMomentNow());
    }, SLIDER_SETTLE_MS);
  });
  slider.addEventListener('change', () => {
    clearTimeout(settle);
    settle = setTimeout(() => {
      settle = null;
      goTo(sliderMomentNow());
    }, sliding ? 0 : KEY_SETTLE_MS);
  });
  live.addEventListener('click', () => {
    if (replay) stopReplay({ quiet: true });
    goTo(null);
  });

  // Replay.

  period.addEventListener('change', () => {
    custom.hidden = period.value !== 'custom';
  });
  for (const button of root.querySelectorAll('[data-speed]')) {
    button.addEventListener('click', () => {
      speed = Number(button.dataset.speed);
      try {
        localStorage.setItem(SPEED_KEY, String(speed));
      } catch {
        /* private mode */
      }
      show();
    });
  }
  replayButton.addEventListener('click', () => startReplay());
  pauseButton.addEventListener('click', () => {
    if (!replay) return;
    if (replay.phase === 'paused') resume();
    else pause();
  });
  stopButton.addEventListener('click', () => stopReplay());

  /** The period's moves, page by page (oldest first). */
  async function fetchMoves(start, end, mine) {
    let moves = [];
    const seen = new Set();
    let next = start;
    for (;;) {
      const page = await board.api.boardTransitions({ start: next, end, limit: TRANSITIONS_PAGE });
      if (replay !== mine) return moves;
      const added = addPage(moves, page, seen);
      moves = added.moves;
      if (moves.length > MAX_MOVES) {
        throw new Error(`this period has more than ${count(MAX_MOVES)} moves: pick a shorter one`);
      }
      if (added.next == null) return moves;
      if (added.stuck) throw new Error('too many moves at one instant to page through');
      next = added.next;
      status(`Loading the moves… ${count(moves.length)} so far`);
    }
  }

  /** The cards of the leads as they stand at the period's end (filters apply):
   * what a lead that comes in during the period looks like. */
  async function fetchCards(end) {
    const moment = new Date(Math.min(Date.parse(end), Date.now() - CLOCK_SLACK_MS)).toISOString();
    const cards = new Map();
    try {
      const data = await board.api.state(board.filters, { perStage: 500, asOf: moment });
      for (const stage of data.stages) for (const card of stage.leads) cards.set(card.id, card);
    } catch (error) {
      // Not fatal: the leads of the start are known; the end reload puts the rest right.
      console.warn('replay: the cards at the end did not load:', error.message);
    }
    return cards;
  }

  async function startReplay() {
    if (began == null) return;
    const chosen = replayPeriod(period.value, { now: Date.now(), began: began + 1000, from: from.value, to: to.value });
    if (chosen.error) {
      status(chosen.error, 'error');
      return;
    }
    if (replay) stopReplay({ quiet: true });
    const mine = { phase: 'loading', period: chosen, moves: [], played: 0, progress: 0, skipped: 0, catalog: new Map(), raf: null, last: null, moment: null };
    replay = mine;
    show();
    status(`Loading the moves of ${dayLabel(chosen.start)} – ${dayLabel(chosen.end)}…`);
    try {
      const [moves, cards] = await Promise.all([fetchMoves(chosen.start, chosen.end, mine), fetchCards(chosen.end)]);
      if (replay !== mine) return;
      mine.moment = chosen.start;
      if (board.asOf === chosen.start) await board.reload();
      else await board.setAsOf(chosen.start);
      if (replay !== mine) return;
      const state = board.state;
      for (const id of Object.keys(state.leads)) cards.set(Number(id), newerCard(cards.get(Number(id)), state.leads[id]));
      mine.moves = moves;
      mine.catalog = cards;
      if (!moves.length) {
        replay = null;
        status(`No moves between ${dayLabel(chosen.start)} and ${dayLabel(chosen.end)}.`);
        show();
        return;
      }
      mine.phase = 'playing';
      status(progressText(mine));
      show();
      mine.raf = requestAnimationFrame(frame);
    } catch (error) {
      if (replay !== mine) return;
      replay = null;
      status(`Could not replay: ${error.message}`, 'error');
      show();
    }
  }

  function progressText(r) {
    // The count first: a narrow bar cuts the period's end, never the progress.
    return `${count(r.played)} of ${count(r.moves.length)} moves replayed, ${dayLabel(r.period.start)} – ${dayLabel(r.period.end)}`;
  }

  function frame(t) {
    const r = replay;
    if (!r || r.phase !== 'playing') return;
    const dt = r.last == null ? 0 : t - r.last;
    r.last = t;
    const total = r.moves.length;
    r.progress = advance(r.progress, dt, replayRate(total, speed), total);
    const [start, end] = dueRange(r.progress, r.played, total);
    if (end > start) {
      const state = board.state;
      const cardOf = (id) => newerCard(state.leads[id], r.catalog.get(id));
      const { events, cards, skipped } = frameEvents(r.moves, start, end, cardOf, state.seq);
      for (const [id, card] of cards) r.catalog.set(id, card);
      r.skipped += skipped;
      r.played = end;
      r.moment = new Date(r.moves[end - 1].at).toISOString();
      // Labels while a person can read them: one move at a time, not a stream.
      const labels = replayRate(total, speed) * 1000 <= 2;
      board.playEvents(events, r.moment, { labels });
      status(progressText(r));
    }
    if (r.played >= total) {
      finish(r);
      return;
    }
    r.raf = requestAnimationFrame(frame);
  }

  function pause() {
    const r = replay;
    if (!r || r.phase !== 'playing') return;
    cancelAnimationFrame(r.raf);
    r.phase = 'paused';
    status(`Paused at ${momentLabel(board.asOf)}: ${count(r.played)} of ${count(r.moves.length)} moves`);
    show();
  }

  function resume() {
    const r = replay;
    if (!r || r.phase !== 'paused') return;
    r.phase = 'playing';
    r.last = null;
    r.raf = requestAnimationFrame(frame);
    show();
  }

  /** Stop where it is: the board stays at the moment reached. */
  function stopReplay({ quiet = false } = {}) {
    const r = replay;
    if (!r) return;
    cancelAnimationFrame(r.raf);
    replay = null;
    // Leads the replay could not place leave the figures off: read them afresh.
    if (r.skipped && board.asOf != null) board.reload();
    if (!quiet) status(`Replay stopped at ${momentLabel(board.asOf)}.`);
    show();
  }

  /** The end: the board as it stood at the period's end, read afresh (exact
   * figures even for leads the replay could not place). */
  async function finish(r) {
    r.phase = 'ended';
    const end = new Date(Math.min(Date.parse(r.period.end), Date.now() - CLOCK_SLACK_MS)).toISOString();
    r.moment = end;
    try {
      await board.setAsOf(end);
    } catch (error) {
      // Keep the replayed board: it is the end, up to the figures of unplaced leads.
      if (r.skipped) board.reload();
    }
    if (replay !== r) return;
    replay = null;
    status(`Replayed ${count(r.moves.length)} moves, ${dayLabel(r.period.start)} – ${dayLabel(r.period.end)}.`);
    show();
  }

  addToTestHook('replayStatus', () => ({
    phase: replay ? replay.phase : 'idle',
    played: replay ? replay.played : 0,
    total: replay ? replay.moves.length : 0,
    asOf: board.asOf,
    readout: readout.textContent,
    began: began == null ? null : new Date(began).toISOString(),
  }));

  let started = false;
  show();
  return {
    loaded() {
      if (!started) {
        started = true;
        afterFirstDraw(findBeginning);
      } else {
        show();
      }
    },
    asOf(moment) {
      // Someone else moved the board in time (e.g. the meeting's presenter): the replay yields.
      if (replay && replay.moment != null && moment !== replay.moment && replay.phase !== 'ended') {
        stopReplay({ quiet: true });
        status('');
      }
      show();
    },
    filters() {
      if (replay) {
        stopReplay({ quiet: true });
        status('Replay stopped: the filters changed.');
      }
    },
  };
}
