// The board's stages, set up by its owner on the live board: each column
// header's ⋯ menu (canvas/column.js draws it, view.js reports the click) to
// edit the stage (name, kind, team, SLA days, WIP limit, colour), add a stage
// before or after it, or delete it (a dialog asks where its leads go; Undo
// brings the stage back with them), and a column dragged by its header to a new
// place in the funnel.
//
// The writes: POST /api/boards/<id>/stages/, PATCH and DELETE /api/stages/<id>/,
// POST /api/boards/<id>/stages/order/ (leads/api/stages.py). Every rule is the
// server's (names, kinds, order, limits, colours): a refusal comes back naming
// its field and is shown beside it. The change reaches every browser, this one
// too, through the stored event the answer carries (stage.created, stage.updated,
// stage.deleted, stages.reordered; reducer.js). Owners only: the server says
// who (``me.may_set_up``, leads.rules.may_set_up); others see no menu.

import { stageOrderAfterDrop } from '../core/model.js';
import { filtersActive } from '../core/filters.js';
import { count as countText } from '../core/format.js';
import { addToTestHook } from '../ui/hook.js';
import { popSlot } from '../ui/popup.js';

export const KINDS = [
  ['open', 'Open (part of the funnel)'],
  ['won', 'Won (the funnel’s end)'],
  ['lost', 'Lost (the drop-off)'],
];
export const TEAMS = [
  ['marketing', 'Marketing'],
  ['sales', 'Sales'],
];
const FIELDS = ['name', 'kind', 'team', 'sla_days', 'wip_limit', 'color'];

/** A number field as the API takes it: empty is none (null), digits a number,
 * anything else as typed (the server says what is wrong with it). */
export function limitValue(text) {
  const t = String(text ?? '').trim();
  if (t === '') return null;
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/**
 * What to send for the stage form's ``values`` ({name, kind, team, sla_days,
 * wip_limit, color} as typed): every field for a new stage (``current`` null),
 * else only those that differ from ``current``.
 */
export function stageFormBody(values, current = null) {
  const body = {};
  for (const name of FIELDS) {
    let value = values[name];
    if (name === 'sla_days' || name === 'wip_limit') value = limitValue(value);
    else if (name === 'name') value = String(value ?? '').trim();
    else if (name === 'color') value = String(value ?? '').toLowerCase();
    if (!current || value !== (name === 'color' ? String(current.color || '').toLowerCase() : current[name] ?? null)) body[name] = value;
  }
  return body;
}

/** The field a refusal names (the server's body: {detail, <field>: [message]}), and its words. */
export function fieldError(error) {
  const body = (error && error.body) || {};
  const field = [...FIELDS, 'move_to', 'stage', 'stages', 'before', 'after'].find((name) => Array.isArray(body[name]) && body[name].length);
  return { field: field || null, message: (field && String(body[field][0])) || (error && error.message) || 'Could not save.' };
}

/** Where a deleted stage's leads may go: every other stage, the one before it
 * first (else the one after). [{id, name}], the default first. */
export function moveTargets(state, stageId) {
  const order = state.stageOrder.filter((id) => id !== stageId);
  const at = state.stageOrder.indexOf(stageId);
  const preferred = state.stageOrder[at - 1] ?? state.stageOrder[at + 1];
  const rest = order.filter((id) => id !== preferred);
  return [preferred, ...rest].filter((id) => id != null && state.stages[id]).map((id) => ({ id, name: state.stages[id].name }));
}

/** Where "add before/after" puts a new stage: the API's ``before`` or ``after``. */
export function placeBody(stageId, where) {
  return where === 'before' ? { before: stageId } : { after: stageId };
}

const MENU_ITEMS = [
  ['edit', 'Edit stage…'],
  ['add-before', 'Add a stage before'],
  ['add-after', 'Add a stage after'],
  ['delete', 'Delete stage…'],
];

const FORM_HTML = `
<form method="dialog" class="bridge-form stage-form" novalidate>
  <h2 class="bridge-title" data-title></h2>
  <p class="bridge-sub" data-sub></p>
  <div class="stage-fields">
    <label for="stage-name">Name</label>
    <input id="stage-name" name="name" type="text" maxlength="100" autocomplete="off" required>
    <p class="field-error" data-error-for="name" role="alert" hidden></p>
    <label for="stage-kind">Kind</label>
    <select id="stage-kind" name="kind"></select>
    <p class="field-error" data-error-for="kind" role="alert" hidden></p>
    <label for="stage-team">Team</label>
    <select id="stage-team" name="team"></select>
    <p class="field-error" data-error-for="team" role="alert" hidden></p>
    <label for="stage-sla">SLA (days a lead may stay)</label>
    <input id="stage-sla" name="sla_days" type="number" inputmode="numeric" min="1" step="1" placeholder="none">
    <p class="field-error" data-error-for="sla_days" role="alert" hidden></p>
    <label for="stage-wip">WIP limit (leads the stage may hold)</label>
    <input id="stage-wip" name="wip_limit" type="number" inputmode="numeric" min="1" step="1" placeholder="none">
    <p class="field-error" data-error-for="wip_limit" role="alert" hidden></p>
    <label for="stage-color">Colour</label>
    <input id="stage-color" name="color" type="color">
    <p class="field-error" data-error-for="color" role="alert" hidden></p>
  </div>
  <p class="bridge-error" data-error role="alert" hidden></p>
  <div class="bridge-actions">
    <button type="button" class="button quiet" data-cancel>Cancel</button>
    <button type="submit" class="button primary" data-save>Save</button>
  </div>
</form>`;

const DELETE_HTML = `
<form method="dialog" class="bridge-form" novalidate>
  <h2 class="bridge-title" data-title></h2>
  <p class="bridge-sub" data-sub></p>
  <div class="stage-fields" data-move>
    <label for="stage-move-to">Move its leads to</label>
    <select id="stage-move-to" name="move_to"></select>
    <p class="field-error" data-error-for="move_to" role="alert" hidden></p>
  </div>
  <p class="bridge-error" data-error role="alert" hidden></p>
  <div class="bridge-actions">
    <button type="button" class="button quiet" data-cancel>Cancel</button>
    <button type="submit" class="button danger" data-save>Delete stage</button>
  </div>
</form>`;

function dialogOf(id, html) {
  const dialog = document.createElement('dialog');
  dialog.className = 'bridge-dialog stage-dialog';
  dialog.id = id;
  dialog.innerHTML = html;
  dialog.setAttribute('aria-labelledby', `${id}-title`);
  dialog.querySelector('[data-title]').id = `${id}-title`;
  document.body.append(dialog);
  return dialog;
}

/** May this browser change the stages now? The owner (the server's answer,
 * ``me.may_set_up``), on the live board, not in the meeting view. */
export function maySetUpNow(me, config, asOf) {
  return !!me && me.may_set_up === true && !(config && config.meeting) && asOf == null;
}

/**
 * board: featureBoard (state, api, toast, announce, applyAnswer, asOf, me);
 * remember(item): put a write on the board's Undo ({batch, label}).
 */
export function createStages(board, { remember }) {
  const maySetUp = () => maySetUpNow(board.me, board.config, board.asOf);
  const slot = popSlot();
  const closeMenu = (how) => slot.close(how);
  let formDialog = null;
  let deleteDialog = null;
  let busy = false;
  const name = (id) => (board.state && board.state.stages[id] ? board.state.stages[id].name : 'this stage');

  /** The ⋯ menu of a column's header, at ``rect`` (page pixels). */
  function openMenu(stageId, rect) {
    closeMenu();
    if (!maySetUp() || !board.state || !board.state.stages[stageId]) return;
    const menu = document.createElement('div');
    menu.className = 'stage-menu';
    menu.id = 'stage-menu';
    menu.setAttribute('role', 'menu');
    menu.setAttribute('aria-label', `${name(stageId)}: stage`);
    for (const [action, label] of MENU_ITEMS) {
      const item = document.createElement('button');
      item.type = 'button';
      item.setAttribute('role', 'menuitem');
      item.dataset.action = action;
      item.textContent = label;
      if (action === 'delete') item.classList.add('danger');
      item.addEventListener('click', () => {
        closeMenu();
        if (action === 'edit') openForm({ stageId });
        else if (action === 'delete') openDelete(stageId);
        else openForm({ place: placeBody(stageId, action === 'add-before' ? 'before' : 'after'), near: stageId });
      });
      menu.append(item);
    }
    slot.show(menu, rect, {
      items: '[role=menuitem]',
      onEscape: () => closeMenu({ focusBoard: true }),
      onOutside: () => closeMenu(),
    });
    menu.querySelector('[role=menuitem]').focus();
  }

  function showErrors(dialog, error) {
    for (const node of dialog.querySelectorAll('[data-error-for]')) {
      node.hidden = true;
      node.textContent = '';
    }
    for (const input of dialog.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
    const box = dialog.querySelector('[data-error]');
    box.hidden = !error;
    box.textContent = '';
    if (!error) return;
    const { field, message } = fieldError(error);
    const slot = field && dialog.querySelector(`[data-error-for="${field}"]`);
    if (slot) {
      slot.textContent = message;
      slot.hidden = false;
      const input = dialog.querySelector(`[name="${field}"]`);
      if (input) {
        input.setAttribute('aria-invalid', 'true');
        input.focus();
      }
      box.textContent = `Nothing was changed: ${message}`;
    } else {
      box.textContent = `Nothing was changed: ${message}`;
    }
  }

  function buildForm() {
    formDialog = dialogOf('stage-dialog', FORM_HTML);
    const kinds = formDialog.querySelector('[name=kind]');
    for (const [value, label] of KINDS) kinds.append(new Option(label, value));
    const teams = formDialog.querySelector('[name=team]');
    for (const [value, label] of TEAMS) teams.append(new Option(label, value));
    formDialog.querySelector('[data-cancel]').addEventListener('click', () => formDialog.close());
  }

  /** Edit ``stageId``, or a new stage at ``place`` ({before} or {after}). */
  function openForm({ stageId = null, place = null, near = null }) {
    if (!formDialog) buildForm();
    const form = formDialog.querySelector('form');
    const current = stageId != null ? board.state.stages[stageId] : null;
    form.querySelector('[data-title]').textContent = current ? `Edit ${current.name}` : 'Add a stage';
    form.querySelector('[data-sub]').textContent = current
      ? 'A new name keeps the stage and its history. SLA and WIP limit: leave empty for none.'
      : `${place && place.before != null ? 'Before' : 'After'} ${name(near)}. Open stages come before Won and Lost.`;
    const values = current || { name: '', kind: 'open', team: board.state.stages[near] ? board.state.stages[near].team : 'marketing', sla_days: null, wip_limit: null, color: '' };
    form.elements.name.value = values.name;
    form.elements.kind.value = values.kind;
    form.elements.team.value = values.team;
    form.elements.sla_days.value = values.sla_days ?? '';
    form.elements.wip_limit.value = values.wip_limit ?? '';
    form.elements.color.value = values.color || (values.team === 'sales' ? '#0284c7' : '#7c3aed');
    form.dataset.colorTouched = current ? '1' : '';
    form.elements.color.oninput = () => {
      form.dataset.colorTouched = '1';
    };
    form.querySelector('[data-save]').textContent = current ? 'Save stage' : 'Add stage';
    showErrors(formDialog, null);
    form.onsubmit = async (e) => {
      e.preventDefault();
      if (busy) return;
      const typed = Object.fromEntries(FIELDS.map((f) => [f, form.elements[f].value]));
      const body = stageFormBody(typed, current);
      if (!current && !form.dataset.colorTouched) delete body.color; // the server's default for its kind and team
      if (current && !Object.keys(body).length) {
        formDialog.close();
        return;
      }
      busy = true;
      try {
        const answer = current ? await board.api.updateStage(stageId, body) : await board.api.createStage({ ...body, ...place });
        formDialog.close();
        board.applyAnswer(answer.event);
        board.toast(current ? `Saved ${answer.stage.name}.` : `Added ${answer.stage.name}.`);
      } catch (error) {
        showErrors(formDialog, error);
      } finally {
        busy = false;
      }
    };
    formDialog.showModal();
    form.elements.name.focus();
  }

  function openDelete(stageId) {
    if (!deleteDialog) {
      deleteDialog = dialogOf('stage-delete-dialog', DELETE_HTML);
      deleteDialog.querySelector('[data-cancel]').addEventListener('click', () => deleteDialog.close());
    }
    const form = deleteDialog.querySelector('form');
    const stage = board.state.stages[stageId];
    const targets = moveTargets(board.state, stageId);
    const select = form.elements.move_to;
    select.replaceChildren(...targets.map((t) => new Option(t.name, String(t.id))));
    form.querySelector('[data-title]').textContent = `Delete ${stage.name}?`;
    const filtered = filtersActive(board.filters);
    const held = stage.count ? `It holds ${countText(stage.count)} ${stage.count === 1 ? 'lead' : 'leads'}${filtered ? ' that your filters show' : ''}: they move to the stage you choose, on top.` : 'It holds no leads now.';
    form.querySelector('[data-sub]').textContent = `${held} Its history stays in the numbers. Undo (Ctrl+Z) brings it back with its leads.`;
    showErrors(deleteDialog, null);
    form.onsubmit = async (e) => {
      e.preventDefault();
      if (busy) return;
      busy = true;
      try {
        const moveTo = Number(select.value) || null;
        const answer = await board.api.deleteStage(stageId, { move_to: moveTo });
        deleteDialog.close();
        remember({ batch: answer.batch, label: `${stage.name} back` });
        board.applyAnswer(answer.event);
        const moved = answer.moved ? ` Its ${countText(answer.moved)} ${answer.moved === 1 ? 'lead' : 'leads'} moved to ${name(moveTo)}.` : '';
        board.toast(`Deleted ${stage.name}.${moved} Ctrl+Z brings it back.`);
      } catch (error) {
        showErrors(deleteDialog, error);
      } finally {
        busy = false;
      }
    };
    deleteDialog.showModal();
    (targets.length ? select : form.querySelector('[data-save]')).focus();
  }

  /** A column dropped at ``index`` among the others (view.js). */
  async function reorder(stageId, index) {
    if (!maySetUp() || !board.state) return;
    const order = stageOrderAfterDrop(board.state.stageOrder, stageId, index);
    try {
      const answer = await board.api.reorderStages(order);
      board.applyAnswer(answer.event);
      board.announce(`${name(stageId)} moved to place ${order.indexOf(stageId) + 1} of the funnel`);
    } catch (error) {
      board.toast(`Could not move ${name(stageId)}: ${fieldError(error).message}`, { kind: 'error' });
      board.render();
    }
  }

  addToTestHook('stageMenuOpen', () => slot.open != null);

  return {
    maySetUp,
    openMenu,
    reorder,
    asOf() {
      closeMenu();
    },
  };
}
