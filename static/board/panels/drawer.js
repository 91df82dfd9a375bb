// The lead drawer: one lead beside the board (the board stays live behind it),
// opened by a click on a card, Enter on the selected card, or the address
// ``/boards/<id>/?lead=<id>`` (opening sets ``?lead=``, closing removes it).
// It shows every field (attributes with the server's labels, ``attribute_labels``
// from GET /api/leads/<id>/), stage and days in it, the notes (panels/notes.js)
// and the timeline (GET /api/leads/<id>/timeline/, newest first, "Show older").
//
// Every field edits in place; a save PATCHes /api/leads/<id>/ with the version
// this browser read. When someone else saved first (409, or a live event for
// the lead while a field is open), core/conflict.js decides: their change to
// the field I am editing shows their value beside mine with "Keep mine" / "Take
// theirs"; their change to another field is no conflict and my save goes on, on
// their version. Nothing is overwritten silently.
//
// Also the column header's "+" (canvas/column.js): a short form that adds a
// lead to that column (POST /api/leads/ with ``stage``); every browser sees it
// through the stored ``lead.created``; the drawer then opens on it.

import {
  DRAWER_FIELDS, attributeKey, compareEdits, eventTouchesLead, fieldValue, inputValue,
  leadOfSearch, patchBody, sameValue, stayText,
} from '../core/conflict.js';
import { pickableCampaigns } from '../core/model.js';
import { ago, daysSince, moneyFull } from '../core/format.js';
import { request } from '../net/api.js';
import { addToTestHook } from '../ui/hook.js';
import { mountNotes } from './notes.js';

const TIMELINE_PAGE = 50;

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key in node && key !== 'list') node[key] = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat()) if (child != null && child !== false) node.append(child);
  return node;
}

/** The server's refusal as {field: message} plus a line for the rest. */
function refusal(error) {
  const body = (error && error.body) || {};
  const fields = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'detail' || key === 'lead') continue;
    fields[key] = Array.isArray(value) ? String(value[0]) : typeof value === 'string' ? value : JSON.stringify(value);
  }
  return { fields, detail: (error && error.message) || 'The change was refused.' };
}

/**
 * board: featureBoard's object. parts: {setLead(leadId|null, {push}) (the address),
 * selection() (the keyboard's selected card), moveLead(leadId, stageId) and closing(stageId, lead) (writes.js:
 * what a move into Won or Lost asks first)}.
 */
export function createDrawer(board, { setLead, selection, moveLead, closing }) {
  const aside = document.getElementById('drawer');
  const boardEl = document.getElementById('board');
  const labels = new Map((board.config.rules && board.config.rules.feedback_fields) || []);
  const labelOf = (field, lead) => {
    const key = attributeKey(field);
    if (key != null) return (lead && lead.attribute_labels && lead.attribute_labels[key]) || key;
    return labels.get(field) || field;
  };

  let leadId = null;
  let lead = null; // GET /api/leads/<id>/ as last read
  let edits = {}; // field -> {base, mine, conflict: {theirs} | null, error, saving}
  let rows = new Map(); // field -> {row, update()}
  let timeline = { items: [], next: null, loading: false };
  let notes = null;
  let opener = null; // where focus goes back on close
  let refreshTimer = null;
  let generation = 0; // a newer open makes the answers of an older one moot
  let quick = null;
  let stageError = '';

  const state = () => board.state;
  const currency = () => (state() && state().board ? state().board.currency : 'USD');
  const mayEdit = () => board.canEdit && board.asOf == null && !(lead && (lead.archived || lead.erased_at));
  const personName = (id) => {
    const p = id != null && state() ? state().people[id] : null;
    return p ? p.name : id != null ? `#${id}` : '';
  };
  const campaignName = (id) => {
    const c = id != null && state() ? state().campaigns[id] : null;
    return c ? c.name : id != null ? `#${id}` : '';
  };

  function shown(field, value) {
    if (value == null || value === '') return '—';
    if (field === 'value') return moneyFull(value, currency());
    if (field === 'owner') return personName(value);
    if (field === 'campaign') return campaignName(value);
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  }

  // Open and close.

  async function open(id, { push = true, focus = true } = {}) {
    id = Number(id);
    if (!Number.isInteger(id) || id <= 0) return;
    if (board.config.meeting && board.config.meeting.share) return; // a share link reads no lead
    if (leadId !== id) {
      teardown();
      leadId = id;
      if (!aside.contains(document.activeElement)) opener = document.activeElement;
      aside.hidden = false;
      aside.replaceChildren(el('p', { class: 'drawer-loading', text: 'Loading the lead…' }));
      document.body.classList.add('drawer-open');
    }
    setLead(id, { push });
    const mine = ++generation;
    const [got, page] = await Promise.allSettled([
      request('GET', `/api/leads/${id}/`),
      request('GET', `/api/leads/${id}/timeline/`, { query: new URLSearchParams({ limit: String(TIMELINE_PAGE) }) }),
    ]);
    if (mine !== generation) return;
    if (got.status !== 'fulfilled') {
      aside.replaceChildren(header(null), el('p', { class: 'drawer-error', role: 'alert', text: got.reason ? got.reason.message : 'This lead could not be read.' }));
      return;
    }
    lead = got.value;
    timeline = page.status === 'fulfilled' ? { items: page.value.items, next: page.value.next, loading: false } : { items: [], next: null, loading: false, error: page.reason.message };
    build();
    if (focus) aside.querySelector('.drawer-close').focus({ preventScroll: true });
  }

  function teardown() {
    stageError = '';
    if (notes) notes.destroy();
    notes = null;
    lead = null;
    edits = {};
    rows = new Map();
    timeline = { items: [], next: null, loading: false };
    clearTimeout(refreshTimer);
  }

  function close({ push = true } = {}) {
    if (leadId == null) return;
    generation++;
    teardown();
    leadId = null;
    aside.hidden = true;
    aside.replaceChildren();
    document.body.classList.remove('drawer-open');
    setLead(null, { push });
    const back = opener && document.contains(opener) ? opener : boardEl;
    opener = null;
    back.focus({ preventScroll: true });
  }

  // Drawing.

  function header(current) {
    return el(
      'header',
      { class: 'drawer-head' },
      el('h2', { id: 'drawer-title', text: current ? current.name : 'Lead' }),
      el('button', { type: 'button', class: 'drawer-close quiet', 'aria-label': 'Close the lead', title: 'Close (Escape)', text: '×', onclick: () => close() }),
    );
  }

  function build() {
    rows = new Map();
    const fields = el('dl', { class: 'drawer-fields' });
    for (const [field, kind] of DRAWER_FIELDS) fields.append(fieldRow(field, kind));
    const attrs = el('dl', { class: 'drawer-fields drawer-attributes' });
    for (const key of Object.keys(lead.attributes || {}).sort()) attrs.append(fieldRow(`attributes.${key}`, 'text'));
    const notesEl = el('section', { class: 'drawer-notes', 'aria-label': 'Notes' });
    aside.replaceChildren(
      header(lead),
      el('div', { class: 'drawer-body' },
        el('p', { class: 'drawer-archived', role: 'note', hidden: !(lead.archived || lead.erased_at), text: lead.erased_at ? 'This lead was erased.' : 'This lead is archived: it is off the board.' }),
        el('div', { class: 'drawer-life', 'data-life': '' }),
        stageRow(),
        fields,
        el('h3', { text: 'Attributes', hidden: !Object.keys(lead.attributes || {}).length && !mayEdit() }),
        attrs,
        addAttributeForm(),
        el('p', { class: 'drawer-meta', 'data-meta': '' }),
        el('h3', { text: 'Notes' }),
        notesEl,
        el('h3', { text: 'Timeline' }),
        el('ol', { class: 'drawer-timeline', 'aria-label': 'Timeline' }),
        el('p', { class: 'drawer-timeline-error', role: 'alert', hidden: true }),
        el('button', { type: 'button', class: 'button quiet drawer-older', hidden: true, text: 'Show older', onclick: older }),
      ),
    );
    aside.setAttribute('aria-labelledby', 'drawer-title');
    notes = mountNotes(notesEl, { board, leadId });
    update();
  }

  /** Fields, stage, meta and timeline as ``lead`` and ``timeline`` say now. */
  function update() {
    if (!lead) return;
    aside.querySelector('#drawer-title').textContent = lead.name;
    const keys = Object.keys(lead.attributes || {}).sort();
    const drawn = [...rows.keys()].filter((f) => attributeKey(f) != null);
    if (keys.join('\n') !== drawn.map(attributeKey).join('\n')) {
      const attrs = aside.querySelector('.drawer-attributes');
      for (const f of drawn) if (!edits[f]) rows.delete(f);
      attrs.replaceChildren(...keys.map((k) => (rows.has(`attributes.${k}`) ? rows.get(`attributes.${k}`).row : fieldRow(`attributes.${k}`, 'text'))));
      attrs.previousElementSibling.hidden = !keys.length && !mayEdit();
    }
    for (const { update: up } of rows.values()) up();
    updateStage();
    updateLife();
    aside.querySelector('[data-meta]').textContent = `Added ${ago(lead.created_at)} · changed ${ago(lead.updated_at)} · version ${lead.version}`;
    drawTimeline();
  }

  /** Archive (off the board, kept in its history and the numbers of the past) or
   * restore, for editors; an erased lead has neither. */
  function updateLife() {
    const row = aside.querySelector('[data-life]');
    const archivedNow = !!lead.archived;
    const note = aside.querySelector('.drawer-archived');
    note.hidden = !(archivedNow || lead.erased_at);
    if (!note.hidden) note.textContent = lead.erased_at ? 'This lead was erased.' : 'This lead is archived: it is off the board.';
    if (!board.canEdit || board.asOf != null || lead.erased_at || (board.state && board.state.board && board.state.board.archived)) {
      row.replaceChildren();
      return;
    }
    const problem = el('p', { class: 'drawer-field-error', role: 'alert' });
    const id = lead.id;
    const button = el('button', {
      type: 'button',
      class: 'button quiet',
      'data-life-action': archivedNow ? 'restore' : 'archive',
      text: archivedNow ? 'Restore to the board' : 'Archive',
      title: archivedNow ? 'Put it back where it stood' : 'Take it off the board; its history stays',
      onclick: async () => {
        button.disabled = true;
        try {
          const answer = await request('POST', `/api/leads/${id}/${archivedNow ? 'restore' : 'archive'}/`, { json: {} });
          if (answer && answer.event) board.applyAnswer(answer.event);
          if (leadId === id) refresh();
        } catch (error) {
          problem.textContent = error.message;
          button.disabled = false;
        }
      },
    });
    row.replaceChildren(button, problem);
  }

  function stageRow() {
    const row = el('div', { class: 'drawer-stage', 'data-stage': '' });
    return row;
  }

  function updateStage() {
    const row = aside.querySelector('[data-stage]');
    const st = state();
    const stage = st ? st.stages[lead.stage] : null;
    const days = daysSince(lead.stage_entered_at);
    const text = el('p', { class: 'drawer-stage-text' },
      el('strong', { text: stage ? stage.name : `Stage #${lead.stage}` }),
      ` · ${days} ${days === 1 ? 'day' : 'days'} in it`,
      lead.score != null ? ` · score ${lead.score}` : '',
    );
    const parts = [text];
    if (mayEdit() && st) {
      const selectEl = el('select', { 'aria-label': 'Move to stage', class: 'drawer-stage-select' },
        st.stageOrder.map((sid) => el('option', { value: String(sid), text: st.stages[sid].name, selected: sid === lead.stage })));
      selectEl.addEventListener('change', () => {
        const to = Number(selectEl.value);
        if (to !== lead.stage) move(to);
      });
      parts.push(el('label', { class: 'drawer-stage-move' }, 'Move to ', selectEl));
    }
    if (stageError) parts.push(el('p', { class: 'drawer-field-error', role: 'alert', text: stageError }));
    row.replaceChildren(...parts);
  }

  /** A card the board has drawn moves through writes.js (drawn at once, undoable);
   * one it has not loaded (a filtered board, a ?lead= link) is moved here. */
  async function move(to) {
    const st = state();
    stageError = '';
    const known = st && (st.leads[lead.id] || (st.handoff && st.handoff.cards && st.handoff.cards[lead.id]));
    if (known) {
      moveLead(lead.id, to);
      return;
    }
    const id = lead.id;
    // Into Lost a reason, into Won the value confirmed: the same dialog as a drop.
    const closed = await closing(to, lead);
    if (closed == null) return;
    const extra = closed.reason ? { reason: closed.reason, note: closed.note || '' } : {};
    try {
      const answer = await request('POST', `/api/leads/${id}/move/`, { json: { to_stage: to, version: lead.version, ...extra } });
      if (answer && answer.event) board.applyAnswer(answer.event);
      if (closed.value != null && closed.value !== '' && Number(closed.value) !== Number(lead.value) && answer && answer.lead) {
        await request('PATCH', `/api/leads/${id}/`, { json: { value: closed.value, version: answer.lead.version } });
      }
    } catch (error) {
      if (leadId !== id) return;
      stageError = error.message;
      updateStage();
    }
  }

  /** A new attribute: key and value, saved like any field (``attributes.<key>``). */
  function addAttributeForm() {
    const key = el('input', { name: 'attribute-key', 'aria-label': 'New attribute name', placeholder: 'name, e.g. utm_medium', autocomplete: 'off', maxlength: 100 });
    const value = el('input', { name: 'attribute-value', 'aria-label': 'New attribute value', placeholder: 'value', autocomplete: 'off' });
    const problem = el('p', { class: 'drawer-field-error', role: 'alert' });
    const form = el('form', { class: 'drawer-add-attribute', hidden: true }, key, value,
      el('button', { type: 'submit', class: 'button primary', text: 'Add' }),
      el('button', { type: 'button', class: 'button quiet', text: 'Cancel', onclick: () => { form.hidden = true; toggle.hidden = false; } }),
      problem);
    const toggle = el('button', { type: 'button', class: 'button quiet drawer-add-attribute-open', text: '+ Attribute', onclick: () => { form.hidden = false; toggle.hidden = true; key.focus(); } });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const name = key.value.trim();
      problem.textContent = '';
      if (!name || !value.value.trim()) {
        problem.textContent = name ? 'Give the attribute a value.' : 'Give the attribute a name.';
        return;
      }
      if (Object.hasOwn(lead.attributes || {}, name)) {
        problem.textContent = `${name} is already there: edit it above.`;
        return;
      }
      const field = `attributes.${name}`;
      await save(field, value.value.trim());
      if (edits[field] && edits[field].error) {
        problem.textContent = edits[field].error;
        delete edits[field];
        return;
      }
      key.value = '';
      value.value = '';
      form.hidden = true;
      toggle.hidden = false;
    });
    const wrap = el('div', { class: 'drawer-add-attribute-wrap', hidden: !mayEdit() }, toggle, form);
    return wrap;
  }

  function fieldRow(field, kind) {
    const dt = el('dt', { text: '' });
    const dd = el('dd', {});
    const row = el('div', { class: 'drawer-field', 'data-field': field }, dt, dd);
    let input = null;

    function editorFor() {
      const edit = edits[field];
      const current = edit ? edit.mine : fieldValue(lead, field);
      if (kind === 'owner' || kind === 'campaign') {
        const st = state();
        const options = [el('option', { value: '', text: kind === 'owner' ? 'Nobody' : 'No campaign' })];
        if (kind === 'owner') {
          const ids = Object.values(st.people).filter((p) => p.team != null || p.id === current).map((p) => p.id);
          ids.sort((a, b) => personName(a).localeCompare(personName(b)));
          for (const id of ids) options.push(el('option', { value: String(id), text: personName(id) }));
        } else {
          for (const id of pickableCampaigns(st, current != null ? [current] : [])) options.push(el('option', { value: String(id), text: campaignName(id) }));
        }
        const s = el('select', { 'aria-label': labelOf(field, lead), name: field }, options);
        s.value = current == null ? '' : String(current);
        s.addEventListener('change', () => save(field, inputValue(field, s.value)));
        return s;
      }
      const i = el('input', {
        name: field,
        'aria-label': labelOf(field, lead),
        type: kind === 'email' ? 'email' : 'text',
        inputmode: kind === 'money' ? 'decimal' : kind === 'score' ? 'numeric' : null,
        autocomplete: 'off',
        value: current == null ? '' : typeof current === 'object' ? JSON.stringify(current) : String(current),
      });
      i.addEventListener('input', () => {
        edits[field] = edits[field] || { base: fieldValue(lead, field), conflict: null };
        edits[field].mine = inputValue(field, i.value);
      });
      i.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          save(field, inputValue(field, i.value));
        } else if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          cancel(field);
        }
      });
      return i;
    }

    function startEdit() {
      if (!mayEdit()) return;
      edits[field] = edits[field] || { base: fieldValue(lead, field), mine: fieldValue(lead, field), conflict: null, open: true };
      edits[field].open = true;
      up();
      if (input) {
        input.focus();
        if (input.select) input.select();
      }
    }

    function up() {
      dt.textContent = labelOf(field, lead);
      const edit = edits[field];
      const value = fieldValue(lead, field);
      const pick = kind === 'owner' || kind === 'campaign';
      const parts = [];
      if (mayEdit() && (pick || (edit && edit.open))) {
        if (!input || !dd.contains(input) || (pick && !edit && document.activeElement !== input)) input = editorFor();
        parts.push(input);
        if (kind === 'owner' && board.me && board.me.id != null && value !== board.me.id) {
          parts.push(el('button', { type: 'button', class: 'button quiet drawer-assign', text: 'Assign to me', onclick: () => save('owner', board.me.id) }));
        }
        if (!pick) {
          parts.push(el('button', { type: 'button', class: 'button primary drawer-save', text: 'Save', disabled: edit && edit.saving, onclick: () => save(field, inputValue(field, input.value)) }));
          parts.push(el('button', { type: 'button', class: 'button quiet drawer-cancel', text: 'Cancel', onclick: () => cancel(field) }));
        }
      } else {
        input = null;
        const text = shown(field, value);
        if (mayEdit()) {
          parts.push(el('button', { type: 'button', class: 'drawer-value', title: `Edit ${labelOf(field, lead)}`, text, onclick: startEdit }));
        } else {
          parts.push(el('span', { class: 'drawer-value', text }));
        }
      }
      if (edit && edit.error) parts.push(el('p', { class: 'drawer-field-error', role: 'alert', text: edit.error }));
      if (edit && edit.conflict) parts.push(conflictBox(field, edit));
      // Keep the open input (and what is typed in it, and its focus): move the rest around it.
      const keep = input && dd.contains(input) ? input : null;
      for (const child of [...dd.childNodes]) if (child !== keep) child.remove();
      for (const part of parts) {
        if (part === keep) continue;
        dd.append(part);
      }
      if (keep) dd.prepend(keep);
      row.classList.toggle('has-conflict', !!(edit && edit.conflict));
    }

    rows.set(field, { row, update: up });
    return row;
  }

  function conflictBox(field, edit) {
    return el('div', { class: 'drawer-conflict', role: 'alert' },
      el('p', { text: `Someone else changed ${labelOf(field, lead)} meanwhile.` }),
      el('p', { class: 'drawer-theirs' }, 'Theirs: ', el('strong', { text: shown(field, edit.conflict.theirs) })),
      el('p', { class: 'drawer-mine' }, 'Yours: ', el('strong', { text: shown(field, edit.mine) })),
      el('div', { class: 'drawer-conflict-actions' },
        el('button', { type: 'button', class: 'button primary', text: 'Keep mine', onclick: () => keepMine(field) }),
        el('button', { type: 'button', class: 'button', text: 'Take theirs', onclick: () => takeTheirs(field) }),
      ),
    );
  }

  function redraw(field) {
    const r = rows.get(field);
    if (r) r.update();
  }

  function cancel(field) {
    delete edits[field];
    redraw(field);
  }

  // Saving.

  async function save(field, value, { force = false } = {}) {
    if (!lead || !mayEdit()) return;
    const edit = edits[field] || { base: fieldValue(lead, field), conflict: null };
    edits[field] = { ...edit, mine: value, error: null, saving: true, open: edit.open };
    if (!force && edit.conflict) {
      edits[field].saving = false;
      redraw(field);
      return;
    }
    if (sameValue(field, value, fieldValue(lead, field)) && !edit.conflict) {
      delete edits[field];
      redraw(field);
      return;
    }
    redraw(field);
    const id = lead.id;
    try {
      const answer = await request('PATCH', `/api/leads/${id}/`, { json: patchBody(lead, field, value) });
      if (leadId !== id) return;
      delete edits[field];
      lead = answer;
      update();
      refreshTimeline();
    } catch (error) {
      if (leadId !== id) return;
      if (error.status === 409) {
        await stale(field, error);
        return;
      }
      const { fields, detail } = refusal(error);
      const key = attributeKey(field) != null ? 'attributes' : field;
      edits[field] = { ...edits[field], saving: false, open: true, error: fields[key] || detail };
      redraw(field);
    }
  }

  /** 409: read the lead as it is now; their change to my field is a conflict, else my save goes on. */
  async function stale(field, error) {
    const id = lead.id;
    let theirs = error.body && error.body.lead ? { ...lead, ...error.body.lead } : null;
    try {
      theirs = await request('GET', `/api/leads/${id}/`);
    } catch {
      // keep the card from the answer
    }
    if (leadId !== id || !theirs) return;
    const edit = edits[field];
    lead = theirs;
    const { conflicts } = compareEdits({ [field]: { base: edit.base, mine: edit.mine } }, theirs);
    if (conflicts.length) {
      edits[field] = { ...edit, saving: false, open: true, conflict: { theirs: conflicts[0].theirs } };
      update();
      return;
    }
    edits[field] = { ...edit, base: fieldValue(theirs, field), saving: false };
    update();
    await save(field, edit.mine, { force: true });
  }

  function keepMine(field) {
    const edit = edits[field];
    if (!edit) return;
    edits[field] = { ...edit, base: edit.conflict.theirs, conflict: null };
    save(field, edit.mine, { force: true });
  }

  function takeTheirs(field) {
    delete edits[field];
    redraw(field);
  }

  // Live: a change to the open lead reads it again; an open edit the other
  // person changed shows the conflict instead of losing what was typed.

  function scheduleRefresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 60);
  }

  async function refresh() {
    if (leadId == null) return;
    const id = leadId;
    const mine = generation;
    let fresh;
    try {
      fresh = await request('GET', `/api/leads/${id}/`);
    } catch (error) {
      if (error.status === 404 && leadId === id) {
        aside.querySelector('.drawer-archived').hidden = false;
        aside.querySelector('.drawer-archived').textContent = 'This lead is no longer on the board.';
      }
      return;
    }
    if (leadId !== id || mine !== generation || !lead) return;
    const open = Object.fromEntries(Object.entries(edits).filter(([, e]) => !e.saving));
    const { conflicts, clean } = compareEdits(Object.fromEntries(Object.entries(open).map(([f, e]) => [f, { base: e.base, mine: e.mine }])), fresh);
    for (const c of conflicts) edits[c.field] = { ...edits[c.field], conflict: { theirs: c.theirs }, open: true };
    for (const f of clean) {
      if (!edits[f].conflict) edits[f] = { ...edits[f], base: fieldValue(fresh, f) };
    }
    lead = fresh;
    update();
    refreshTimeline();
  }

  // The timeline.

  async function refreshTimeline() {
    if (leadId == null) return;
    const id = leadId;
    try {
      const page = await request('GET', `/api/leads/${id}/timeline/`, { query: new URLSearchParams({ limit: String(Math.max(TIMELINE_PAGE, timeline.items.length)) }) });
      if (leadId !== id) return;
      timeline = { items: page.items, next: page.next, loading: false };
    } catch (error) {
      timeline.error = error.message;
    }
    drawTimeline();
  }

  async function older() {
    if (!timeline.next || timeline.loading) return;
    const id = leadId;
    timeline.loading = true;
    drawTimeline();
    try {
      const page = await request('GET', `/api/leads/${id}/timeline/`, { query: new URLSearchParams({ limit: String(TIMELINE_PAGE), before: timeline.next }) });
      if (leadId !== id) return;
      timeline = { items: [...timeline.items, ...page.items], next: page.next, loading: false };
    } catch (error) {
      timeline = { ...timeline, loading: false, error: error.message };
    }
    drawTimeline();
  }

  function drawTimeline() {
    const list = aside.querySelector('.drawer-timeline');
    if (!list) return;
    list.replaceChildren(...timeline.items.map(timelineItem));
    if (!timeline.items.length) list.append(el('li', { class: 'drawer-empty', text: 'Nothing yet.' }));
    const more = aside.querySelector('.drawer-older');
    more.hidden = !timeline.next;
    more.disabled = timeline.loading;
    more.textContent = timeline.loading ? 'Loading…' : 'Show older';
    const problem = aside.querySelector('.drawer-timeline-error');
    problem.hidden = !timeline.error;
    problem.textContent = timeline.error || '';
  }

  const moment = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  function when(at) {
    const t = new Date(at);
    return el('time', { datetime: at, title: Number.isFinite(t.getTime()) ? moment.format(t) : '', text: ago(at) });
  }

  function who(actor) {
    return actor ? actor.name : 'the system';
  }

  function timelineItem(item) {
    const li = el('li', { class: `drawer-item drawer-${item.kind}`, 'data-kind': item.kind });
    if (item.kind === 'transition') {
      const line = item.from_stage
        ? `${item.from_stage.name} → ${item.to_stage.name}`
        : `Added in ${item.to_stage.name}`;
      li.append(
        el('p', { class: 'drawer-line' }, el('strong', { text: line }), item.undone ? el('span', { class: 'drawer-undone', text: ' (undone)' }) : ''),
        el('p', { class: 'drawer-sub' }, `${item.source_label} · ${who(item.actor)} · `, when(item.at),
          item.stayed != null && item.from_stage ? ` · ${stayText(item.stayed)} in ${item.from_stage.name}` : ''),
      );
      if (item.reason) li.append(el('p', { class: 'drawer-reason', text: `Reason: ${item.reason}` }));
      if (item.note) li.append(el('p', { class: 'drawer-note-text', text: item.note }));
      li.classList.toggle('is-undone', !!item.undone);
    } else if (item.kind === 'verdict') {
      li.append(
        el('p', { class: 'drawer-line' }, el('strong', { text: item.verdict === 'accepted' ? 'Accepted by sales' : 'Rejected by sales' }), item.reason ? `: ${item.reason}` : ''),
        el('p', { class: 'drawer-sub' }, `${who(item.actor)} · `, when(item.at)),
      );
      if (item.valuable_fields.length) li.append(el('p', { class: 'drawer-sub', text: `Valuable: ${item.valuable_fields.map((f) => f.label).join(', ')}` }));
      if (item.useless_fields.length) li.append(el('p', { class: 'drawer-sub', text: `Useless: ${item.useless_fields.map((f) => f.label).join(', ')}` }));
    } else if (item.kind === 'note') {
      li.append(
        el('p', { class: 'drawer-line' }, el('strong', { text: `Note by ${who(item.author)}` })),
        el('p', { class: 'drawer-note-text', text: item.body }),
        el('p', { class: 'drawer-sub' }, when(item.at), item.edited_at ? ' · edited' : ''),
      );
    } else if (item.kind === 'edit') {
      li.append(
        el('p', { class: 'drawer-line' }, el('strong', { text: `Edited by ${who(item.actor)}` })),
        el('ul', { class: 'drawer-changes' }, item.changes.map((c) => el('li', {}, `${c.label}: `, el('span', { class: 'drawer-before', text: changeText(c, 'before') }), ' → ', el('span', { class: 'drawer-after', text: changeText(c, 'after') })))),
        el('p', { class: 'drawer-sub' }, when(item.at)),
      );
    }
    return li;
  }

  function changeText(change, side) {
    const value = change[side];
    if (value == null || value === '') return '—';
    if (change.field === 'value') return moneyFull(value, currency());
    return change[`${side}_text`] || String(value);
  }

  // Quick add: the column header's "+".

  function quickAdd(stageId, rect) {
    closeQuick();
    const st = state();
    if (!st || !st.stages[stageId] || !board.canEdit || board.asOf != null || (st.board && st.board.archived)) return;
    const errors = {};
    const input = (name, label, type = 'text', extra = {}) => {
      const i = el('input', { name, type, autocomplete: 'off', ...extra });
      const err = el('span', { class: 'quick-error', role: 'alert' });
      errors[name] = err;
      return el('label', { class: 'quick-field' }, el('span', { text: label }), i, err);
    };
    const people = Object.values(st.people).filter((p) => p.team != null).sort((a, b) => a.name.localeCompare(b.name));
    const owner = el('select', { name: 'owner' }, el('option', { value: '', text: 'Nobody' }), people.map((p) => el('option', { value: String(p.id), text: p.name })));
    const campaign = el('select', { name: 'campaign' }, el('option', { value: '', text: 'No campaign' }), pickableCampaigns(st).map((id) => el('option', { value: String(id), text: campaignName(id) })));
    errors.owner = el('span', { class: 'quick-error', role: 'alert' });
    errors.campaign = el('span', { class: 'quick-error', role: 'alert' });
    const general = el('p', { class: 'quick-error quick-general', role: 'alert' });
    const form = el('form', { class: 'quick-add', 'aria-label': `Add a lead to ${st.stages[stageId].name}`, novalidate: true },
      el('h3', { text: `New lead in ${st.stages[stageId].name}` }),
      input('name', 'Name', 'text', { required: true, maxlength: 200 }),
      input('company', 'Company', 'text', { maxlength: 200 }),
      input('email', 'Email', 'email', { maxlength: 254 }),
      input('value', `Value (${currency()})`, 'text', { inputmode: 'decimal' }),
      el('label', { class: 'quick-field' }, el('span', { text: 'Campaign' }), campaign, errors.campaign),
      el('label', { class: 'quick-field' }, el('span', { text: 'Owner' }), owner, errors.owner),
      general,
      el('div', { class: 'quick-actions' },
        el('button', { type: 'button', class: 'button quiet', text: 'Cancel', onclick: () => closeQuick() }),
        el('button', { type: 'submit', class: 'button primary', text: 'Add lead' })),
    );
    form.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        closeQuick();
      }
    });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      for (const err of Object.values(errors)) err.textContent = '';
      general.textContent = '';
      const read = (name) => form.elements[name].value.trim();
      const body = { board: board.id, stage: stageId, name: read('name') };
      if (!body.name) {
        errors.name.textContent = 'Give the lead a name.';
        form.elements.name.focus();
        return;
      }
      for (const name of ['company', 'email']) if (read(name)) body[name] = read(name);
      if (read('value')) body.value = read('value');
      if (owner.value) body.owner = Number(owner.value);
      if (campaign.value) body.campaign = Number(campaign.value);
      const submit = form.querySelector('[type=submit]');
      submit.disabled = true;
      try {
        const created = await request('POST', '/api/leads/', { json: body });
        closeQuick({ restore: false });
        board.announce(`${created.name} added to ${st.stages[stageId].name}`);
        open(created.id);
      } catch (error) {
        submit.disabled = false;
        const { fields, detail } = refusal(error);
        let placed = false;
        for (const [name, text] of Object.entries(fields)) {
          if (errors[name]) {
            errors[name].textContent = text;
            placed = true;
          }
        }
        if (!placed) general.textContent = detail;
        const first = Object.keys(fields).find((n) => errors[n] && form.elements[n]);
        if (first) form.elements[first].focus();
      }
    });
    document.body.append(form);
    const r = rect || { x: 100, y: 100, width: 0, height: 0 };
    const left = Math.min(Math.max(8, r.x), window.innerWidth - form.offsetWidth - 8);
    form.style.left = `${Math.round(left)}px`;
    form.style.top = `${Math.round(Math.min(r.y + r.height + 6, window.innerHeight - form.offsetHeight - 8))}px`;
    quick = { form, opener: document.activeElement };
    form.elements.name.focus();
  }

  function closeQuick({ restore = true } = {}) {
    if (!quick) return;
    const { form, opener: back } = quick;
    quick = null;
    form.remove();
    if (restore && back && document.contains(back)) back.focus({ preventScroll: true });
  }

  document.addEventListener('mousedown', (e) => {
    if (quick && !quick.form.contains(e.target)) closeQuick({ restore: false });
  });

  // Keys: Enter on the selected card opens it (unless the handoff lane's form
  // took the Enter: panels/handoff.js runs first); Escape closes the drawer.
  boardEl.addEventListener('keydown', (e) => {
    if (e.target !== boardEl || e.key !== 'Enter' || e.defaultPrevented) return;
    const selected = state() ? selection() : null;
    if (selected == null) return;
    e.preventDefault();
    open(selected);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || leadId == null || e.defaultPrevented) return;
    if (document.querySelector('dialog[open]')) return;
    const inDrawer = aside.contains(e.target);
    if (!inDrawer && e.target !== boardEl && e.target !== document.body) return;
    if (inDrawer && e.target.closest('input, textarea, select')) return;
    e.preventDefault();
    close();
  });

  addToTestHook('drawerLead', () => leadId);
  addToTestHook('quickAddRect', (stageId) => board.view.quickAddRectPage(Number(stageId)));

  return {
    open,
    close,
    quickAdd,
    get leadId() {
      return leadId;
    },
    /** The address changed (Back / Forward): follow its ``?lead=``. */
    address(search) {
      const id = leadOfSearch(search);
      if (id == null) close({ push: false });
      else if (id !== leadId) open(id, { push: false, focus: false });
    },
    loaded() {
      if (leadId == null) {
        const id = leadOfSearch(location.search);
        if (id != null) open(id, { push: false, focus: false });
      } else if (lead) {
        update();
      }
    },
    events(events) {
      if (leadId == null) return;
      let touched = false;
      for (const event of events) {
        if (notes) {
          try {
            notes.event(event);
          } catch (error) {
            console.error('notes failed on an event:', error);
          }
        }
        if (eventTouchesLead(event, leadId)) touched = true;
      }
      if (touched) scheduleRefresh();
      else if (lead && events.some((e) => /^(stage|stages|member)\./.test(e.type || ''))) update(); // a stage renamed, a member's name
    },
    asOf() {
      if (lead) update();
    },
  };
}
