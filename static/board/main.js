// The live board page: wires the state (reducer + sync), the socket, the
// canvas view, the top bar, keyboard and screen reader support, and the test
// hook. Each of those lives in its own module; this one only connects them.

import { parseFilters, filtersToSearch, sameFilters, filtersActive } from './core/filters.js';
import { createApi } from './net/api.js';
import { loadState, applyEvents, mergePage } from './core/reducer.js';
import { buildColumns, cardFor, defaultFolded, dropPosition } from './core/model.js';
import { createSync } from './core/sync.js';
import { createSocket, socketUrl, ticketUrl, CLOSE } from './net/socket.js';
import { createView } from './canvas/view.js';
import { createMeasurer } from './canvas/text.js';
import { createToolbar } from './ui/toolbar.js';
import { createToaster } from './ui/toast.js';
import { createConfirm } from './ui/dialog.js';
import { createAnnouncer, describeEffect, describeCard, navigate, adjacentStage } from './ui/a11y.js';
import { createUndoStack, undoBody } from './core/undo.js';
import { installTestHook } from './ui/hook.js';
import { aging, ago, count } from './core/format.js';
import { teamColor } from './canvas/theme.js';
import { dropNeighbour } from './canvas/layout.js';
import { createPanel } from './panels/panel.js';
import { createTimebar } from './panels/timebar.js';
import { createExport } from './panels/export.js';
import { createMeeting } from './panels/meeting.js';
import { createHandoff } from './panels/handoff.js';
import { createQuality } from './panels/quality.js';
import { createImporter } from './panels/importer.js';

const VIEW_ONLY = 'View only — ask the board owner for edit access';
const IN_THE_PAST = 'This is the board as it was then: go back to live (time bar) to change it.';
const PAGE = 50;

const config = JSON.parse(document.getElementById('board-config').textContent);
const boardId = config.board.id;
const me = config.me; // {id, username, name, role, team}
const canEdit = me.role === 'owner' || me.role === 'editor';

// Meeting mode (/boards/<id>/meeting/); a share link's view reads with its token.
const meetingShare = config.meeting ? config.meeting.share : null;
const api = createApi(boardId, { share: meetingShare });
const toast = createToaster(document.getElementById('toasts'));
const confirm = createConfirm(document.getElementById('confirm'));
const announce = createAnnouncer(document.getElementById('announcer'));
const selectionStatus = document.getElementById('selection-status');
const boardEl = document.getElementById('board');
const tooltipEl = document.getElementById('tooltip');
const undoStack = createUndoStack();

let state = null;
// Time travel: null is the live board; an ISO moment shows the board as it stood
// then (read-only; live events are left out until the way back, which reloads).
let asOf = null;
let stateAsOf = null; // the moment the state in hand shows (asOf runs ahead while it loads)
let filters = parseFilters(location.search);
let folded = null;
let funnel = null;
let selection = null;
let columns = [];
let linkStatus = 'reconnecting';
let dragging = false; // a card or chip is in the user's hand
let linkEnded = false; // signed out, gone, or a revoked share link: nothing more to fetch
const pending = new Map(); // lead id -> {card, from, to, position, awaitSeq}
const inFlight = new Set(); // lead ids with a move request out
const ownSeqs = new Set(); // seqs of this browser's own single moves (already shown)
const loadingStages = new Set();
const pagesShown = new Map(); // stage id -> pages loaded (a reload asks for as many)
const presence = new Map();

// Text measuring for the canvas.
const measure = createMeasurer(document.createElement('canvas').getContext('2d'));

const stageName = (id) => (state && state.stages[id] ? state.stages[id].name : 'another stage');
const campaignName = (id) => (state && state.campaigns[id] ? state.campaigns[id].name : 'campaign');
const names = { stageName, campaignName, me };

// Drawing.

let renderNow = Date.now();

function cardInfo(id) {
  const card = cardFor(state, pending, id);
  if (!card) return null;
  const stage = state.stages[card.stage];
  const owner = card.owner != null ? state.people[card.owner] : null;
  const campaign = card.campaign != null ? state.campaigns[card.campaign] : null;
  return {
    card,
    ownerName: owner ? owner.name : '',
    campaignColor: campaign ? campaign.color : null,
    aging: aging(card, stage, renderNow),
    accent: teamColor(stage ? stage.team : null),
    draggable: canEdit && asOf == null && !inFlight.has(id),
  };
}

function render() {
  if (!state) return;
  renderNow = stateAsOf ? Date.parse(stateAsOf) : Date.now(); // days in stage as they were then
  const active = filtersActive(filters);
  columns = buildColumns(state, { pending, folded, funnel }).map((c) => ({ ...c, loading: loadingStages.has(c.id), filtered: active }));
  view.render({ columns });
}

const view = createView(document.getElementById('board-canvas'), {
  get canEdit() {
    return canEdit && asOf == null; // no drags in the past
  },
  measure,
  cardInfo,
  dropCard: (leadId, from, to, index) => moveLead(leadId, to, index),
  dropChip: (campaignId, from, to) => moveCampaign(campaignId, from, to),
  toggleFold(stageId) {
    if (folded.has(stageId)) folded.delete(stageId);
    else folded.add(stageId);
    saveFolded();
    render();
  },
  needMore: (stageId) => loadMore(stageId),
  select: (leadId) => {
    boardEl.focus({ preventScroll: true });
    select(leadId, false);
  },
  dragState: (active) => {
    dragging = active;
    hook.dragging(active);
    if (!active) render();
  },
  tooltip(text, x, y) {
    if (!text) {
      tooltipEl.hidden = true;
      return;
    }
    tooltipEl.textContent = text;
    tooltipEl.hidden = false;
    tooltipEl.style.left = `${Math.round(x + 14)}px`;
    tooltipEl.style.top = `${Math.round(y + 16)}px`;
  },
});

// Folded columns are remembered per board in this browser.
const foldKey = `funnelboard.folded.${boardId}`;
function readFolded(s) {
  try {
    const saved = JSON.parse(localStorage.getItem(foldKey));
    if (Array.isArray(saved)) return new Set(saved.filter((id) => s.stages[id]));
  } catch {
    /* ignore */
  }
  return defaultFolded(s);
}
function saveFolded() {
  try {
    localStorage.setItem(foldKey, JSON.stringify([...folded]));
  } catch {
    /* private mode */
  }
}

// State: load, page, events.

async function load() {
  const pages = Math.max(1, ...pagesShown.values());
  const perStage = Math.min(500, pages * PAGE);
  const asked = filters;
  const moment = asOf;
  const data = await api.state(asked, { perStage, asOf: moment });
  if (moment !== asOf) return; // the time bar moved on; the load for its moment follows
  state = loadState(data, asked, state);
  stateAsOf = moment;
  if (!folded) folded = readFolded(state);
  loadingStages.clear();
  toolbar.setChoices(state, filters);
  settlePending();
  if (selection != null && !state.leads[selection]) select(null);
  render();
  notify('loaded', state);
}

async function loadMore(stageId) {
  const stage = state && state.stages[stageId];
  if (!stage || !stage.next || loadingStages.has(stageId)) return;
  const cursor = stage.next;
  const asked = filters;
  const moment = asOf;
  loadingStages.add(stageId);
  render();
  try {
    const page = await api.state(asked, { perStage: PAGE, stage: stageId, cursor, asOf: moment });
    // Only if the column is still the one this page continues.
    if (sameFilters(asked, filters) && moment === asOf && state.stages[stageId] && state.stages[stageId].next === cursor) {
      state = mergePage(state, stageId, page);
      pagesShown.set(stageId, (pagesShown.get(stageId) || 1) + 1);
    }
  } catch (error) {
    toast(`Could not load more of ${stageName(stageId)}: ${error.message}`, { kind: 'error' });
  } finally {
    loadingStages.delete(stageId);
    render();
  }
}

function leadIdsOf(events) {
  const ids = new Set();
  for (const e of events) {
    if (e.lead && typeof e.lead === 'object') ids.add(e.lead.id);
    for (const m of e.moves || []) ids.add(m.lead);
  }
  return ids;
}

function firstName(name) {
  return String(name || 'someone').split(/\s+/)[0];
}

/** Apply stored events; ``replay``: made-up events of past moves (time bar's
 * Replay), shown without announcements (``labels``: "moved by" labels or not).
 * Live events wait while in the past. */
function apply(events, { replay = false, labels = true } = {}) {
  if (!state || (asOf != null && !replay)) return;
  const before = view.snapshot(leadIdsOf(events));
  const result = applyEvents(state, events);
  state = result.state;
  settlePending();
  render();
  const travels = [];
  for (const effect of result.effects) {
    const text = describeEffect(effect, names);
    if (text && !replay) announce(text);
    const event = effect.event || {};
    const actor = event.actor;
    const byMe = actor && actor.id === me.id;
    if (!replay && ownSeqs.has(event.seq)) continue; // already shown when it was dropped here
    let label = byMe ? (event.source === 'undo' ? 'undone' : null) : `moved by ${firstName(actor && actor.name)}`;
    if (replay && !labels) label = null;
    if (effect.kind === 'moved' || effect.kind === 'reordered') {
      travels.push({ lead: effect.lead, to: effect.to, label });
    } else if (effect.kind === 'batch' || effect.kind === 'undo-batch') {
      let labelled = false;
      for (const m of event.moves || []) {
        const first = !labelled && before.has(m.lead);
        if (first) labelled = true;
        travels.push({ lead: m.lead, to: m.to_stage, label: first ? label : null });
      }
    } else if (effect.kind === 'created' && effect.shown) {
      travels.push({ lead: effect.lead, to: effect.to, label: byMe || (replay && !labels) ? null : `added by ${firstName(actor && actor.name)}` });
    }
  }
  // A catch-up after a long gap is not a show: place the cards, skip the travel.
  view.animate(before, travels.length > 40 ? [] : travels);
  if (result.refetch) scheduleRefetch();
  if (result.effects.some((e) => e.kind !== 'updated')) scheduleFunnel();
  notify('events', events, result.effects);
}

/** Drop the in-flight overlay of moves the state now has. */
function settlePending() {
  for (const [id, p] of pending) if (p.awaitSeq <= state.seq) pending.delete(id);
}

const sync = createSync({
  // In the past the board follows no log: to the sync it is always up to date.
  seq: () => (!state ? 0 : asOf != null ? Number.MAX_SAFE_INTEGER : state.seq),
  apply,
  load,
  fetchEvents: (after, limit) => api.events(after, limit),
  onError(error) {
    if (error.status === 401 || error.status === 403) signedOut();
  },
});

let refetchTimer = null;
function scheduleRefetch() {
  clearTimeout(refetchTimer);
  refetchTimer = setTimeout(() => sync.reload(), 600);
}

/** A write's answer carries its stored event, the one the socket brings every
 * other browser: apply exactly that now when it is next. Past a gap the socket
 * usually brings the events before it at once; if not shortly, fetch them. */
function applyAnswer(event) {
  if (!event || !state || asOf != null) return;
  if (state.seq === event.seq - 1) sync.receive(event);
  else if (state.seq < event.seq) expectSeq(event.seq);
}

/** After a write answered with ``seq``: the socket usually brings the event at
 * once; if it has not come shortly, fetch it (the socket may be down). */
function expectSeq(seq) {
  setTimeout(() => {
    if (state && state.seq < seq) sync.expect(seq);
  }, 700);
}

// Funnel figures for the headers (conversion, median days): optional until
// the endpoint exists; a 404 just leaves them out.
let funnelTimer = null;
async function loadFunnel() {
  try {
    const moment = asOf;
    const next = await api.funnel(filters, { asOf: moment });
    if (moment !== asOf) return; // figures of another moment would mislead
    funnel = next;
  } catch (error) {
    if (error.status !== 404) console.warn('funnel figures unavailable:', error.message);
    return;
  }
  render();
  notify('funnel', funnel);
}
function scheduleFunnel() {
  clearTimeout(funnelTimer);
  funnelTimer = setTimeout(loadFunnel, 5000);
}

// Writes.

/** May this browser change the board now? If not, say why. */
function mayWrite() {
  if (!canEdit) toast(VIEW_ONLY);
  else if (asOf != null) toast(IN_THE_PAST);
  return canEdit && asOf == null;
}

async function moveLead(leadId, toStage, index) {
  if (!mayWrite()) return;
  if (inFlight.has(leadId)) {
    toast('Still saving the last move of this card…');
    return;
  }
  const card = cardFor(state, pending, leadId);
  if (!card) return;
  const from = card.stage;
  const target = columns.find((c) => c.id === toStage);
  const drawn = target ? target.ids : [];
  const lane = target ? target.lane : 0;
  const neighbour = dropNeighbour(drawn, leadId, index, lane);
  const position = dropPosition(state, pending, drawn, leadId, index, lane);
  inFlight.add(leadId);
  pending.set(leadId, { card, from, to: toStage, position, awaitSeq: Infinity });
  render();
  try {
    const answer = await api.moveLead(leadId, { to_stage: toStage, position: index, ...neighbour, version: card.version });
    ownSeqs.add(answer.seq);
    if (answer.transition) {
      undoStack.push({ transition: answer.transition.id, label: `${card.name} back to ${stageName(from)}` });
      updateUndo();
    }
    const p = pending.get(leadId);
    if (p) p.awaitSeq = answer.seq;
    applyAnswer(answer.event);
  } catch (error) {
    const before = view.snapshot([leadId]);
    pending.delete(leadId);
    inFlight.delete(leadId);
    render();
    view.animate(before, [{ lead: leadId, to: from, label: null }]);
    toast(await refusal(error, leadId), { kind: 'error' });
    return;
  } finally {
    inFlight.delete(leadId);
  }
  settlePending();
  render();
}

/** Why a move was refused, in the board's words. */
async function refusal(error, leadId) {
  if (error.status === 409) {
    await sync.catchUp().catch(() => {});
    let touched = state.touched[leadId];
    if (!touched) {
      try {
        const transitions = await api.transitions(leadId);
        const last = transitions[transitions.length - 1];
        if (last) touched = { actor: last.actor, to: last.to_stage, at: last.at };
      } catch {
        /* fall back to the server's words */
      }
    }
    if (touched) {
      const who = !touched.actor ? 'Someone' : touched.actor.id === me.id ? 'You' : touched.actor.name;
      const where = touched.to != null ? ` to ${stageName(touched.to)}` : '';
      return `${who} moved this${where} ${ago(touched.at)}.`;
    }
    return error.message;
  }
  if (error.status === 403) return error.message || VIEW_ONLY;
  if (error.status === 0) return 'Could not reach the server; the card is back where it was.';
  return `Could not move the card: ${error.message}`;
}

async function moveCampaign(campaignId, from, to) {
  if (!mayWrite()) return;
  const campaign = state.campaigns[campaignId];
  const column = columns.find((c) => c.id === from);
  const chip = column && column.chips.find((c) => c.id === campaignId);
  const n = chip ? chip.count : 0;
  const detail = filtersActive(filters)
    ? `Your filters show ${count(n)} of them; the move takes every ${campaign.name} lead in ${stageName(from)}. Undo with Ctrl+Z.`
    : 'You can undo it with Ctrl+Z.';
  const ok = await confirm(`Move ${count(n)} ${campaign.name} ${n === 1 ? 'lead' : 'leads'} from ${stageName(from)} to ${stageName(to)}?`, {
    confirmLabel: `Move to ${stageName(to)}`,
    detail,
  });
  if (!ok) return;
  try {
    const answer = await api.moveCampaign(campaignId, { from_stage: from, to_stage: to });
    if (!answer.moved) {
      toast(`No ${campaign.name} leads left in ${stageName(from)} to move.`);
      return;
    }
    undoStack.push({ batch: answer.batch, label: `${count(answer.moved)} ${campaign.name} leads back to ${stageName(from)}` });
    updateUndo();
    toast(`Moved ${count(answer.moved)} ${campaign.name} leads to ${stageName(to)}. Ctrl+Z undoes it.`);
    applyAnswer(answer.event);
  } catch (error) {
    toast(`Could not move the campaign: ${error.message}`, { kind: 'error' });
  }
}

async function undoLast() {
  if (!mayWrite()) return;
  const item = undoStack.pop();
  updateUndo();
  if (!item) {
    toast('Nothing of yours to undo.');
    return;
  }
  try {
    const answer = await api.undo(undoBody(item));
    const skipped = answer.skipped && answer.skipped.length ? ` (${answer.skipped.length} moved on since and stayed)` : '';
    toast(`Undone: ${item.label}${skipped}.`);
    applyAnswer(answer.event);
  } catch (error) {
    toast(`Could not undo: ${error.message}`, { kind: 'error' });
  }
}

function updateUndo() {
  const top = undoStack.peek();
  toolbar.setUndo(canEdit && top != null, top ? top.label : '');
}

// Filters.

function setFilters(next, { push = true } = {}) {
  if (sameFilters(next, filters)) return;
  const onlySearch = sameFilters({ ...next, q: '' }, { ...filters, q: '' });
  filters = next;
  const url = location.pathname + filtersToSearch(filters);
  if (push && !onlySearch) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  view.resetScroll();
  pagesShown.clear();
  select(null);
  if (state) toolbar.setChoices(state, filters);
  funnel = null; // figures of the old filters would mislead
  sync.reload();
  loadFunnel();
  notify('filters', filters);
}

window.addEventListener('popstate', () => setFilters(parseFilters(location.search), { push: false }));

const toolbar = createToolbar(document.body, {
  onFilters: (next) => setFilters(next),
  onUndo: undoLast,
  onZoom(action) {
    if (action === 'in') view.zoomIn();
    else if (action === 'out') view.zoomOut();
    else view.fit();
  },
});

// Keyboard.

function select(leadId, reveal) {
  selection = leadId;
  view.select(leadId);
  notify('selected', leadId);
  if (leadId == null) {
    selectionStatus.textContent = '';
    return;
  }
  if (reveal) view.reveal(leadId);
  const card = cardFor(state, pending, leadId);
  const column = card && columns.find((c) => c.id === card.stage);
  if (card && column) {
    const owner = card.owner != null ? state.people[card.owner] : null;
    selectionStatus.textContent = describeCard(card, {
      stageName: column.name,
      ownerName: owner ? owner.name : '',
      index: column.ids.indexOf(leadId),
      total: column.count,
    });
  }
}

boardEl.addEventListener('keydown', (e) => {
  if (!state || e.target !== boardEl) return;
  const { key } = e;
  const sideways = key === 'ArrowLeft' || key === 'ArrowRight';
  if (key === '[' || key === ']' || (e.shiftKey && sideways)) {
    e.preventDefault();
    if (selection == null) {
      announce('Select a card first with the arrow keys');
      return;
    }
    const card = cardFor(state, pending, selection);
    if (!card) return;
    const to = adjacentStage(state.stageOrder, card.stage, key === ']' || key === 'ArrowRight' ? 1 : -1);
    if (to == null) {
      announce(`${card.name} is already in the ${key === ']' || key === 'ArrowRight' ? 'last' : 'first'} stage`);
      return;
    }
    if (!mayWrite()) return;
    const lead = selection;
    moveLead(lead, to, 0).then(() => {
      if (selection === lead) select(lead, true);
    });
    select(lead, true);
    return;
  }
  if (['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(key)) {
    e.preventDefault();
    const next = navigate(columns, selection, key);
    if (next != null) select(next, true);
    return;
  }
  if (key === 'Escape') {
    select(null);
  } else if (key === 'Enter') {
    e.preventDefault(); // opens nothing yet
  } else if (key === '+' || key === '=') {
    view.zoomIn();
  } else if (key === '-') {
    view.zoomOut();
  } else if (key === '0') {
    view.fit();
  }
});

document.addEventListener('keydown', (e) => {
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z') {
    if (e.target.closest && e.target.closest('input, textarea, select, [contenteditable]')) return;
    if (document.querySelector('dialog[open]')) return;
    e.preventDefault();
    undoLast();
  }
});

// The live link.

function signedOut() {
  toast('You are signed out. Sign in again to keep working.', { kind: 'error', timeout: 0 });
}

function showPresence() {
  toolbar.setPresence([...presence.values()], me);
}

// A guest (no session) gets a fresh single-use ticket before each (re)connect.
const socketAddress = meetingShare ? () => ticketUrl(location, boardId, { share: meetingShare }) : socketUrl(location, boardId);
const socket = createSocket(socketAddress, {
  hello(message) {
    presence.clear();
    for (const user of message.presence || []) presence.set(user.id, user);
    showPresence();
    if (asOf == null) sync.hello(message.seq); // in the past: caught up on the way back
  },
  event(message) {
    sync.receive(message);
  },
  message(message) {
    notify('message', message);
  },
  presence(message) {
    if (!message.user) return;
    if (message.type === 'presence.joined') presence.set(message.user.id, message.user);
    else presence.delete(message.user.id);
    showPresence();
  },
  status(s) {
    linkStatus = s;
    toolbar.setStatus(s);
    document.body.dataset.wsStatus = s;
    if (s !== 'live') {
      // Only I am known to be here while the link is down.
      presence.clear();
      presence.set(me.id, { id: me.id, username: me.username, name: me.name, team: me.team });
      showPresence();
    }
  },
  closed(code) {
    // Final closes: the board is no longer ours to follow; stop asking for it.
    if (code === CLOSE.UNAUTHENTICATED || code === CLOSE.NOT_FOUND || code === CLOSE.SHARE_ENDED) linkEnded = true;
    if (code === CLOSE.RESYNC) sync.reload();
    else if (code === CLOSE.UNAUTHENTICATED) signedOut();
    else if (code === CLOSE.NOT_FOUND) toast('This board is gone, or you are no longer a member.', { kind: 'error', timeout: 0 });
    notify('closed', code);
  },
});

// Without the socket the board still follows the log, just slower.
setInterval(() => {
  if (state && !linkEnded && asOf == null && linkStatus !== 'live' && !sync.busy) sync.catchUp().catch(() => {});
}, 10_000);
// Days in stage move on; the funnel figures drift.
setInterval(render, 5 * 60_000);
setInterval(() => {
  if (!linkEnded && document.visibilityState === 'visible') loadFunnel();
}, 120_000);

// Time travel.

/**
 * Show the board as it stood at ``moment`` (ISO string or Date), or live (null).
 * In the past the board is read-only and live events are left out; the way back
 * reloads the live board. Resolves once the board is drawn; rejects (and stays
 * where it was) when the server refuses the moment, e.g. before the board began.
 */
async function setAsOf(moment) {
  const next = moment == null ? null : new Date(moment).toISOString();
  if (next === asOf) return;
  const previous = asOf;
  asOf = next;
  if (next == null) {
    state = state && { ...state, touched: {} }; // replayed moves are not the live board's
    showAsOf();
    await sync.reload();
    loadFunnel();
    return;
  }
  try {
    await load();
  } catch (error) {
    asOf = previous;
    showAsOf();
    if (previous == null) sync.catchUp().catch(() => {});
    throw error;
  }
  showAsOf();
  loadFunnel();
}

/** Replay: apply made-up events of past moves (seqs follow the state's own, not
 * the log's) and move the board's moment on to ``moment``. Only in the past.
 * ``labels``: "moved by" labels on the travelling cards (too many at speed). */
function playEvents(events, moment, { labels = true } = {}) {
  if (asOf == null || !state) return;
  asOf = stateAsOf = new Date(moment).toISOString();
  apply(events, { replay: true, labels });
  showAsOf();
}

function showAsOf() {
  if (asOf == null) delete document.body.dataset.asOf;
  else document.body.dataset.asOf = asOf;
  render(); // drags are off in the past, days in stage count to the moment shown
  notify('asOf', asOf);
}

// Features around the canvas (side panel, time bar, export, import, handoff
// lane, meeting mode) each live in their own module. They get the board through
// ``board`` and hear of changes through ``notify(name, ...)``, calling the
// feature's method of that name if it has one:
//   loaded(state)            the state was (re)loaded
//   events(events, effects)  live events were applied
//   filters(filters)         the filters changed
//   funnel(funnel)           fresh funnel figures for the headers
//   message(message)         an ephemeral socket message (import.progress, meeting.follow, ...)
//   asOf(moment)             the board now shows another moment (ISO string; null: live)
//   closed(code)             the live link was closed by the server (socket.js CLOSE)
//   selected(leadId)         the selected card changed (null: none)
const features = [];
function notify(name, ...args) {
  for (const feature of features) {
    if (typeof feature[name] !== 'function') continue;
    try {
      feature[name](...args);
    } catch (error) {
      console.error(`board feature failed in ${name}:`, error);
    }
  }
}
const board = {
  id: boardId,
  config,
  me,
  canEdit,
  api,
  toast,
  confirm,
  announce,
  view,
  socket,
  get state() {
    return state;
  },
  get filters() {
    return filters;
  },
  get columns() {
    return columns;
  },
  get funnel() {
    return funnel;
  },
  /** A drag is under way: heavy work (drawing the charts) waits for the drop. */
  get dragging() {
    return dragging;
  },
  setFilters: (next) => setFilters(next),
  /** Tell the other features (e.g. ``theme`` when the meeting view switches). */
  broadcast: (name, ...args) => notify(name, ...args),
  render,
  reload: () => sync.reload(),
  /** The moment shown (ISO string), or null for the live board. */
  get asOf() {
    return asOf;
  },
  setAsOf,
  playEvents,
  /** A write's answer came with its stored event (feedback, import): apply it. */
  applyAnswer: (event) => applyAnswer(event),
};
// features.push(createSomething(board)) for each feature, here:
const panel = createPanel(board);
features.push(panel, createTimebar(board), createExport(board, { charts: panel }));
if (config.meeting) features.push(createMeeting(board));
features.push(createHandoff(board), createQuality(board), createImporter(board));

// Start.

const hook = installTestHook({
  view,
  columns: () => columns,
  status: () => linkStatus,
  seq: () => (state ? state.seq : 0),
  asOf: () => asOf,
  ready: null,
});

document.getElementById('board-view-only').hidden = canEdit;
toolbar.setStatus('reconnecting');
document.body.dataset.wsStatus = 'reconnecting';
updateUndo();
presence.set(me.id, { id: me.id, username: me.username, name: me.name, team: me.team });
showPresence();

async function start() {
  const loading = document.getElementById('board-loading');
  for (let attempt = 0; ; attempt++) {
    try {
      await load();
      break;
    } catch (error) {
      if (error.status === 401 || error.status === 403) {
        loading.textContent = 'You are signed out. Reload the page to sign in again.';
        throw error;
      }
      loading.textContent = `Could not load the board (${error.message}). Trying again…`;
      await new Promise((r) => setTimeout(r, Math.min(10_000, 1000 * 2 ** attempt)));
    }
  }
  view.fit(); // many stages on a small window: zoom out until the board fits
  await new Promise((r) => requestAnimationFrame(() => r()));
  loading.remove();
  document.body.dataset.boardReady = '1';
  window.funnelboard.firstDrawMs = Math.round(performance.now());
  socket.start();
  loadFunnel();
}

window.funnelboard.ready = start();
