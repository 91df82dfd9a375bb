// A lead's notes in its drawer (panels/drawer.js mounts this): the list with
// author and time, a form to add one, edit and delete for its author while
// leads.rules allows. The interface the drawer uses:
//   mountNotes(container, { board, leadId }) -> { event(storedEvent), destroy() }
// ``board`` is featureBoard's object (api, me, config, canEdit, toast); ``event``
// gets every live stored event (note.created/updated/deleted of this lead among
// them: the list is read again, so each note's ``may_edit`` is the server's).
// Notes are plain text: every piece is set with textContent, never as HTML;
// @mentions are marked with the server's pattern (config.rules.mention_pattern).

import { ago } from '../core/format.js';
import { mentionSpans, noteEventOf } from '../core/notes.js';
import { notesApi } from '../net/notes.js';

const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) if (child != null) node.append(child);
  return node;
};

/** The note's text with @mentions marked, as DOM nodes (text only, never HTML). */
function noteText(body, pattern) {
  const p = el('p', { class: 'note-body' });
  for (const span of mentionSpans(body, pattern)) {
    p.append(span.mention ? el('span', { class: 'note-mention', textContent: span.text }) : document.createTextNode(span.text));
  }
  return p;
}

/** Ctrl+Enter (or Cmd+Enter) in ``textarea`` runs ``submit``. */
function onCtrlEnter(textarea, submit) {
  textarea.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      submit();
    }
  });
}

export function mountNotes(container, { board, leadId, api = notesApi, now = () => Date.now() }) {
  const pattern = board.config && board.config.rules ? board.config.rules.mention_pattern : null;
  // Editors and owners write notes (the server's me.may_edit); nobody on an archived board.
  const archived = () => !!(board.state && board.state.board && board.state.board.archived);
  const mayWrite = () => (typeof board.canEdit === 'boolean' ? board.canEdit : !!(board.me && board.me.may_edit === true)) && !archived();
  let notes = [];
  let editing = null; // the id of the note being edited
  let destroyed = false;
  let loading = null;
  let clock = null;

  const root = el('section', { class: 'notes', 'data-notes': String(leadId) });
  root.setAttribute('aria-label', 'Notes');
  const list = el('ol', { class: 'notes-list' });
  const empty = el('p', { class: 'notes-empty muted', textContent: 'No notes yet.' });
  const form = el('form', { class: 'notes-form' });
  const label = el('label', { class: 'visually-hidden', htmlFor: `note-new-${leadId}`, textContent: 'New note' });
  const input = el('textarea', { id: `note-new-${leadId}`, rows: 3, maxLength: 10000, placeholder: 'Add a note… (@name to mention, Ctrl+Enter to add)' });
  const error = el('p', { class: 'notes-error error', role: 'alert' });
  error.hidden = true;
  const add = el('button', { type: 'submit', class: 'button primary', textContent: 'Add note' });
  form.append(label, input, error, el('div', { class: 'notes-actions' }, add));
  // The drawer gives the section its heading.
  root.append(list, empty, form);
  container.replaceChildren(root);

  function showError(target, err) {
    target.textContent = err ? err.message || String(err) : '';
    target.hidden = !err;
  }

  async function submit() {
    if (add.disabled) return;
    add.disabled = true;
    showError(error, null);
    try {
      await api.add(leadId, input.value);
      input.value = '';
      await load();
    } catch (err) {
      showError(error, err);
      input.setAttribute('aria-invalid', 'true');
    } finally {
      add.disabled = false;
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  onCtrlEnter(input, submit);
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'));

  function editable(note) {
    // The server's answer, kept only until the deadline it gave.
    return note.may_edit && mayWrite() && (!note.edit_until || Date.parse(note.edit_until) > now());
  }

  function item(note) {
    const li = el('li', { class: 'note', 'data-note': String(note.id) });
    const who = note.author ? note.author.name : 'Someone';
    const meta = el(
      'p',
      { class: 'note-meta' },
      el('span', { class: 'note-author', textContent: who }),
      ' · ',
      el('time', { dateTime: note.created_at, textContent: ago(note.created_at, now()), title: new Date(note.created_at).toLocaleString() }),
      note.edited_at ? el('span', { class: 'note-edited muted', textContent: ' · edited' }) : null,
    );
    li.append(meta);
    if (editing === note.id) {
      const box = el('textarea', { class: 'note-edit', rows: 3, maxLength: 10000, value: note.body });
      box.setAttribute('aria-label', 'Edit note');
      const problem = el('p', { class: 'notes-error error', role: 'alert' });
      problem.hidden = true;
      const save = el('button', { type: 'button', class: 'button primary', textContent: 'Save' });
      const cancel = el('button', { type: 'button', class: 'button quiet', textContent: 'Cancel' });
      const done = async () => {
        save.disabled = true;
        try {
          await api.change(note.id, box.value);
          editing = null;
          await load();
        } catch (err) {
          showError(problem, err);
          save.disabled = false;
        }
      };
      save.addEventListener('click', done);
      onCtrlEnter(box, done);
      box.addEventListener('keydown', (e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          editing = null;
          draw();
        }
      });
      cancel.addEventListener('click', () => {
        editing = null;
        draw();
      });
      li.append(box, problem, el('div', { class: 'notes-actions' }, save, cancel));
      queueMicrotask(() => box.focus());
      return li;
    }
    li.append(noteText(note.body, pattern));
    if (editable(note)) {
      const problem = el('p', { class: 'notes-error error', role: 'alert' });
      problem.hidden = true;
      const edit = el('button', { type: 'button', class: 'quiet note-edit-open', textContent: 'Edit' });
      const del = el('button', { type: 'button', class: 'quiet note-delete', textContent: 'Delete' });
      edit.addEventListener('click', () => {
        editing = note.id;
        draw();
      });
      del.addEventListener('click', async () => {
        const sure = board.confirm ? await board.confirm('Delete this note?', { confirmLabel: 'Delete' }) : true;
        if (!sure) return;
        try {
          await api.remove(note.id);
          await load();
        } catch (err) {
          showError(problem, err);
        }
      });
      li.append(el('div', { class: 'note-tools' }, edit, del), problem);
    }
    return li;
  }

  function draw() {
    if (destroyed) return;
    list.replaceChildren(...notes.map(item));
    empty.hidden = notes.length > 0;
    form.hidden = !mayWrite();
  }

  async function load() {
    const mine = (loading = api.list(leadId));
    try {
      const page = await mine;
      if (destroyed || mine !== loading) return;
      notes = page.results || [];
      draw();
    } catch (err) {
      if (!destroyed && mine === loading) showError(error, err);
    }
  }

  draw();
  load();
  // Times move on, and a note's edit window closes: redraw now and then (not while editing).
  clock = setInterval(() => {
    if (editing == null) draw();
  }, 30_000);

  return {
    event(stored) {
      if (noteEventOf(stored, leadId)) load();
    },
    destroy() {
      destroyed = true;
      clearInterval(clock);
      container.replaceChildren();
    },
  };
}
