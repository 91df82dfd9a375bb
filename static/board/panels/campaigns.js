// Campaigns from the board: a campaign chip's menu (a click or a right click on
// the chip, canvas/view.js ``chipMenu``) offers Edit (every field, the cost a
// campaign made by an import still lacks), Archive and New campaign to owners
// and editors, the campaign's details to viewers. Writes go to
// POST /api/campaigns/ and PATCH /api/campaigns/<id>/; every browser applies the
// stored ``campaign.created`` / ``campaign.updated`` (reducer.js), this one the
// event of its own answer. The server's rules decide (a unique name, a cost in
// cents, #rrggbb, end after start); its refusal is shown beside the field it
// names, and nothing is changed. The board's settings page has the same, with
// the archived campaigns and Restore.

import { request } from '../net/api.js';
import { campaignCostMissing, pickableCampaigns } from '../core/model.js';
import { count as countText } from '../core/format.js';
import { chipTipLines, costsById } from '../core/costs.js';
import { VIEW_ONLY } from '../net/writes.js';
import { addToTestHook } from '../ui/hook.js';
import { popUp } from '../ui/popup.js';

/** The fields of the dialog, in order: [name, label, input type]. */
export const CAMPAIGN_FIELDS = [
  ['name', 'Name', 'text'],
  ['channel', 'Channel', 'text'],
  ['cost', 'Cost', 'text'],
  ['starts_on', 'Starts', 'date'],
  ['ends_on', 'Ends', 'date'],
  ['color', 'Colour', 'color'],
  ['external_id', 'External id', 'text'],
];

/** What the inputs say, as the API takes it: empty cost and days are null. */
export function formValues(read) {
  const out = {};
  for (const [name] of CAMPAIGN_FIELDS) {
    const value = read(name);
    if (value === undefined) continue;
    const text = String(value).trim();
    out[name] = (name === 'cost' || name === 'starts_on' || name === 'ends_on') && text === '' ? null : text;
  }
  return out;
}

/** The body of an edit: only what differs from ``before`` (the campaign as loaded).
 * A cost compares as a number ("1200" and 1200.00 are the same cost). */
export function changedFields(values, before) {
  const out = {};
  for (const [name, value] of Object.entries(values)) {
    const was = before[name] ?? null;
    if (name === 'cost') {
      const same = value === null ? was === null : was !== null && Number(value) === Number(was);
      if (!same) out.cost = value;
    } else if (name === 'color') {
      if (String(value).toLowerCase() !== String(was).toLowerCase()) out.color = value;
    } else if ((value ?? '') !== (was ?? '')) {
      out[name] = value;
    }
  }
  return out;
}

/** The server's refusal by field (DRF's {field: [message]}, a service's
 * {detail, field: [detail]}): {field: message}; fields the dialog lacks are in ``other``. */
export function fieldErrors(body) {
  const known = new Set(CAMPAIGN_FIELDS.map(([name]) => name));
  const fields = {};
  const other = [];
  for (const [key, value] of Object.entries(body || {})) {
    if (key === 'detail') continue;
    const text = Array.isArray(value) ? String(value[0]) : String(value);
    if (known.has(key)) fields[key] = text;
    else other.push(key === 'non_field_errors' ? text : `${key}: ${text}`);
  }
  return { fields, other };
}

/** The chip's tooltip: the full name and channel, its leads in the stage, cost per
 * SQL and per Won in the board's currency (core/costs.js), or the missing cost. */
export function chipTip(campaign, context = {}) {
  const lines = chipTipLines(campaign, context);
  return lines.length ? lines.join('\n') : null;
}

function el(tag, props = {}, text = null) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  if (text != null) node.textContent = text;
  return node;
}

const CHIP_HEIGHT = 30; // a campaign chip's height on screen, about (its menu opens under it)

const DIALOG_HTML = `
<form method="dialog" class="bridge-form campaign-form" novalidate>
  <h2 class="bridge-title" data-title></h2>
  <p class="bridge-sub" data-sub></p>
  <p class="bridge-news" data-news role="status" hidden></p>
  <div class="campaign-fields" data-fields></div>
  <p class="bridge-error" data-error role="alert" hidden></p>
  <div class="bridge-actions">
    <button type="button" class="button quiet" data-cancel>Cancel</button>
    <button type="submit" class="button primary" data-submit>Save</button>
  </div>
</form>`;

const HELP = {
  cost: 'In the board’s currency; empty while it is not known (cost per SQL and per Won then show “—”).',
  external_id: 'Its id in the ad platform or the marketing automation system.',
};

/**
 * The feature. ``refreshPickers()``: fill the top bar's campaign filter again (a
 * campaign came, was renamed, archived or restored).
 */
export function createCampaigns(board, { refreshPickers = () => {} } = {}) {
  const boardEl = document.getElementById('board');
  let menu = null;
  let release = () => {};
  let dialog = null;
  let open = null; // {mode: 'create' | 'edit' | 'view', id, before, busy}

  const campaignOf = (id) => (board.state ? board.state.campaigns[id] : null);
  // The meeting view has no editing chrome (and a share link's guest reads no campaign).
  const meeting = !!board.config.meeting;
  const mayEdit = () => board.canEdit && board.asOf == null;

  // The menu.

  function closeMenu({ refocus = false } = {}) {
    if (!menu) return;
    menu.remove();
    menu = null;
    release();
    if (refocus && boardEl) boardEl.focus({ preventScroll: true });
  }

  function item(label, action, { name }) {
    const button = el('button', { type: 'button', className: 'campaign-menu-item' }, label);
    button.setAttribute('role', 'menuitem');
    button.dataset.action = name;
    button.addEventListener('click', () => {
      closeMenu();
      action();
    });
    return button;
  }

  function openMenu(campaignId, stageId, at) {
    closeMenu();
    const campaign = campaignOf(campaignId);
    if (!campaign || meeting) return;
    menu = el('div', { className: 'campaign-menu' });
    menu.setAttribute('role', 'menu');
    menu.setAttribute('aria-label', `Campaign ${campaign.name}`);
    menu.dataset.campaign = String(campaignId);
    const head = el('div', { className: 'campaign-menu-head' });
    const swatch = el('span', { className: 'campaign-menu-swatch' });
    swatch.style.background = campaign.color;
    head.append(swatch, el('strong', {}, campaign.name));
    const fig = campaign.stages && campaign.stages[stageId];
    const stage = board.state.stages[stageId];
    const sub = [];
    if (campaign.channel) sub.push(campaign.channel);
    if (fig && stage) sub.push(`${countText(fig.count)} in ${stage.name}`);
    menu.append(head);
    if (sub.length) menu.append(el('p', { className: 'campaign-menu-sub' }, sub.join(' · ')));
    if (campaignCostMissing(campaign)) {
      const flag = el('p', { className: 'campaign-menu-flag' }, 'Cost missing');
      flag.dataset.costMissing = '';
      menu.append(flag);
    }
    if (mayEdit()) {
      const label = campaignCostMissing(campaign) ? 'Edit (enter the cost)…' : 'Edit campaign…';
      menu.append(
        item(label, () => openEdit(campaignId), { name: 'edit' }),
        item('Archive campaign…', () => archive(campaignId), { name: 'archive' }),
        el('hr'),
        item('New campaign…', () => openCreate(), { name: 'create' }),
      );
    } else {
      menu.append(item('Details…', () => openEdit(campaignId), { name: 'details' }));
    }
    // ``at`` is the chip's bottom edge: the chip (about 30 px) is the anchor.
    release = popUp(menu, { x: at.x, y: at.y - CHIP_HEIGHT, height: CHIP_HEIGHT }, {
      items: '[role=menuitem]',
      onEscape: () => closeMenu({ refocus: true }),
      onOutside: () => closeMenu(),
      onTab: () => closeMenu(),
    });
    const first = menu.querySelector('[role=menuitem]');
    if (first) first.focus({ preventScroll: true });
  }

  // The dialog.

  const $ = (sel) => dialog.querySelector(sel);

  function build() {
    dialog = el('dialog', { className: 'bridge-dialog campaign-dialog', id: 'campaign-dialog' });
    dialog.setAttribute('aria-labelledby', 'campaign-title');
    dialog.innerHTML = DIALOG_HTML;
    $('[data-title]').id = 'campaign-title';
    const fields = $('[data-fields]');
    for (const [name, label, type] of CAMPAIGN_FIELDS) {
      const id = `campaign-${name.replace('_', '-')}`;
      const row = el('div', { className: `campaign-field campaign-field-${name}` });
      row.dataset.field = name;
      const input = el('input', { id, name, type });
      if (name === 'cost') {
        input.inputMode = 'decimal';
        input.placeholder = 'Not known yet';
      }
      if (name === 'name') input.maxLength = 200;
      if (name === 'channel') input.maxLength = 60;
      if (name === 'external_id') input.maxLength = 200;
      const problem = el('p', { className: 'field-error', id: `${id}-error` });
      problem.hidden = true;
      const described = [problem.id];
      row.append(el('label', { htmlFor: id }, label), input);
      if (HELP[name]) {
        const help = el('p', { className: 'hint', id: `${id}-help` }, HELP[name]);
        described.push(help.id);
        row.append(help);
      }
      row.append(problem);
      input.setAttribute('aria-describedby', described.join(' '));
      fields.append(row);
    }
    document.body.append(dialog);
    const form = $('form');
    form.addEventListener('input', (e) => clearProblem(e.target.name));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      save();
    });
    $('[data-cancel]').addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      open = null;
      if (boardEl) boardEl.focus({ preventScroll: true });
    });
  }

  const input = (name) => dialog.querySelector(`[data-field="${name}"] input`);

  function clearProblem(name) {
    const row = dialog.querySelector(`[data-field="${name}"]`);
    if (!row) return;
    row.querySelector('input').removeAttribute('aria-invalid');
    row.querySelector('.field-error').hidden = true;
  }

  function clearProblems() {
    for (const [name] of CAMPAIGN_FIELDS) clearProblem(name);
    $('[data-error]').hidden = true;
  }

  function showRefusal(error, what) {
    const { fields, other } = fieldErrors(error.body);
    let first = null;
    for (const [name, text] of Object.entries(fields)) {
      const row = dialog.querySelector(`[data-field="${name}"]`);
      if (!row || row.hidden) {
        other.push(text);
        continue;
      }
      row.querySelector('input').setAttribute('aria-invalid', 'true');
      const problem = row.querySelector('.field-error');
      problem.textContent = text;
      problem.hidden = false;
      first = first || row.querySelector('input');
    }
    const banner = $('[data-error]');
    banner.textContent = `${what}: ${error.message}${other.length && !error.message.includes(other[0]) ? ` (${other.join('; ')})` : ''}`;
    banner.hidden = false;
    (first || $('[data-submit]')).focus();
  }

  function fill(values, { readOnly }) {
    for (const [name] of CAMPAIGN_FIELDS) {
      const field = input(name);
      const value = values[name];
      field.value = value == null ? (name === 'color' ? '#6366f1' : '') : String(value);
      field.readOnly = readOnly;
      field.disabled = readOnly && name === 'color'; // a colour picker has no read-only
    }
  }

  function show(mode, title, sub) {
    if (!dialog) build();
    clearProblems();
    $('[data-title]').textContent = title;
    $('[data-sub]').textContent = sub;
    $('[data-news]').hidden = true;
    dialog.querySelector('[data-field="color"]').hidden = mode === 'create'; // the board picks the next colour
    const submit = $('[data-submit]');
    submit.hidden = mode === 'view';
    submit.disabled = false;
    submit.textContent = mode === 'create' ? 'Create campaign' : 'Save';
    $('[data-cancel]').textContent = mode === 'view' ? 'Close' : 'Cancel';
    if (!dialog.open) dialog.showModal();
  }

  function openCreate() {
    if (!mayEdit()) {
      board.toast(VIEW_ONLY);
      return;
    }
    open = { mode: 'create', id: null, before: {}, busy: false };
    show('create', 'New campaign', 'Without a cost it is flagged “cost missing” until one is entered.');
    fill({}, { readOnly: false });
    input('name').focus();
  }

  async function openEdit(campaignId) {
    const campaign = campaignOf(campaignId);
    if (!campaign) return;
    const mode = mayEdit() ? 'edit' : 'view';
    open = { mode, id: campaignId, before: null, busy: true };
    show(mode, mode === 'edit' ? `Edit ${campaign.name}` : campaign.name, 'Loading the campaign…');
    fill(campaign, { readOnly: true });
    $('[data-submit]').disabled = true;
    try {
      const detail = await request('GET', `/api/campaigns/${campaignId}/`);
      if (!open || open.id !== campaignId) return;
      open.before = detail;
      open.busy = false;
      fill(detail, { readOnly: mode === 'view' });
      $('[data-sub]').textContent = campaignCostMissing(detail) ? 'Cost missing: enter it to see its cost per SQL and per Won.' : '';
      $('[data-submit]').disabled = false;
      const focus = mode === 'edit' && campaignCostMissing(detail) ? input('cost') : input('name');
      focus.focus();
      if (focus === input('name')) focus.select();
    } catch (error) {
      if (!open || open.id !== campaignId) return;
      $('[data-sub]').textContent = '';
      showRefusal(error, 'Could not load the campaign');
    }
  }

  function read(name) {
    const row = dialog.querySelector(`[data-field="${name}"]`);
    return row && !row.hidden ? row.querySelector('input').value : undefined;
  }

  async function save() {
    if (!open || open.busy || open.mode === 'view') return;
    clearProblems();
    const values = formValues(read);
    const state = open;
    const submit = $('[data-submit]');
    state.busy = true;
    submit.disabled = true;
    try {
      if (state.mode === 'create') {
        const created = await request('POST', '/api/campaigns/', { json: { board: board.id, ...values } });
        dialog.close();
        const missing = created.cost == null ? ' Its cost is missing until you enter one.' : '';
        board.toast(`Created campaign ${created.name}. Its chip shows once it has leads.${missing}`);
      } else {
        const body = changedFields(values, state.before);
        if (!Object.keys(body).length) {
          dialog.close();
          return;
        }
        const answer = await request('PATCH', `/api/campaigns/${state.id}/`, { json: body });
        board.applyAnswer(answer.event);
        dialog.close();
        board.toast(`Saved campaign ${answer.name}.`);
      }
    } catch (error) {
      if (open !== state) return;
      state.busy = false;
      submit.disabled = false;
      showRefusal(error, state.mode === 'create' ? 'Could not create the campaign' : 'Could not save the campaign');
    }
  }

  async function archive(campaignId) {
    const campaign = campaignOf(campaignId);
    if (!campaign || !mayEdit()) return;
    const ok = await board.confirm(`Archive campaign ${campaign.name}?`, {
      confirmLabel: 'Archive',
      detail: `Its chip leaves the board and its filters; its ${countText(campaign.count)} ${campaign.count === 1 ? 'lead stays' : 'leads stay'} where ${campaign.count === 1 ? 'it is' : 'they are'}, and its numbers stay. Restore it from the board's settings.`,
    });
    if (!ok) return;
    try {
      const answer = await request('PATCH', `/api/campaigns/${campaignId}/`, { json: { archived: true } });
      board.applyAnswer(answer.event);
      board.toast(`Archived campaign ${answer.name}. Restore it from the board's settings.`);
    } catch (error) {
      board.toast(`Could not archive ${campaign.name}: ${error.message}`, { kind: 'error' });
    }
  }

  addToTestHook('campaignChips', () =>
    board.columns.flatMap((col) => col.chips.map((chip) => ({ stage: col.id, campaign: chip.id, name: chip.name, count: chip.count, costMissing: !!chip.costMissing }))),
  );
  addToTestHook('campaignPicker', () => (board.state ? pickableCampaigns(board.state).map((id) => board.state.campaigns[id].name) : []));

  return {
    /** canvas/view.js: a chip was clicked (or right-clicked). */
    chipMenu: openMenu,
    chipTip: (campaignId, stageId) => {
      const campaign = campaignOf(campaignId);
      const stage = board.state && stageId != null ? board.state.stages[stageId] : null;
      const col = stageId != null ? board.columns.find((c) => c.id === stageId) : null;
      const chip = col ? col.chips.find((c) => c.id === campaignId) : null;
      const figures = costsById(board.funnel).get(campaignId) || null;
      const currency = board.state && board.state.board ? board.state.board.currency : undefined;
      return chipTip(campaign, { stageName: stage ? stage.name : null, count: chip ? chip.count : null, figures, currency });
    },
    loaded() {
      closeMenu();
    },
    events(events, effects) {
      if (events.some((e) => e.type === 'campaign.created' || e.type === 'campaign.updated')) refreshPickers();
      if (!open || !dialog || !dialog.open || open.id == null) return;
      for (const effect of effects) {
        if (effect.kind !== 'campaign' || effect.campaign !== open.id) continue;
        const actor = effect.event && effect.event.actor;
        if (actor && actor.id === board.me.id) continue;
        const news = $('[data-news]');
        const what = effect.archived ? 'archived this campaign' : `changed ${effect.fields.join(', ') || 'this campaign'}`;
        news.textContent = `${actor ? actor.name : 'Someone'} ${what} just now. Saving sends only your changes.`;
        news.hidden = false;
      }
    },
    asOf() {
      closeMenu();
    },
  };
}
