// This browser's writes: a card moved (drawn at once, in flight until the
// server's event), a campaign moved (asked first), and Undo of its own moves.
// A refusal is said in the board's words and the card goes back.

import { cardFor, dropNeighbour, dropPosition, stageName } from '../core/model.js';
import { filtersActive } from '../core/filters.js';
import { columnOf, settlePending } from '../core/store.js';
import { createUndoStack, undoBody } from '../core/undo.js';
import { ago, count } from '../core/format.js';

export const VIEW_ONLY = 'View only — ask the board owner for edit access';
const IN_THE_PAST = 'This is the board as it was then: go back to live (time bar) to change it.';

/**
 * parts: {store, api, me, canEdit() (may this browser edit now: me.may_edit, which
 * a member event can change), view, render, toast, confirm, follow (follow.js),
 * showUndo(enabled, label)}
 */
export function createWrites({ store, api, me, canEdit, view, render, toast, confirm, closeDeal, lostReasons = [], follow, showUndo }) {
  const undoStack = createUndoStack();
  const name = (id) => stageName(store.state, id);
  const kindOf = (id) => (store.state.stages[id] ? store.state.stages[id].kind : 'open');

  /** The board's lost reasons, read afresh (the owner may have changed them). */
  async function reasonsNow() {
    try {
      lostReasons = (await api.lostReasons()).reasons;
    } catch {
      /* the last list known */
    }
    return lostReasons;
  }

  /**
   * What a move into a closing stage needs before it is written: into a lost stage
   * a reason (and an optional note), into Won the value confirmed. null: cancelled
   * (the card goes back, nothing is written); {} for any other stage. ``lead``: its
   * name and value (or a ``question`` of the caller's own).
   */
  async function closing(toStage, { name: leadName, value: amount, question = null }) {
    const kind = kindOf(toStage);
    const text = question || (kind === 'lost' ? `Why was ${leadName} lost?` : `${leadName} won: confirm the deal's value.`);
    if (kind === 'lost') {
      const reasons = await reasonsNow();
      return closeDeal({ kind, text, reasons, confirmLabel: `Move to ${name(toStage)}` });
    }
    if (kind === 'won') {
      return closeDeal({ kind, text, amount, confirmLabel: `Move to ${name(toStage)}` });
    }
    return {};
  }

  /** May this browser change the board now? If not, say why. */
  function mayWrite() {
    if (!canEdit()) toast(VIEW_ONLY);
    else if (store.asOf != null) toast(IN_THE_PAST);
    return canEdit() && store.asOf == null;
  }

  function updateUndo() {
    const top = undoStack.peek();
    showUndo(canEdit() && top != null, top ? top.label : '');
  }

  async function moveLead(leadId, toStage, index) {
    if (!mayWrite()) return;
    const { state, pending, inFlight } = store;
    if (inFlight.has(leadId)) {
      toast('Still saving the last move of this card…');
      return;
    }
    let card = cardFor(state, pending, leadId);
    if (!card) return;
    const from = card.stage;
    let extra = {};
    let value = null;
    if (toStage !== from && kindOf(toStage) !== 'open') {
      const kind = kindOf(toStage);
      inFlight.add(leadId); // no second drag of this card while the dialog is open
      let answer;
      try {
        answer = await closing(toStage, card);
      } finally {
        inFlight.delete(leadId);
      }
      if (answer == null) {
        render(); // the card is drawn back where it was; nothing written
        return;
      }
      if (kind === 'lost') extra = { reason: answer.reason, note: answer.note };
      else if (answer.value !== '' && Number(answer.value) !== Number(card.value)) value = answer.value;
      card = cardFor(store.state, pending, leadId) || card;
    }
    const target = columnOf(store, toStage);
    const drawn = target ? target.boardIds || target.ids : []; // a sorted column: its board order
    const lane = target ? target.lane : 0;
    const neighbour = dropNeighbour(drawn, leadId, index, lane);
    const position = dropPosition(state, pending, drawn, leadId, index, lane);
    inFlight.add(leadId);
    pending.set(leadId, { card, from, to: toStage, position, awaitSeq: Infinity });
    render();
    try {
      const answer = await api.moveLead(leadId, { to_stage: toStage, position: index, ...neighbour, ...extra, version: card.version });
      store.ownSeqs.add(answer.seq);
      if (answer.transition) {
        undoStack.push({ transition: answer.transition.id, label: `${card.name} back to ${name(from)}` });
        updateUndo();
      }
      const p = pending.get(leadId);
      if (p) p.awaitSeq = answer.seq;
      follow.applyAnswer(answer.event);
      if (value != null) {
        api.updateLead(leadId, { value, version: answer.lead.version }).catch((error) => {
          toast(`Moved, but the value was not saved: ${error.message}`, { kind: 'error' });
        });
      }
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
    settlePending(store);
    render();
  }

  /** Why a move was refused, in the board's words. */
  async function refusal(error, leadId) {
    if (error.status === 409) {
      await follow.sync.catchUp().catch(() => {});
      let touched = store.state.touched[leadId];
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
        const where = touched.to != null ? ` to ${name(touched.to)}` : '';
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
    const campaign = store.state.campaigns[campaignId];
    const column = columnOf(store, from);
    const chip = column && column.chips.find((c) => c.id === campaignId);
    const n = chip ? chip.count : 0;
    const detail = filtersActive(store.filters)
      ? `Your filters show ${count(n)} of them; the move takes every ${campaign.name} lead in ${name(from)}. Undo with Ctrl+Z.`
      : 'You can undo it with Ctrl+Z.';
    const question = `Move ${count(n)} ${campaign.name} ${n === 1 ? 'lead' : 'leads'} from ${name(from)} to ${name(to)}?`;
    let reason = '';
    if (kindOf(to) === 'lost') {
      // One reason for the whole batch.
      const answer = await closing(to, { question: `${question} Why were they lost?`, value: null });
      if (answer == null) return;
      reason = answer.reason;
    } else {
      const ok = await confirm(question, { confirmLabel: `Move to ${name(to)}`, detail });
      if (!ok) return;
    }
    try {
      const answer = await api.moveCampaign(campaignId, { from_stage: from, to_stage: to, ...(reason ? { reason } : {}) });
      if (!answer.moved) {
        toast(`No ${campaign.name} leads left in ${name(from)} to move.`);
        return;
      }
      undoStack.push({ batch: answer.batch, label: `${count(answer.moved)} ${campaign.name} leads back to ${name(from)}` });
      updateUndo();
      toast(`Moved ${count(answer.moved)} ${campaign.name} leads to ${name(to)}. Ctrl+Z undoes it.`);
      follow.applyAnswer(answer.event);
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
      follow.applyAnswer(answer.event);
    } catch (error) {
      toast(`Could not undo: ${error.message}`, { kind: 'error' });
    }
  }

  /** Another write this browser can take back with Undo ({batch, label}): a stage's removal. */
  function remember(item) {
    undoStack.push(item);
    updateUndo();
  }

  return { mayWrite, moveLead, moveCampaign, undoLast, updateUndo, remember, closing };
}
