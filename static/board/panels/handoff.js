// The handoff lane's form: sales accepts or rejects a lead waiting in the first
// sales stage, with a reason from the board's list when rejecting, and marks
// which of the lead's fields were valuable and which were useless.
//
// Opened by the lane's Accept / Reject buttons on the canvas (column.js sends
// ``HANDOFF_EVENT``) or by Enter on a selected waiting card. The verdict goes
// to POST /api/leads/<id>/feedback/; the lead leaves the lane in every open
// browser through the stored ``lead.feedback`` event (reducer.js), this one too.
// The form is a native <dialog>: focus stays inside, Escape closes it.

import { HANDOFF_EVENT } from '../canvas/column.js';
import { LANE, M } from '../canvas/layout.js';
import { canJudge, stageName } from '../core/model.js';
import { request } from '../net/api.js';
import { VIEW_ONLY } from '../net/writes.js';
import { addToTestHook } from '../ui/hook.js';
import { money, count as countText, daysSince } from '../core/format.js';

// Not offered in the form although the server takes it: where a lead stands
// says nothing of the data marketing sent.
const NOT_JUDGED = new Set(['stage']);

/**
 * The fields of ``lead`` (GET /api/leads/<id>/) worth judging: [{name, label, value}],
 * empty ones left out. ``fields``: the [name, label] pairs sales may judge (the
 * page config's ``rules.feedback_fields``, from ``leads.rules.FEEDBACK_FIELDS``),
 * then the lead's attributes. ``names``: {person(id), campaign(id)} for the ids,
 * ``currency``: the board's (its value is money).
 */
export function feedbackFields(lead, fields, names = {}) {
  const out = [];
  for (const [name, label] of fields) {
    if (NOT_JUDGED.has(name)) continue;
    let value = lead[name];
    if (value == null || value === '') continue;
    if (name === 'owner') value = names.person ? names.person(value) : `#${value}`;
    else if (name === 'campaign') value = names.campaign ? names.campaign(value) : `#${value}`;
    else if (name === 'value') value = money(value, names.currency);
    out.push({ name, label, value: String(value) });
  }
  for (const [key, value] of Object.entries(lead.attributes || {})) {
    if (value == null || value === '' || fields.some(([name]) => name === key)) continue;
    out.push({ name: key, label: key, value: typeof value === 'object' ? JSON.stringify(value) : String(value), attribute: true });
  }
  return out;
}

/** What to POST: marks are {field: 'valuable' | 'useless' | ''}. */
export function feedbackBody({ verdict, reason = '', marks = {}, then = 'recycle' }) {
  const pick = (kind) => Object.keys(marks).filter((name) => marks[name] === kind);
  return {
    verdict,
    reason: verdict === 'rejected' ? reason : '',
    // A rejected lead goes somewhere: back to marketing (the default) or to Lost.
    then: verdict === 'rejected' ? then : 'stay',
    valuable_fields: pick('valuable'),
    useless_fields: pick('useless'),
  };
}

/** Why the form cannot be sent yet, or null. */
export function feedbackProblem({ verdict, reason }) {
  if (verdict !== 'accepted' && verdict !== 'rejected') return 'Choose Accept or Reject.';
  if (verdict === 'rejected' && !reason) return 'Pick the reason for rejecting this lead.';
  return null;
}

/** "Dana Kim rejected it (No budget)" for a verdict that came in while the form was open. */
export function verdictNews(effect, me) {
  const actor = effect.event && effect.event.actor;
  const who = actor ? (me && actor.id === me.id ? 'You' : actor.name || actor.username) : 'Someone';
  const what = effect.verdict === 'accepted' ? 'accepted' : 'rejected';
  const why = effect.verdict === 'rejected' && effect.reason ? ` (${effect.reason})` : '';
  return `${who} ${what} this lead just now${why}. Sending yours records a second verdict; the latest counts.`;
}

const FORM_HTML = `
<form method="dialog" class="bridge-form" novalidate>
  <h2 class="bridge-title" data-title></h2>
  <p class="bridge-sub" data-sub></p>
  <p class="bridge-news" data-news role="status" hidden></p>
  <fieldset class="verdict-choice">
    <legend>Verdict</legend>
    <label class="verdict-option"><input type="radio" name="verdict" value="accepted"> <span>Accept: sales takes it on</span></label>
    <label class="verdict-option"><input type="radio" name="verdict" value="rejected"> <span>Reject: send it back with a reason</span></label>
  </fieldset>
  <div class="reason-row" data-reason-row hidden>
    <label for="handoff-reason">Reason for rejecting</label>
    <select id="handoff-reason" name="reason" data-reason><option value="">Choose a reason…</option></select>
    <fieldset class="then-choice">
      <legend>Then the lead goes</legend>
      <label><input type="radio" name="then" value="recycle" checked> <span>Recycle: back to marketing</span></label>
      <label><input type="radio" name="then" value="lost"> <span>Lost, with this reason</span></label>
    </fieldset>
  </div>
  <fieldset class="field-marks">
    <legend>What did marketing's data tell you? <span class="muted">(optional)</span></legend>
    <p class="bridge-loading" data-fields-loading>Loading the lead's fields…</p>
    <table class="marks-table" data-fields-table hidden>
      <thead><tr><th scope="col">Field</th><th scope="col">Value</th><th scope="col">Valuable</th><th scope="col">Useless</th><th scope="col">No opinion</th></tr></thead>
      <tbody data-fields></tbody>
    </table>
  </fieldset>
  <p class="bridge-error" data-error role="alert" hidden></p>
  <div class="bridge-actions">
    <button type="button" class="button quiet" data-cancel>Cancel</button>
    <button type="submit" class="button primary" data-submit>Send verdict</button>
  </div>
</form>`;

export function createHandoff(board) {
  const canvas = document.getElementById('board-canvas');
  const boardEl = document.getElementById('board');
  if (!canvas || !boardEl) return {};
  const judge = () => canJudge(board.me); // the server's answer includes the edit right
  let dialog = null;
  let open = null; // {lead, card, busy}
  let selected = null;
  let reasons = null;

  const names = {
    person: (id) => {
      const p = board.state && board.state.people[id];
      return p ? p.name : `#${id}`;
    },
    campaign: (id) => {
      const c = board.state && board.state.campaigns[id];
      return c ? c.name : `#${id}`;
    },
    stage: (id) => stageName(board.state, id),
    get currency() {
      return board.state ? board.state.board.currency : undefined;
    },
  };

  function laneColumn() {
    return board.columns.find((c) => c.handoff) || null;
  }
  function waiting(leadId) {
    const col = laneColumn();
    return !!col && col.handoff.ids.includes(leadId);
  }
  function cardOf(leadId) {
    const s = board.state;
    if (!s) return null;
    return s.leads[leadId] || (s.handoff && s.handoff.cards[leadId]) || null;
  }

  function build() {
    dialog = document.createElement('dialog');
    dialog.className = 'bridge-dialog handoff-dialog';
    dialog.id = 'handoff-dialog';
    dialog.setAttribute('aria-labelledby', 'handoff-title');
    dialog.innerHTML = FORM_HTML;
    dialog.querySelector('[data-title]').id = 'handoff-title';
    document.body.append(dialog);
    const form = dialog.querySelector('form');
    form.addEventListener('change', (e) => {
      if (e.target.name === 'verdict') showVerdict();
      hideError();
    });
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      send();
    });
    dialog.querySelector('[data-cancel]').addEventListener('click', close);
    dialog.addEventListener('close', () => {
      open = null;
      boardEl.focus({ preventScroll: true });
    });
  }

  const $ = (sel) => dialog.querySelector(sel);

  function showVerdict() {
    const verdict = currentVerdict();
    $('[data-reason-row]').hidden = verdict !== 'rejected';
    $('[data-reason]').required = verdict === 'rejected';
    $('[data-submit]').textContent = verdict === 'accepted' ? 'Accept lead' : verdict === 'rejected' ? 'Reject lead' : 'Send verdict';
  }
  function currentVerdict() {
    const checked = dialog.querySelector('input[name=verdict]:checked');
    return checked ? checked.value : null;
  }
  function showError(text) {
    const el = $('[data-error]');
    el.textContent = text;
    el.hidden = false;
  }
  function hideError() {
    $('[data-error]').hidden = true;
  }

  function fillReasons(list) {
    const select = $('[data-reason]');
    const keep = select.value;
    select.replaceChildren(new Option('Choose a reason…', ''));
    for (const reason of list) select.append(new Option(reason, reason));
    if (list.includes(keep)) select.value = keep;
  }

  function fillFields(fields) {
    const body = $('[data-fields]');
    body.replaceChildren();
    fields.forEach((field, i) => {
      const row = document.createElement('tr');
      const name = document.createElement('th');
      name.scope = 'row';
      name.textContent = field.label;
      const value = document.createElement('td');
      value.className = 'mark-value';
      value.textContent = field.value;
      value.title = field.value;
      row.append(name, value);
      for (const [mark, label] of [['valuable', 'valuable'], ['useless', 'useless'], ['', 'no opinion']]) {
        const cell = document.createElement('td');
        const radio = document.createElement('input');
        radio.type = 'radio';
        radio.name = `mark-${i}`;
        radio.value = mark;
        radio.dataset.field = field.name;
        radio.checked = mark === '';
        radio.setAttribute('aria-label', `${field.label}: ${label}`);
        cell.append(radio);
        row.append(cell);
      }
      body.append(row);
    });
    $('[data-fields-loading]').hidden = true;
    $('[data-fields-table]').hidden = fields.length === 0;
    if (!fields.length) {
      $('[data-fields-loading]').hidden = false;
      $('[data-fields-loading]').textContent = 'This lead has no fields to judge.';
    }
  }

  function marks() {
    const out = {};
    for (const radio of dialog.querySelectorAll('[data-fields] input[type=radio]:checked')) {
      if (radio.value) out[radio.dataset.field] = radio.value;
    }
    return out;
  }

  async function load(leadId) {
    const [reasonList, lead] = await Promise.all([
      request('GET', `/api/boards/${board.id}/rejection-reasons/`),
      request('GET', `/api/leads/${leadId}/`),
    ]);
    if (!open || open.lead !== leadId) return;
    reasons = reasonList.reasons;
    fillReasons(reasons);
    fillFields(feedbackFields(lead, board.config.rules.feedback_fields, names));
  }

  /** Open the form for a waiting lead, ``verdict`` preselected (or null). */
  async function openFor(leadId, verdict = null) {
    if (!judge()) {
      board.toast(board.canEdit ? 'Sales accepts or rejects the leads in the handoff lane.' : VIEW_ONLY);
      return;
    }
    if (board.asOf) {
      board.toast('This is the board as it was. Go back to now to judge a lead.');
      return;
    }
    const card = cardOf(leadId);
    if (!card || !waiting(leadId)) {
      board.toast('This lead no longer waits in the handoff lane.');
      return;
    }
    if (!dialog) build();
    open = { lead: leadId, card, busy: false };
    dialog.dataset.lead = String(leadId);
    $('[data-title]').textContent = `Handoff: ${card.name}`;
    const waited = daysSince(card.stage_entered_at);
    const bits = [card.company, card.campaign != null ? names.campaign(card.campaign) : 'no campaign', `score ${card.score}`, money(card.value, names.currency), `waiting ${countText(waited)} ${waited === 1 ? 'day' : 'days'}`];
    $('[data-sub]').textContent = bits.filter(Boolean).join(' · ');
    $('[data-news]').hidden = true;
    for (const radio of dialog.querySelectorAll('input[name=verdict]')) radio.checked = radio.value === verdict;
    if (reasons) fillReasons(reasons);
    $('[data-reason]').value = '';
    $('[data-fields]').replaceChildren();
    $('[data-fields-table]').hidden = true;
    const loading = $('[data-fields-loading]');
    loading.hidden = false;
    loading.textContent = "Loading the lead's fields…";
    hideError();
    showVerdict();
    $('[data-submit]').disabled = false;
    if (!dialog.open) dialog.showModal();
    const first = verdict === 'rejected' ? $('[data-reason]') : dialog.querySelector(`input[name=verdict][value="${verdict || 'accepted'}"]`);
    first.focus();
    try {
      await load(leadId);
    } catch (error) {
      if (open && open.lead === leadId) {
        loading.textContent = '';
        showError(`Could not load the lead: ${error.message}`);
      }
    }
  }

  function close() {
    if (dialog && dialog.open) dialog.close();
  }

  async function send() {
    if (!open || open.busy) return;
    const verdict = currentVerdict();
    const reason = $('[data-reason]').value;
    const problem = feedbackProblem({ verdict, reason });
    if (problem) {
      showError(problem);
      (verdict ? $('[data-reason]') : dialog.querySelector('input[name=verdict]')).focus();
      return;
    }
    const { lead, card } = open;
    open.busy = true;
    const submit = $('[data-submit]');
    submit.disabled = true;
    hideError();
    try {
      const thenChoice = dialog.querySelector('input[name=then]:checked');
      const then = thenChoice ? thenChoice.value : 'recycle';
      const answer = await request('POST', `/api/leads/${lead}/feedback/`, { json: feedbackBody({ verdict, reason, marks: marks(), then }) });
      board.applyAnswer(answer.event);
      if (answer.moved) board.applyAnswer(answer.moved);
      close();
      board.toast(verdict === 'accepted' ? `Accepted ${card.name}.` : `Rejected ${card.name}: ${reason}.`);
    } catch (error) {
      if (open) open.busy = false;
      submit.disabled = false;
      showError(`Could not record the verdict: ${error.message}`);
      if (error.body && error.body.reason) {
        // The owner may have changed the reasons meanwhile.
        request('GET', `/api/boards/${board.id}/rejection-reasons/`)
          .then((answer) => {
            reasons = answer.reasons;
            fillReasons(reasons);
          })
          .catch(() => {});
      }
    }
  }

  canvas.addEventListener(HANDOFF_EVENT, (e) => {
    const { lead, verdict } = e.detail || {};
    if (lead != null) openFor(lead, verdict);
  });

  boardEl.addEventListener('keydown', (e) => {
    if (e.target !== boardEl || e.key !== 'Enter' || selected == null || !waiting(selected)) return;
    e.preventDefault();
    openFor(selected, null);
  });

  /** For the browser tests: the lane's ids, and where a lane button is on the page. */
  addToTestHook('handoffLane', () => {
    const col = laneColumn();
    return col ? col.handoff.ids.slice() : [];
  });
  addToTestHook('handoffButton', (leadId, verdict) => {
    const rect = board.view.cardRectPage(Number(leadId));
    const zoom = board.view.zoom;
    if (!rect || rect.height < (LANE.cardH - 1) * zoom) return null; // not wholly in view
    const width = rect.width / zoom;
    const w = (width - 12 - 10 - 8) / 2;
    const x = verdict === 'rejected' ? 12 + w + 8 + w / 2 : 12 + w / 2;
    return { x: rect.x + x * zoom, y: rect.y + (M.cardH + 2 + LANE.actionsH / 2) * zoom };
  });

  return {
    selected(leadId) {
      selected = leadId;
      if (leadId != null && waiting(leadId)) {
        board.announce(judge() ? "Waiting in the handoff lane. Press Enter to accept or reject it." : "Waiting in the handoff lane for sales' verdict.");
      }
    },
    events(events, effects) {
      if (!open || !dialog || !dialog.open) return;
      for (const effect of effects) {
        if (effect.lead !== open.lead) continue;
        const news = $('[data-news]');
        if (effect.kind === 'feedback' && !(effect.event && effect.event.actor && effect.event.actor.id === board.me.id)) {
          news.textContent = verdictNews(effect, board.me);
          news.hidden = false;
        } else if (effect.kind === 'moved') {
          const actor = effect.event && effect.event.actor;
          news.textContent = `${actor ? actor.name : 'Someone'} moved this lead to ${names.stage(effect.to)} meanwhile.`;
          news.hidden = false;
        }
      }
    },
    asOf(moment) {
      if (moment) close();
    },
  };
}
