// A column's every campaign: "+N" after a column's chips (canvas/column.js draws
// at most three rows of them) opens this list of all the column's campaigns, each
// with its full name, its leads in the stage and its cost per SQL and per Won in
// the board's currency (core/costs.js). A click on one filters the board to that
// campaign (the top bar's campaign filter, in the address like any filter); a
// second click on the one filtered shows every campaign again.
//
// Keyboard: the canvas is no DOM, so every column with chips has a button in
// ``#campaign-lists`` (visually hidden until it has the focus: Tab reaches it
// after the board) that opens the same list; arrows move through it, Escape
// closes it and gives the focus back.

import { columnCampaigns } from '../core/costs.js';
import { addToTestHook } from '../ui/hook.js';
import { popUp } from '../ui/popup.js';

/** The keyboard button's words for a column: "Campaigns in New: 10". */
export function listButtonLabel(col) {
  return `Campaigns in ${col.name}: ${col.chips.length}`;
}

function el(tag, props = {}, text = null) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  if (text != null) node.textContent = text;
  return node;
}

export function createCampaignList(board) {
  const boardEl = document.getElementById('board');
  let list = null; // the open list's element
  let release = () => {};
  let openFor = null; // its stage id
  let returnFocus = null;

  const currency = () => (board.state && board.state.board ? board.state.board.currency : undefined);

  // The keyboard's way in: one button per column with chips.
  const buttons = el('div', { id: 'campaign-lists', className: 'campaign-lists' });
  buttons.setAttribute('role', 'group');
  buttons.setAttribute('aria-label', 'Campaigns of each column');
  if (boardEl) boardEl.after(buttons);
  let buttonsSig = '';

  function drawButtons() {
    const cols = board.columns.filter((c) => !c.folded && c.chips.length);
    const sig = cols.map((c) => `${c.id}:${listButtonLabel(c)}`).join('|');
    if (sig === buttonsSig) return;
    buttonsSig = sig;
    buttons.replaceChildren(
      ...cols.map((col) => {
        const button = el('button', { type: 'button', className: 'campaign-lists-open' }, listButtonLabel(col));
        button.dataset.stage = String(col.id);
        button.addEventListener('click', () => {
          const r = button.getBoundingClientRect();
          open(col.id, { x: r.left, y: r.top, width: r.width, height: r.height }, button);
        });
        return button;
      }),
    );
  }

  function close({ refocus = false } = {}) {
    if (!list) return;
    list.remove();
    list = null;
    openFor = null;
    release();
    if (refocus) (returnFocus && returnFocus.isConnected ? returnFocus : boardEl).focus({ preventScroll: true });
    returnFocus = null;
  }

  function choose(campaignId) {
    const filters = board.filters;
    const only = filters.campaign.length === 1 && filters.campaign[0] === campaignId;
    close({ refocus: true });
    board.setFilters({ ...filters, campaign: only ? [] : [campaignId] });
    const campaign = board.state && board.state.campaigns[campaignId];
    if (campaign) board.announce(only ? 'Showing every campaign' : `Showing only ${campaign.name}`);
  }

  /** Open the list of ``stageId``'s campaigns by ``at`` (page CSS pixels: the "+N" chip). */
  function open(stageId, at, from = null) {
    close();
    const col = board.columns.find((c) => c.id === stageId);
    if (!col || !col.chips.length) return;
    openFor = stageId;
    returnFocus = from;
    const rows = columnCampaigns(col, board.funnel, currency());
    list = el('div', { className: 'campaign-list-pop', id: 'campaign-list' });
    list.setAttribute('role', 'dialog');
    list.setAttribute('aria-label', `Campaigns in ${col.name}`);
    list.dataset.stage = String(stageId);
    const head = el('div', { className: 'campaign-list-head' });
    head.append(el('strong', {}, `${rows.length} ${rows.length === 1 ? 'campaign' : 'campaigns'} in ${col.name}`));
    head.append(el('span', { className: 'campaign-list-cols', ariaHidden: 'true' }, 'leads · cost per SQL · per Won'));
    list.append(head);
    const items = el('ul', { className: 'campaign-list-items' });
    const filtered = board.filters.campaign;
    for (const row of rows) {
      const li = el('li');
      const button = el('button', { type: 'button', className: 'campaign-list-item' });
      button.dataset.campaign = String(row.id);
      const active = filtered.length === 1 && filtered[0] === row.id;
      button.setAttribute('aria-pressed', String(active));
      const swatch = el('span', { className: 'campaign-menu-swatch' });
      swatch.style.background = row.color;
      const name = el('span', { className: 'campaign-list-name' }, row.name);
      name.title = row.name;
      const figures = el('span', { className: 'campaign-list-figures' });
      figures.append(
        el('span', { className: 'campaign-list-count' }, row.countText),
        el('span', { className: 'campaign-list-cost', title: 'Cost per SQL' }, row.perSql),
        el('span', { className: 'campaign-list-cost', title: 'Cost per Won' }, row.perWon),
      );
      button.append(swatch, name, figures);
      if (row.costMissing) button.append(el('span', { className: 'campaign-menu-flag campaign-list-flag' }, 'Cost missing'));
      button.setAttribute(
        'aria-label',
        `${row.name}: ${row.countText} ${row.count === 1 ? 'lead' : 'leads'}, cost per SQL ${row.perSql}, per Won ${row.perWon}${row.costMissing ? ', cost missing' : ''}. ${active ? 'Show every campaign' : 'Show only this campaign'}`,
      );
      button.addEventListener('click', () => choose(row.id));
      li.append(button);
      items.append(li);
    }
    list.append(items);
    release = popUp(list, at, {
      items: '.campaign-list-item',
      onEscape: () => close({ refocus: true }),
      onOutside: () => close(),
      onTab: () => close(),
      size: { width: 360, height: 300 },
    });
    const first = list.querySelector('.campaign-list-item');
    if (first) first.focus({ preventScroll: true });
  }

  addToTestHook('campaignList', () =>
    list
      ? {
          stage: openFor,
          rows: [...list.querySelectorAll('.campaign-list-item')].map((b) => ({
            campaign: Number(b.dataset.campaign),
            name: b.querySelector('.campaign-list-name').textContent,
            count: b.querySelector('.campaign-list-count').textContent,
            costs: [...b.querySelectorAll('.campaign-list-cost')].map((c) => c.textContent),
          })),
        }
      : null,
  );

  return {
    open,
    loaded() {
      close();
      drawButtons();
    },
    events() {
      drawButtons();
    },
    filters() {
      drawButtons();
    },
    funnel() {
      drawButtons();
    },
    asOf() {
      close();
      drawButtons();
    },
  };
}
