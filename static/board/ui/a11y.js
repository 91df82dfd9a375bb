// Accessibility: what a screen reader hears (an aria-live="polite" region) and
// the keyboard cursor over the cards. The wording and the cursor moves are pure.

import { ringWords } from '../core/marks.js';

/** Who did it, in words: "Dana Kim", "you", or "the system". */
export function actorName(actor, me) {
  if (!actor) return 'the system';
  if (me && actor.id === me.id) return 'you';
  return actor.name || actor.username || 'someone';
}

/** One sentence for an effect of an applied event (see reducer.js), or null. */
export function describeEffect(effect, { stageName, campaignName, me }) {
  const event = effect.event || {};
  const by = actorName(event.actor, me);
  switch (effect.kind) {
    case 'moved':
      return `${effect.name} moved from ${stageName(effect.from)} to ${stageName(effect.to)} by ${by}${effect.undo ? ' (undo)' : ''}`;
    case 'reordered':
      return `${effect.name} reordered in ${stageName(effect.to)} by ${by}`;
    case 'created':
      return `New lead ${effect.name} in ${stageName(effect.to)} by ${by}`;
    case 'batch':
      return `${effect.count} ${campaignName(effect.campaign)} ${effect.count === 1 ? 'lead' : 'leads'} moved from ${stageName(effect.from)} to ${stageName(effect.to)} by ${by}`;
    case 'bulk-moved':
      return `${effect.count} ${effect.count === 1 ? 'lead' : 'leads'} moved to ${stageName(effect.to)} by ${by}${effect.reason ? ` (${effect.reason})` : ''}`;
    case 'bulk-updated':
      return `${by === 'you' ? 'You' : capitalize(by)} changed the ${effect.fields.join(', ')} of ${effect.count} ${effect.count === 1 ? 'lead' : 'leads'}`;
    case 'archived':
      return `${by === 'you' ? 'You' : capitalize(by)} archived ${effect.name || 'a lead'}`;
    case 'restored':
      return `${by === 'you' ? 'You' : capitalize(by)} restored ${effect.name} to ${stageName(effect.to)}`;
    case 'erased':
      return `${by === 'you' ? 'You' : capitalize(by)} erased a lead for good`;
    case 'undo-batch':
      return `${by === 'you' ? 'You' : by} undid a move of ${effect.count} ${effect.count === 1 ? 'lead' : 'leads'}`;
    case 'feedback': {
      const who = by === 'you' ? 'You' : capitalize(by);
      const lead = effect.name || 'a lead';
      if (effect.verdict === 'accepted') return `${who} accepted ${lead}`;
      return `${who} rejected ${lead}${effect.reason ? `: ${effect.reason}` : ''}`;
    }
    case 'campaign': {
      const who = by === 'you' ? 'You' : capitalize(by);
      if (effect.fields.includes('archived')) return `${who} ${effect.archived ? 'archived' : 'restored'} campaign ${effect.name}`;
      return `${who} changed campaign ${effect.name}${effect.fields.length ? ` (${effect.fields.join(', ')})` : ''}`;
    }
    case 'stage-created':
      return `${capitalize(by)} added the stage ${effect.name}`;
    case 'stage-updated':
      return effect.was && effect.was !== effect.name
        ? `${capitalize(by)} renamed the stage ${effect.was} to ${effect.name}`
        : `${capitalize(by)} changed the stage ${effect.name} (${effect.fields.join(', ').replace(/_/g, ' ')})`;
    case 'stage-deleted':
      return `${capitalize(by)} deleted the stage ${effect.name || ''}${effect.count ? `; ${effect.count} ${effect.count === 1 ? 'lead' : 'leads'} moved to ${stageName(effect.to)}` : ''}`;
    case 'stages-reordered':
      return `${capitalize(by)} reordered the stages`;
    case 'imported': {
      const who = by === 'you' ? 'You' : capitalize(by);
      const parts = [];
      if (effect.created) parts.push(`${effect.created} new`);
      if (effect.updated) parts.push(`${effect.updated} updated`);
      return `${who} imported ${parts.length ? parts.join(' and ') : 'no'} ${effect.created + effect.updated === 1 ? 'lead' : 'leads'}`;
    }
    case 'board': {
      const who = by === 'you' ? 'You' : capitalize(by);
      const { fields, board } = effect;
      if (fields.includes('archived')) return board.archived ? `${who} archived the board: it is read-only now` : `${who} restored the board`;
      if (fields.includes('name')) return `${who} renamed the board to ${board.name}`;
      if (fields.includes('currency')) return `${who} set the board's currency to ${board.currency}`;
      return null;
    }
    default:
      return null;
  }
}

function capitalize(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

/** Describe the selected card for the keyboard user. */
export function describeCard(card, { stageName, ownerName, index, total, aging = null }) {
  const parts = [card.name];
  if (card.company) parts.push(card.company);
  parts.push(`score ${card.score}`);
  if (ownerName) parts.push(`owner ${ownerName}`);
  if (card.verdict === 'accepted') parts.push('accepted by sales');
  else if (card.verdict === 'rejected') parts.push('rejected by sales');
  const ring = ringWords(aging);
  if (ring) parts.push(ring.replace(/\.$/, '').replace(/^P/, 'p'));
  parts.push(`${stageName}, ${index + 1} of ${total}`);
  return parts.join(', ');
}

/**
 * The keyboard cursor. columns: [{id, folded, ids}] in board order;
 * selection: lead id or null. Returns the lead id to select (or null).
 */
export function navigate(columns, selection, key) {
  const usable = columns.filter((c) => !c.folded && c.ids.length);
  if (!usable.length) return null;
  const where = selection == null ? null : locate(usable, selection);
  if (!where) return usable[0].ids[0];
  const { col, index } = where;
  const column = usable[col];
  switch (key) {
    case 'ArrowDown':
      return column.ids[Math.min(index + 1, column.ids.length - 1)];
    case 'ArrowUp':
      return column.ids[Math.max(index - 1, 0)];
    case 'Home':
      return column.ids[0];
    case 'End':
      return column.ids[column.ids.length - 1];
    case 'ArrowRight':
    case 'ArrowLeft': {
      const next = usable[col + (key === 'ArrowRight' ? 1 : -1)];
      if (!next) return selection;
      return next.ids[Math.min(index, next.ids.length - 1)];
    }
    default:
      return selection;
  }
}

function locate(columns, leadId) {
  for (let col = 0; col < columns.length; col++) {
    const index = columns[col].ids.indexOf(leadId);
    if (index >= 0) return { col, index };
  }
  return null;
}

/** The stage before (dir -1) or after (dir +1) ``stageId`` in funnel order, or null. */
export function adjacentStage(stageOrder, stageId, dir, closing = new Set()) {
  // [ and ] step through the open stages only: Won and Lost are reached by their
  // own keys (W, L), never by stepping past the last open stage. From a closing
  // stage, [ goes back to the last open stage.
  const open = stageOrder.filter((id) => !closing.has(id));
  if (closing.has(stageId)) return dir < 0 ? (open[open.length - 1] ?? null) : null;
  const i = open.indexOf(stageId);
  if (i < 0) return null;
  return open[i + dir] ?? null;
}

/** An aria-live region that says things one at a time, politely, without
 * flooding: messages within ``mergeMs`` are joined. */
export function createAnnouncer(region, { mergeMs = 250, limit = 3 } = {}) {
  let queue = [];
  let timer = null;
  return function announce(text) {
    if (!text) return;
    queue.push(text);
    if (timer) return;
    timer = setTimeout(() => {
      const shown = queue.slice(0, limit);
      const more = queue.length - shown.length;
      if (more > 0) shown.push(`and ${more} more ${more === 1 ? 'change' : 'changes'}`);
      queue = [];
      timer = null;
      // Clearing first makes screen readers read a repeated sentence again.
      region.textContent = '';
      setTimeout(() => {
        region.textContent = shown.join('. ') + '.';
      }, 30);
    }, mergeMs);
  };
}
