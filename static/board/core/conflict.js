// The lead drawer's pure part: which fields it edits, how a field's value is read
// from a lead and written back (``attributes.<key>`` edits one attribute), when
// two values are the same, what a save sends, and, when someone else saved first,
// which of my edits collide with theirs. An edit collides only when the other
// person changed that very field since I started editing it; their change to
// another field never blocks mine (the save re-sends my field alone, on their
// version, so nothing of theirs is overwritten). Also: does a stored event touch
// a lead, and the ``?lead=`` part of the page's address. Pure.

/** The drawer's editable fields, in order: [field, input kind]. Labels come from
 * the server (``rules.feedback_fields`` in the page config, leads.rules). */
export const DRAWER_FIELDS = [
  ['name', 'text'],
  ['company', 'text'],
  ['email', 'email'],
  ['title', 'text'],
  ['value', 'money'],
  ['score', 'score'],
  ['owner', 'owner'],
  ['campaign', 'campaign'],
  ['source', 'text'],
  ['external_id', 'text'],
  ['crm_id', 'text'],
];

const ATTRIBUTE = 'attributes.';

/** ``attributes.utm_source`` -> ``utm_source``; null for a plain field. */
export function attributeKey(field) {
  return field.startsWith(ATTRIBUTE) ? field.slice(ATTRIBUTE.length) : null;
}

/** The value of ``field`` on ``lead`` (a missing attribute is null). */
export function fieldValue(lead, field) {
  if (!lead) return null;
  const key = attributeKey(field);
  if (key != null) {
    const attrs = lead.attributes || {};
    return Object.hasOwn(attrs, key) ? attrs[key] : null;
  }
  return lead[field] ?? null;
}

function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k])]));
  }
  return value;
}

/** Do two values of ``field`` say the same? Money and score compare as numbers
 * ("250.00", 250 and "250" are one value), empty text as null, objects by content. */
export function sameValue(field, a, b) {
  if (field === 'value' || field === 'score') {
    const empty = (v) => v === null || v === undefined || v === '';
    if (empty(a) || empty(b)) return empty(a) && empty(b);
    return Number(a) === Number(b);
  }
  if (field === 'owner' || field === 'campaign') {
    const id = (v) => (v === null || v === undefined || v === '' ? null : Number(v));
    return id(a) === id(b);
  }
  const norm = (v) => (v === undefined || v === '' ? null : v);
  return JSON.stringify(canonical(norm(a))) === JSON.stringify(canonical(norm(b)));
}

/** What an input's text means for ``field``: owner and campaign ids (or null),
 * value and score as given (the server checks them), text trimmed. */
export function inputValue(field, text) {
  const raw = text == null ? '' : String(text);
  if (field === 'owner' || field === 'campaign') return raw === '' ? null : Number(raw);
  if (field === 'score' || field === 'value') return raw.trim();
  return raw.trim();
}

/**
 * The PATCH body that writes ``value`` into ``field`` on top of ``lead`` (the
 * lead as this browser last read it), with its ``version``. An attribute is sent
 * as the whole attributes object with that one key changed (null removes it).
 */
export function patchBody(lead, field, value) {
  const key = attributeKey(field);
  if (key == null) return { [field]: value, version: lead.version };
  const attributes = { ...(lead.attributes || {}) };
  if (value === null || value === undefined) delete attributes[key];
  else attributes[key] = value;
  return { attributes, version: lead.version };
}

/**
 * After a refused save (409) or a live change while editing: ``edits`` is
 * {field: {base, mine}} (``base``: the value when I started editing); ``theirs``
 * the lead as it is now. Answers {conflicts: [{field, base, mine, theirs}],
 * clean: [field]}: a conflict where they changed the field to something else
 * than mine; clean where they left it alone (or made it what I typed).
 */
export function compareEdits(edits, theirs) {
  const conflicts = [];
  const clean = [];
  for (const [field, { base, mine }] of Object.entries(edits)) {
    const now = fieldValue(theirs, field);
    if (sameValue(field, now, base) || sameValue(field, now, mine)) clean.push(field);
    else conflicts.push({ field, base, mine, theirs: now });
  }
  return { conflicts, clean };
}

const idOf = (x) => (x && typeof x === 'object' ? x.id : x);

/** Does this stored event concern lead ``leadId`` (its fields, stage, verdicts or notes)? */
export function eventTouchesLead(event, leadId) {
  if (!event || leadId == null) return false;
  const id = Number(leadId);
  if (event.lead !== undefined && Number(idOf(event.lead)) === id) return true;
  if (event.note && typeof event.note === 'object' && Number(event.note.lead) === id) return true;
  if (Array.isArray(event.moves) && event.moves.some((m) => Number(m.lead) === id)) return true;
  if (Array.isArray(event.leads) && event.leads.some((l) => Number(idOf(l)) === id)) return true;
  return false;
}

/** The lead named by the address (``?lead=12``), or null. */
export function leadOfSearch(search) {
  const raw = new URLSearchParams(search || '').get('lead');
  const id = raw != null && /^\d{1,12}$/.test(raw) ? Number(raw) : null;
  return id && id > 0 ? id : null;
}

/** ``search`` (``?...``) with ``lead`` set to ``leadId`` (null: removed), the rest kept. */
export function searchWithLead(search, leadId) {
  const params = new URLSearchParams(search || '');
  if (leadId == null) params.delete('lead');
  else params.set('lead', String(leadId));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** "3 days", "5 h", "12 min", "40 s": how long a lead stayed (seconds). */
export function stayText(seconds) {
  if (seconds == null || !Number.isFinite(Number(seconds))) return '';
  const s = Math.max(0, Math.round(Number(seconds)));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86400) return `${Math.round(s / 3600)} h`;
  const d = Math.round(s / 86400);
  return `${d} days`;
}
