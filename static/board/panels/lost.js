// "Why deals are lost" in the side panel (#panel-lost): the lost leads by reason,
// for the whole board or broken down per campaign, channel, stage left or owner.
// From GET /api/boards/<id>/funnel/ (``lost_reasons``: each lead counts once, with
// the reason of its latest kept entry into Lost); on the live board as the server
// pushes them (``numbers.updated``), else read again, debounced, when a move
// reaches the board. In the past (time travel, a replay) the lost deals by
// the moment shown (``as_of``), which the section names.

import { request } from '../net/api.js';
import { count as countText } from '../core/format.js';
import { addToTestHook } from '../ui/hook.js';
import { afterFirstDraw } from './idle.js';
import { awaitPush, settling } from '../net/figures.js';
import { momentLabel } from '../core/replay.js';

export const BREAKDOWNS = [
  ['total', 'All lost deals'],
  ['campaign', 'By campaign'],
  ['channel', 'By channel'],
  ['stage', 'By stage left'],
  ['owner', 'By owner'],
];
const REFRESH_MS = 800;
const NONE = { campaign: 'No campaign', channel: 'No channel', stage: 'Created lost', owner: 'Nobody' };

/**
 * What the panel draws: groups of {name, leads, reasons: [{reason, leads, share}]}
 * (``share`` of the group's leads, 0..1), most leads first.
 */
export function lostView(lost, by = 'total') {
  if (!lost) return { leads: 0, groups: [] };
  const withShare = (reasons, leads) => reasons.map((r) => ({ ...r, share: leads ? r.leads / leads : 0 }));
  if (by === 'total') {
    return { leads: lost.leads, groups: lost.leads ? [{ name: 'All lost deals', leads: lost.leads, reasons: withShare(lost.reasons, lost.leads) }] : [] };
  }
  const rows = (lost.by && lost.by[by]) || [];
  return {
    leads: lost.leads,
    groups: rows.map((row) => ({
      name: row.name || (row.key == null ? NONE[by] : String(row.key)),
      leads: row.leads,
      reasons: withShare(row.reasons, row.leads),
    })),
  };
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

export function createLostReasons(board) {
  const root = document.getElementById('panel-lost');
  if (!root) return {};
  let by = 'total';
  let lost = null;
  let error = null;
  let asked = 0;
  const share = board.config.meeting ? board.config.meeting.share || null : null;

  root.replaceChildren();
  const title = el('h2', 'panel-title', 'Why deals are lost');
  title.id = 'lost-title';
  root.setAttribute('aria-labelledby', 'lost-title');
  const picker = el('select', 'lost-by');
  picker.setAttribute('aria-label', 'Break lost deals down');
  for (const [key, label] of BREAKDOWNS) picker.append(new Option(label, key));
  picker.addEventListener('change', () => {
    by = picker.value;
    draw();
  });
  const head = el('div', 'quality-head');
  const moment = el('span', 'section-moment');
  moment.dataset.sectionMoment = '';
  moment.hidden = true;
  head.append(title, moment, picker);
  const body = el('div', 'lost-body');
  body.setAttribute('aria-live', 'polite');
  root.append(head, body);

  let lostAsOf = null; // the moment ``lost`` counts to (null: now)
  async function fetchNow() {
    const ticket = ++asked;
    const asOf = board.asOf;
    const query = new URLSearchParams();
    if (asOf) query.set('as_of', asOf);
    try {
      const answer = await request('GET', `/api/boards/${board.id}/funnel/`, { query, share });
      if (ticket !== asked) return;
      lost = answer.lost_reasons;
      lostAsOf = asOf;
      error = null;
    } catch (e) {
      if (ticket !== asked) return;
      error = e.message;
    }
    draw();
  }

  // Debounced, and at least every 1.5 s while a replay moves the moment on.
  const refresh = settling(fetchNow, { delay: REFRESH_MS });
  // Live: the server pushes them (it ignores the board's filters, like this section).
  const waiting = awaitPush(() => refresh(0));

  function draw() {
    moment.hidden = lostAsOf == null;
    moment.textContent = lostAsOf == null ? '' : `as of ${momentLabel(lostAsOf)}`;
    body.replaceChildren();
    if (error) {
      body.append(el('p', 'quality-error', `Could not load the lost reasons: ${error}`));
      return;
    }
    if (!lost) {
      body.append(el('p', 'muted', 'Loading…'));
      return;
    }
    const view = lostView(lost, by);
    if (!view.groups.length) {
      body.append(el('p', 'muted', 'No deal lost yet.'));
      return;
    }
    for (const group of view.groups) {
      const table = el('table', 'lost-table');
      table.dataset.group = group.name;
      const caption = el('caption', 'lost-group', `${group.name}: ${countText(group.leads)} lost`);
      const tbody = el('tbody');
      for (const r of group.reasons) {
        const tr = el('tr', 'lost-row');
        tr.dataset.reason = r.reason;
        tr.dataset.leads = String(r.leads);
        const barCell = el('td', 'lost-bar-cell');
        const bar = el('span', 'lost-bar');
        bar.style.width = `${Math.round(r.share * 100)}%`;
        barCell.append(bar);
        tr.append(el('th', 'lost-reason', r.reason), el('td', 'lost-count', countText(r.leads)), barCell);
        tbody.append(tr);
      }
      table.append(caption, tbody);
      body.append(table);
    }
  }

  addToTestHook('lostReasons', () => lost);
  draw();
  return {
    loaded() {
      if (!lost && !error) afterFirstDraw(() => refresh(0));
    },
    asOf() {
      if (lost || error) refresh(board.asOf ? REFRESH_MS : 0);
    },
    events(events) {
      if (!events.some((e) => /moved$|imported$|^stage\.deleted$/.test(e.type))) return;
      if (board.asOf == null) waiting.changed();
      else refresh();
    },
    message(message) {
      if (message.type !== 'numbers.updated' || board.asOf != null) return;
      waiting.pushed();
      asked += 1; // an answer asked for before is older
      lost = message.funnel.lost_reasons;
      lostAsOf = null;
      error = null;
      draw();
    },
  };
}
