// Many cards at once: the selection (Shift/Ctrl/Cmd-click, a Shift-drag lasso on
// the background, drawn by the canvas), the action bar at the bottom of the board
// (move, assign, campaign, mark lost with a reason, archive, clear; Escape clears)
// and a card's right-click menu (archive; erase for the owner, confirmed by the
// lead's name). Every action is one POST /api/boards/<id>/bulk/: one batch, one
// event; a move's batch goes on the undo stack (one undo for all).

import { toggled, added, inBoardOrder } from '../core/selection.js';

const count = (n) => `${n} ${n === 1 ? 'lead' : 'leads'}`;

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') node.textContent = v;
    else if (v != null && v !== false) node.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children) node.append(child);
  return node;
}

function option(value, label) {
  const o = el('option', { value: String(value), text: label });
  return o;
}

/** ``board``: featureBoard's view of the page; ``remember``: writes.remember (the undo stack). */
export function createBulk(board, { remember, follow }) {
  let selected = new Set();
  let reasons = null; // the board's lost reasons, read once

  const bar = el('div', { class: 'bulk-bar', id: 'bulk-bar', role: 'toolbar', 'aria-label': 'Selected cards', hidden: true });
  const label = el('span', { class: 'bulk-count', 'data-count': true });
  const stageSelect = el('select', { 'aria-label': 'Move to stage', 'data-move': true });
  const ownerSelect = el('select', { 'aria-label': 'Assign owner', 'data-assign': true });
  const campaignSelect = el('select', { 'aria-label': 'Set campaign', 'data-campaign': true });
  const reasonSelect = el('select', { 'aria-label': 'Mark lost', 'data-lost': true });
  const archiveButton = el('button', { type: 'button', class: 'button', text: 'Archive', 'data-archive': true });
  const clearButton = el('button', { type: 'button', class: 'button quiet', text: 'Clear', 'data-clear': true });
  bar.append(label, stageSelect, ownerSelect, campaignSelect, reasonSelect, archiveButton, clearButton);
  document.body.append(bar);

  const menu = el('div', { class: 'card-menu', role: 'menu', hidden: true, id: 'card-menu' });
  document.body.append(menu);

  function onBoard() {
    const state = board.state;
    return state ? Object.keys(state.leads).map(Number) : [];
  }

  function ids() {
    const state = board.state;
    const order = [];
    for (const column of board.columns || []) order.push(...column.ids);
    return inBoardOrder(selected, order).filter((id) => state && state.leads[id]);
  }

  function fill() {
    const state = board.state;
    if (!state) return;
    stageSelect.replaceChildren(option('', 'Move to…'), ...state.stageOrder.map((id) => option(id, state.stages[id].name)));
    const people = Object.values(state.people || {});
    ownerSelect.replaceChildren(option('', 'Assign owner…'), option('none', 'No owner'), ...people.map((p) => option(p.id, p.name || p.username)));
    const campaigns = (state.campaignOrder || []).map((id) => state.campaigns[id]).filter((c) => c && !c.archived);
    campaignSelect.replaceChildren(option('', 'Set campaign…'), option('none', 'No campaign'), ...campaigns.map((c) => option(c.id, c.name)));
    const lost = state.stageOrder.some((id) => state.stages[id].kind === 'lost');
    reasonSelect.hidden = !lost;
    reasonSelect.replaceChildren(option('', 'Mark lost…'), ...(reasons || []).map((r) => option(r, r)));
  }

  async function loadReasons() {
    if (reasons) return;
    const fromState = board.state && (board.state.lost_reasons || (board.state.board && board.state.board.lost_reasons));
    if (Array.isArray(fromState)) {
      reasons = fromState;
      return;
    }
    try {
      const answer = await board.api.lostReasons();
      reasons = answer.reasons || [];
    } catch {
      reasons = []; // no such API yet: a lost mark then asks by name
    }
  }

  function show() {
    const n = ids().length;
    board.view.setMulti(selected);
    bar.hidden = n === 0;
    label.textContent = `${n} selected`;
    if (n) {
      fill();
      loadReasons().then(fill);
    }
  }

  function set(next) {
    selected = next;
    show();
  }

  function clear() {
    set(new Set());
  }

  async function send(body, what) {
    const leads = ids();
    if (!leads.length || !board.canEdit) {
      if (!board.canEdit) board.toast('View only — ask the board owner for edit access');
      return null;
    }
    try {
      const answer = await board.api.bulk({ leads, ...body });
      follow.applyAnswer(answer.event);
      board.toast(`${what(answer.count)}${body.action === 'move' || body.action === 'lost' ? ' Ctrl+Z undoes it.' : ''}`);
      if (body.action === 'move' || body.action === 'lost') {
        remember({ batch: answer.batch, label: `${count(answer.count)} back` });
      }
      clear();
      return answer;
    } catch (error) {
      board.toast(`Could not change the selected cards: ${error.message}`, { kind: 'error' });
      return null;
    }
  }

  const stageName = (id) => (board.state.stages[id] || {}).name || 'the stage';

  async function moveTo(stageId, index = 0) {
    const stage = board.state.stages[stageId];
    if (stage && stage.kind === 'lost') {
      // Lost needs a reason, never a default: the bar's "Mark lost…" asks for it.
      show();
      board.toast(`Pick why they were lost in the bar ("Mark lost…") to move them to ${stage.name}.`);
      reasonSelect.focus();
      return null;
    }
    return send({ action: 'move', to_stage: stageId, position: index }, (n) => `Moved ${count(n)} to ${stageName(stageId)}.`);
  }

  stageSelect.addEventListener('change', () => {
    const value = stageSelect.value;
    stageSelect.value = '';
    if (value) moveTo(Number(value));
  });
  ownerSelect.addEventListener('change', () => {
    const value = ownerSelect.value;
    ownerSelect.value = '';
    if (value) send({ action: 'assign', owner: value === 'none' ? null : Number(value) }, (n) => `Assigned ${count(n)}.`);
  });
  campaignSelect.addEventListener('change', () => {
    const value = campaignSelect.value;
    campaignSelect.value = '';
    if (value) send({ action: 'campaign', campaign: value === 'none' ? null : Number(value) }, (n) => `Set the campaign of ${count(n)}.`);
  });
  reasonSelect.addEventListener('change', () => {
    const reason = reasonSelect.value;
    reasonSelect.value = '';
    if (reason) send({ action: 'lost', reason }, (n) => `Marked ${count(n)} lost: ${reason}.`);
  });
  archiveButton.addEventListener('click', async () => {
    const leads = ids();
    if (!leads.length) return;
    const ok = await board.confirm(`Archive ${count(leads.length)}?`, { confirmLabel: 'Archive', detail: 'They leave the board; their history and the numbers of the past stay. Restore them from the lead list.' });
    if (!ok) return;
    let done = 0;
    for (const id of leads) {
      try {
        const answer = await board.api.archiveLead(id);
        follow.applyAnswer(answer.event);
        done += 1;
      } catch (error) {
        board.toast(`Could not archive a lead: ${error.message}`, { kind: 'error' });
        break;
      }
    }
    if (done) board.toast(`Archived ${count(done)}.`);
    clear();
  });
  clearButton.addEventListener('click', clear);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !menu.hidden) closeMenu();
    else if (e.key === 'Escape' && selected.size) clear();
  });

  // A card's right-click menu.
  function closeMenu() {
    menu.hidden = true;
    menu.replaceChildren();
  }
  document.addEventListener('mousedown', (e) => {
    if (!menu.hidden && !menu.contains(e.target)) closeMenu();
  });

  async function archiveOne(leadId) {
    closeMenu();
    try {
      const answer = await board.api.archiveLead(leadId);
      follow.applyAnswer(answer.event);
      board.toast('Archived. It left the board; its history stays.');
    } catch (error) {
      board.toast(`Could not archive: ${error.message}`, { kind: 'error' });
    }
  }

  function eraseOne(leadId) {
    const card = board.state.leads[leadId];
    if (!card) return;
    menu.replaceChildren();
    const input = el('input', { type: 'text', 'aria-label': 'Type the lead\u2019s name', placeholder: card.name, 'data-erase-confirm': true });
    const go = el('button', { type: 'button', class: 'button danger', text: 'Erase for good', disabled: true });
    input.addEventListener('input', () => (go.disabled = input.value.trim() !== card.name.trim()));
    go.addEventListener('click', async () => {
      try {
        const answer = await board.api.eraseLead(leadId, input.value);
        follow.applyAnswer(answer.event);
        board.toast('Erased: its personal data is gone; the numbers of the past stay.');
        closeMenu();
      } catch (error) {
        board.toast(`Could not erase: ${error.message}`, { kind: 'error' });
      }
    });
    menu.append(el('p', { text: `Erase ${card.name} for good? Type its name to confirm.` }), input, go);
    input.focus();
  }

  function cardMenu(leadId, at) {
    if (!board.canEdit) return;
    menu.replaceChildren();
    const archive = el('button', { type: 'button', role: 'menuitem', text: 'Archive', 'data-menu-archive': true });
    archive.addEventListener('click', () => archiveOne(leadId));
    menu.append(archive);
    if (board.me && board.me.role === 'owner') {
      const erase = el('button', { type: 'button', role: 'menuitem', text: 'Erase…', 'data-menu-erase': true });
      erase.addEventListener('click', () => eraseOne(leadId));
      menu.append(erase);
    }
    menu.style.left = `${Math.round(at.x)}px`;
    menu.style.top = `${Math.round(at.y)}px`;
    menu.hidden = false;
    archive.focus();
  }

  return {
    name: 'bulk',
    toggle(leadId) {
      set(toggled(selected, leadId));
    },
    lasso(leadIds) {
      set(added(selected, leadIds));
    },
    clear,
    /** A selected card dragged: the whole selection goes, one batch. */
    drop(leadIds, toStage, index) {
      selected = new Set(leadIds);
      return moveTo(toStage, index || 0);
    },
    cardMenu,
    get selected() {
      return ids();
    },
    events() {
      this.loaded();
    },
    /** The board changed: forget cards that left it. */
    loaded() {
      const here = new Set(onBoard());
      const kept = [...selected].filter((id) => here.has(id));
      if (kept.length !== selected.size) set(new Set(kept));
    },
  };
}
