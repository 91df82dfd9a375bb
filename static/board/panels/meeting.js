// Meeting mode (/boards/<id>/meeting/): the board on a projector. No editing
// chrome, large type (the board is laid out for a smaller window and drawn
// bigger, see view.setBase), light and dark high-contrast themes (remembered in
// this browser), the numbers panel beside the board.
//
// The presenter (any editor who pressed Start meeting or Present) drives: their
// filters, zoom and moment (time bar) go out as ``meeting.follow`` on every
// change (sampled every SAMPLE_MS) and every HEARTBEAT_MS (so late joiners catch
// up); every other meeting view follows them, until its viewer presses "Stop
// following". A second editor pressing Present takes over; the first follows.
//
// Start meeting / End meeting (editors) bracket the moves the recap collects;
// the end shows the recap (server-computed) to everyone in meeting mode, with
// Download PNG (drawn here) and Download Markdown (the server's). Editors make
// and revoke read-only share links here (sharelinks.js); a view opened through a
// link that is revoked closes at once (socket close 4410) and says so.
//
// Board hooks used: board.filters / setFilters, board.view (zoom, setZoom,
// setBase, restyle), board.asOf / setAsOf (time bar; optional), board.socket.send,
// board.api (meetings, share links), board.columns. Feature methods: loaded,
// message, closed, asOf.

import { filterParams, parseFilters, sameFilters } from '../core/filters.js';
import { setPalette, setTypeFloor, typeFloorFor } from '../canvas/theme.js';
import { M } from '../canvas/layout.js';
import { CLOSE } from '../net/socket.js';
import { addToTestHook } from '../ui/hook.js';
import { renderRecap, downloadRecapPng, recapFileName } from './recap.js';
import { saveBlob } from '../ui/download.js';
import { createShareLinks } from './sharelinks.js';

export const SAMPLE_MS = 300;
export const HEARTBEAT_MS = 4000;
export const PRESENTER_TIMEOUT_MS = 15_000;
const THEME_KEY = 'funnelboard.meeting.theme';
// Height (world units at zoom 1) a column needs to show its header, chips and a
// few cards: the type scale never shrinks the board below it.
const COMFORT_HEIGHT = 640;
const MAX_SCALE = 1.8;

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/**
 * How much larger than on the desk the meeting draws the board (>= 1): as large
 * as fits every column at its minimum width across the window and a readable
 * column height down it. ``columns``: [{folded}], width/height in CSS pixels.
 */
export function meetingScale({ width, height, columns }, m = M) {
  if (!width || !height || !columns.length) return 1;
  const folded = columns.filter((c) => c.folded).length;
  const open = columns.length - folded;
  const natural = 2 * m.padX + (columns.length - 1) * m.gap + folded * m.foldedW + open * m.minColW;
  const scale = Math.min(width / natural, height / COMFORT_HEIGHT);
  return Math.round(clamp(scale, 1, MAX_SCALE) * 20) / 20;
}

/** What a presenter shares: filters (as a query string), zoom relative to the
 * zoom that fits the board in their window (``base``: view.fitted; 1 = fitted), the
 * moment shown (null = live). A follower's window of another size fits it its own
 * way: at 1366x768 every column shows, New included. */
export function presenterView({ filters, zoom, base, asOf, meeting }) {
  return {
    filters: filterParams(filters).toString(),
    zoom: Math.round((zoom / (base || 1)) * 1000) / 1000,
    as_of: asOf || null,
    meeting: meeting == null ? null : meeting,
    presenting: true,
  };
}

/** What a follower must change to show ``view``: {filters?, zoom?, asOf?} (a key
 * is present only when that part differs). Bad parts of a view are ignored. */
export function followPlan(view, { filters, zoom, base, asOf }) {
  const plan = {};
  if (typeof view.filters === 'string') {
    const next = parseFilters(view.filters);
    if (!sameFilters(next, filters)) plan.filters = next;
  }
  const relative = Number(view.zoom);
  if (Number.isFinite(relative) && relative > 0) {
    const target = relative * (base || 1);
    if (Math.abs(target - zoom) > 0.005) plan.zoom = target;
  }
  const moment = typeof view.as_of === 'string' && view.as_of ? view.as_of : null;
  if ('as_of' in view && moment !== (asOf || null)) plan.asOf = moment;
  return plan;
}

function readTheme() {
  try {
    return localStorage.getItem(THEME_KEY) === 'dark' ? 'dark' : 'light';
  } catch {
    return 'light';
  }
}

function saveTheme(theme) {
  try {
    localStorage.setItem(THEME_KEY, theme);
  } catch {
    /* private mode: this page still switches */
  }
}

function timeOf(at) {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function createMeeting(board) {
  const settings = board.config.meeting || {};
  const guest = Boolean(settings.guest);
  const canLead = board.canEdit && !guest;
  const $ = (id) => document.getElementById(id);
  const ui = {
    state: $('meeting-state'),
    follow: $('meeting-follow'),
    followName: $('meeting-follow-name'),
    followToggle: $('meeting-follow-toggle'),
    present: $('meeting-present'),
    start: $('meeting-start'),
    end: $('meeting-end'),
    share: $('meeting-share'),
    theme: $('meeting-theme'),
    recap: $('meeting-recap'),
    recapBody: $('meeting-recap-body'),
    links: $('meeting-links'),
    linkList: $('meeting-link-list'),
    linkUrl: $('meeting-link-url'),
    ended: $('meeting-ended'),
    filters: $('filters'),
  };

  let running = settings.running || null; // {id, started_at, started_by}
  let presenting = false;
  let following = true; // follow whoever presents (a viewer may stop)
  let presenter = null; // {id, name} of the presenter heard lately
  let presented = null; // the view they last sent
  let heardAt = 0;
  let lastSent = '';
  let lastSentAt = 0;
  let recapShown = null; // meeting id whose recap the dialog shows
  let recap = null;
  let linkEnded = false;
  let scaled = false;
  let typeFloor = 0;

  // Theme: high-contrast light or dark, for the page and the canvas.
  function applyTheme(theme) {
    document.documentElement.dataset.theme = theme;
    setPalette(theme);
    board.view.restyle();
    if (board.broadcast) board.broadcast('theme', theme);
    // A toggle: "Dark", pressed or not (the compact bar's word; aria-label "Dark theme").
    ui.theme.setAttribute('aria-pressed', String(theme === 'dark'));
  }
  // The compact bar: the score and search filters open under it on demand (meeting.css).
  const moreFilters = $('meeting-more-filters');
  if (moreFilters) {
    moreFilters.addEventListener('click', () => {
      const open = !document.body.classList.contains('meeting-filters-open');
      document.body.classList.toggle('meeting-filters-open', open);
      moreFilters.setAttribute('aria-expanded', String(open));
      if (open) ui.filters.querySelector('#f-q').focus();
    });
  }
  let theme = readTheme();
  applyTheme(theme);
  ui.theme.addEventListener('click', () => {
    theme = theme === 'dark' ? 'light' : 'dark';
    saveTheme(theme);
    applyTheme(theme);
  });

  // Large type: scale the board to the window once the columns are known.
  function rescale() {
    const canvas = $('board-canvas');
    const scale = meetingScale({ width: canvas.clientWidth, height: canvas.clientHeight, columns: board.columns });
    const floor = typeFloorFor(scale);
    if (scale !== board.view.base) board.view.setBase(scale);
    if (floor !== typeFloor) {
      typeFloor = floor;
      setTypeFloor(floor); // every figure >= 16 px on screen at this scale (theme.js)
      board.view.restyle();
    }
  }
  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(rescale, 150);
  });

  // Presenting and following.
  function currentView() {
    return presenterView({
      filters: board.filters,
      zoom: board.view.zoom,
      base: board.view.fitted,
      asOf: board.asOf,
      meeting: running ? running.id : null,
    });
  }

  function send(view) {
    return board.socket.send({ type: 'meeting.follow', view });
  }

  function sample(force = false) {
    if (!presenting) return;
    const view = currentView();
    const text = JSON.stringify(view);
    const now = Date.now();
    if (!force && text === lastSent && now - lastSentAt < HEARTBEAT_MS) return;
    if (send(view)) {
      lastSent = text;
      lastSentAt = now;
    }
  }

  function present() {
    if (!canLead) return;
    presenting = true;
    presenter = null;
    lastSent = '';
    show();
    sample(true);
    board.announce('You are presenting: everyone in meeting mode follows your view.');
  }

  function stopPresenting() {
    if (!presenting) return;
    presenting = false;
    send({ ...currentView(), presenting: false });
    show();
  }

  function onFollow(message) {
    const view = message.view && typeof message.view === 'object' ? message.view : {};
    const actor = message.actor || {};
    if (view.presenting === false) {
      if (presenter && presenter.id === actor.id) {
        presenter = null;
        show();
      }
      return;
    }
    if (presenting) {
      presenting = false;
      board.toast(`${actor.name || 'Someone'} is presenting now; you follow them.`);
    }
    const changed = !presenter || presenter.id !== actor.id;
    presenter = { id: actor.id, name: actor.name || 'the presenter' };
    presented = view;
    heardAt = Date.now();
    if (following) apply(view);
    if (changed) show();
  }

  function apply(view) {
    const plan = followPlan(view, { filters: board.filters, zoom: board.view.zoom, base: board.view.fitted, asOf: board.asOf });
    if (plan.filters) board.setFilters(plan.filters);
    if (plan.zoom != null) board.view.setZoom(plan.zoom);
    if ('asOf' in plan && typeof board.setAsOf === 'function') {
      Promise.resolve(board.setAsOf(plan.asOf)).catch(() => {});
    }
  }

  function lockFilters(locked) {
    for (const control of ui.filters.querySelectorAll('select, input, button')) control.disabled = locked;
    ui.filters.title = locked ? `Following ${presenter ? presenter.name : 'the presenter'}: their filters apply` : '';
  }

  // The bar.
  function show() {
    const led = presenter != null && !presenting;
    document.body.classList.toggle('meeting-presenting', presenting);
    document.body.classList.toggle('meeting-following', led && following);
    ui.follow.hidden = !led;
    if (led) {
      ui.followName.textContent = following ? `Following ${presenter.name}` : `${presenter.name} is presenting`;
      ui.followToggle.textContent = following ? 'Stop following' : 'Follow';
    }
    lockFilters(led && following);
    ui.present.hidden = !canLead || !running;
    ui.present.textContent = presenting ? 'Stop presenting' : 'Present';
    ui.present.setAttribute('aria-pressed', String(presenting));
    ui.start.hidden = !canLead || running != null;
    ui.end.hidden = !canLead || running == null;
    ui.share.hidden = !canLead;
    ui.state.textContent = running
      ? `Meeting since ${timeOf(running.started_at)}${running.started_by ? ` · ${running.started_by}` : ''}${presenting ? ' · you are presenting' : ''}`
      : presenting
        ? 'You are presenting'
        : 'No meeting running';
    ui.state.title = ui.state.textContent; // the compact bar may cut it
    document.body.dataset.meeting = running ? String(running.id) : '';
  }

  ui.followToggle.addEventListener('click', () => {
    following = !following;
    if (following && presented) apply(presented); // back to the presenter's view at once
    show();
  });
  ui.present.addEventListener('click', () => (presenting ? stopPresenting() : present()));

  ui.start.addEventListener('click', async () => {
    ui.start.disabled = true;
    try {
      running = await board.api.meetingStart();
    } catch (error) {
      if (error.status === 409 && error.body && error.body.meeting) {
        running = await board.api.meeting(error.body.meeting).catch(() => null);
      } else {
        board.toast(`Could not start the meeting: ${error.message}`, { kind: 'error' });
      }
    } finally {
      ui.start.disabled = false;
    }
    if (running) present();
    show();
  });

  ui.end.addEventListener('click', async () => {
    if (!running) return;
    const ok = await board.confirm('End the meeting and show its recap?', {
      confirmLabel: 'End meeting',
      detail: 'The recap lists the moves made since the meeting began, who made them, and the stage totals and conversion before and after.',
    });
    if (!ok || !running) return;
    ui.end.disabled = true;
    try {
      const ended = await board.api.meetingEnd(running.id);
      stopPresenting();
      running = null;
      showRecap(ended);
    } catch (error) {
      board.toast(`Could not end the meeting: ${error.message}`, { kind: 'error' });
    } finally {
      ui.end.disabled = false;
      show();
    }
  });

  // The recap.
  function showRecap(meeting) {
    if (!meeting || !meeting.recap) return;
    recap = meeting.recap;
    recapShown = meeting.id;
    renderRecap(ui.recapBody, recap);
    if (!ui.recap.open) ui.recap.showModal();
  }

  async function onEnded(meetingId) {
    if (running && running.id === meetingId) running = null;
    stopPresenting(); // presenting ends with the meeting, for everyone
    presenter = null;
    show();
    if (recapShown === meetingId) return;
    try {
      showRecap(await board.api.meeting(meetingId));
    } catch (error) {
      board.toast(`The meeting ended; its recap could not be loaded: ${error.message}`, { kind: 'error' });
    }
  }

  ui.recap.querySelector('[data-png]').addEventListener('click', () => {
    if (recap) downloadRecapPng(recap).catch((error) => board.toast(error.message, { kind: 'error' }));
  });
  ui.recap.querySelector('[data-markdown]').addEventListener('click', async () => {
    if (recapShown == null) return;
    try {
      const text = await board.api.meetingRecapMarkdown(recapShown);
      saveBlob(new Blob([text], { type: 'text/markdown' }), recapFileName(recap, 'md'));
    } catch (error) {
      board.toast(`Could not download the Markdown: ${error.message}`, { kind: 'error' });
    }
  });
  ui.recap.querySelector('[data-close]').addEventListener('click', () => ui.recap.close());

  // Share links (editors): the list, revoking, a new link's URL (sharelinks.js).
  const shareLinks = canLead
    ? createShareLinks(board, { open: ui.share, dialog: ui.links, list: ui.linkList, url: ui.linkUrl })
    : null;

  // A share link's view: the token stays in the address (a reload must still
  // open the meeting), whatever the filters put there.
  function keepShareInUrl() {
    if (!settings.share) return;
    const url = new URL(location.href);
    if (url.searchParams.get('share') === settings.share) return;
    url.searchParams.set('share', settings.share);
    history.replaceState(history.state, '', url);
  }

  function endLink() {
    if (linkEnded) return;
    linkEnded = true;
    presenter = null;
    board.socket.stop();
    for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
    const expired = settings.expiresAt && new Date(settings.expiresAt) <= new Date();
    if (expired) ui.ended.querySelector('h2').textContent = 'This share link has expired';
    ui.ended.hidden = false;
    document.body.classList.add('meeting-link-ended');
    show();
  }

  setInterval(() => {
    sample();
    if (presenter && !presenting && Date.now() - heardAt > PRESENTER_TIMEOUT_MS) {
      presenter = null; // the presenter left without a word (closed the tab)
      show();
    }
  }, SAMPLE_MS);

  show();
  addToTestHook('meeting', () => ({
    presenting,
    following,
    presenter: presenter ? presenter.name : null,
    running: running ? running.id : null,
    recap: recapShown,
    linkEnded,
    base: board.view.base,
    fitted: board.view.fitted,
    typeFloor,
    theme,
  }));

  return {
    loaded() {
      if (!scaled) {
        scaled = true;
        rescale();
      }
    },
    filters() {
      keepShareInUrl();
      sample();
    },
    asOf() {
      sample();
    },
    message(message) {
      if (message.type === 'meeting.follow') onFollow(message);
      else if (message.type === 'meeting.started') {
        running = message.meeting;
        show();
      } else if (message.type === 'meeting.ended') onEnded(message.meeting);
      else if (message.type === 'share.revoked' && shareLinks) shareLinks.refreshIfOpen();
    },
    closed(code) {
      if (code === CLOSE.SHARE_ENDED) endLink();
    },
  };
}
