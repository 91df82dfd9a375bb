// Pure parts of notes and notifications: a note's text split into plain text and
// @mentions (the pattern is leads.rules.MENTION_PATTERN, handed to the page in
// config.rules.mention_pattern), where a notification leads, the bell's count.
// No DOM here: panels/notes.js and ui/bell.js draw them, as text only.

/**
 * ``text`` as spans: ``{ text }`` for plain text, ``{ text, mention }`` for an
 * ``@username`` (``mention``: the username). Joined, the spans' text is ``text``.
 */
export function mentionSpans(text, pattern) {
  const spans = [];
  if (!pattern) return text ? [{ text }] : spans;
  const re = new RegExp(pattern, 'gu');
  let at = 0;
  for (const match of text.matchAll(re)) {
    if (match.index > at) spans.push({ text: text.slice(at, match.index) });
    spans.push({ text: match[0], mention: match[1] });
    at = match.index + match[0].length;
  }
  if (at < text.length) spans.push({ text: text.slice(at) });
  return spans;
}

/** Where a notification leads: its board with the lead's drawer open. */
export function notificationLink(item) {
  const board = `/boards/${encodeURIComponent(String(item.board))}/`;
  return item.lead == null ? board : `${board}?lead=${encodeURIComponent(String(item.lead))}`;
}

/** The bell's badge: "" for none, "99+" past 99. */
export function unreadBadge(unread) {
  const n = Number(unread) || 0;
  if (n <= 0) return '';
  return n > 99 ? '99+' : String(n);
}

/** The bell's list with a new item on top (an item it holds already is replaced). */
export function withNotification(items, item, max = 50) {
  return [item, ...items.filter((other) => other.id !== item.id)].slice(0, max);
}

/** The items with those of ``ids`` (or all, when ``ids`` is null) marked read. */
export function markedRead(items, ids = null) {
  const wanted = ids == null ? null : new Set(ids);
  return items.map((item) => (wanted == null || wanted.has(item.id) ? { ...item, read: true } : item));
}

/** Is this stored event about a note of ``leadId``? */
export function noteEventOf(event, leadId) {
  if (!event || typeof event.type !== 'string' || !event.type.startsWith('note.')) return false;
  const lead = event.type === 'note.deleted' ? event.lead : event.note && event.note.lead;
  return Number(lead) === Number(leadId);
}
