// REST calls of the board (session auth + CSRF header from the page; the meeting view opened
// through a share link sends ``X-Share-Token`` instead). Errors are ApiError
// with the server's readable ``detail``.

import { filterParams } from '../core/filters.js';

export class ApiError extends Error {
  constructor(status, body, message) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/**
 * The page's CSRF token, from ``<meta name="csrf-token">`` (templates/base.html): the
 * ``csrftoken`` cookie is HttpOnly (settings.CSRF_COOKIE_HTTPONLY), out of scripts' reach.
 */
export function csrfToken(doc = typeof document !== 'undefined' ? document : null) {
  const meta = doc ? doc.querySelector('meta[name="csrf-token"]') : null;
  return (meta && meta.getAttribute('content')) || '';
}

/** The server's words for a failed answer, or what the status means. */
export function failureText(status, body) {
  if (body && typeof body.detail === 'string' && body.detail) return body.detail;
  if (status === 0) return 'Could not reach the server. Check the connection and try again.';
  if (status === 401 || status === 403) return 'You are signed out or not allowed to do this.';
  if (status === 404) return 'Not found: it may have been deleted.';
  if (status === 413) return 'The file is too large for the server.';
  if (status >= 500) return `The server failed (${status}). Nothing was changed; try again in a moment.`;
  return `Request failed (${status}).`;
}

/**
 * One REST call. ``json``: a body sent as JSON; ``form``: a FormData sent as
 * multipart (the browser sets the boundary); ``query``: URLSearchParams;
 * ``share``: a share link's token; ``text``: answer the body as text (a
 * download). Answers the parsed JSON (null when empty); a failure is an
 * ApiError with the server's ``detail`` and its body (an import's report comes
 * back with a 400, for instance).
 */
export async function request(
  method,
  path,
  { json, form, query, share = null, text = false, timeoutMs = 30_000, fetchImpl = (...a) => globalThis.fetch(...a), csrf = () => csrfToken() } = {},
) {
  const url = query && query.toString() ? `${path}?${query}` : path;
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  if (method !== 'GET') headers['X-CSRFToken'] = csrf();
  if (share) headers['X-Share-Token'] = share;
  const controller = typeof AbortController !== 'undefined' ? new AbortController() : null;
  const timer = controller && timeoutMs ? setTimeout(() => controller.abort(), timeoutMs) : null;
  let response;
  try {
    response = await fetchImpl(url, { method, headers, body, credentials: 'same-origin', signal: controller ? controller.signal : undefined });
  } catch {
    throw new ApiError(0, null, failureText(0, null));
  } finally {
    if (timer) clearTimeout(timer);
  }
  if (text && response.ok) return response.text();
  let data = null;
  if ((response.headers.get('Content-Type') || '').includes('json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data, failureText(response.status, data));
  return data;
}

/** ``share``: a read-only share link's token (the meeting view without an account). */
export function createApi(boardId, { fetchImpl = (...a) => globalThis.fetch(...a), csrf = () => csrfToken(), share = null } = {}) {
  const call = (method, path, { body, query, timeoutMs = 20_000, text = false } = {}) =>
    request(method, path, { json: body, query, timeoutMs, text, share, fetchImpl, csrf });

  const board = `/api/boards/${boardId}`;
  return {
    /** ``asOf`` (ISO moment, or null for the live board): the board as it stood then. */
    state(filters, { perStage = 50, stage = null, cursor = null, asOf = null } = {}) {
      const query = filterParams(filters);
      query.set('per_stage', String(perStage));
      if (stage != null) query.set('stage', String(stage));
      if (cursor) query.set('cursor', cursor);
      if (asOf) query.set('as_of', asOf);
      return call('GET', `${board}/state/`, { query });
    },
    events(after, limit = 1000) {
      return call('GET', `${board}/events/`, { query: new URLSearchParams({ after: String(after), limit: String(limit) }) });
    },
    funnel(filters, { asOf = null } = {}) {
      // The funnel figures take the board's filters (same names as /state/).
      const query = filterParams(filters);
      if (asOf) query.set('as_of', asOf);
      return call('GET', `${board}/funnel/`, { query });
    },
    /** The side panel's plotly figures, for the filters (and a past moment). */
    charts(filters, { asOf = null } = {}) {
      const query = filterParams(filters);
      if (asOf) query.set('as_of', asOf);
      return call('GET', `${board}/charts/`, { query });
    },
    /** The board's moves in [start, end), oldest first: {transitions, has_more}. */
    boardTransitions({ start = null, end = null, limit = null } = {}) {
      const query = new URLSearchParams();
      if (start) query.set('start', start);
      if (end) query.set('end', end);
      if (limit) query.set('limit', String(limit));
      return call('GET', `${board}/transitions/`, { query });
    },
    moveLead(leadId, body) {
      return call('POST', `/api/leads/${leadId}/move/`, { body });
    },
    updateLead(leadId, body) {
      return call('PATCH', `/api/leads/${leadId}/`, { body });
    },
    /** The board's lost reasons, as the owner last set them: {reasons}. */
    lostReasons() {
      return call('GET', `${board}/lost-reasons/`);
    },
    moveCampaign(campaignId, body) {
      return call('POST', `/api/campaigns/${campaignId}/move/`, { body });
    },
    undo(body) {
      return call('POST', `${board}/undo/`, { body });
    },
    /** Many leads at once: {leads, action: move|assign|campaign|lost, ...} -> {batch, seq, count, event}. */
    bulk(body) {
      return call('POST', `${board}/bulk/`, { body });
    },
    archiveLead(leadId) {
      return call('POST', `/api/leads/${leadId}/archive/`, {});
    },
    eraseLead(leadId, confirm) {
      return call('POST', `/api/leads/${leadId}/erase/`, { body: { confirm } });
    },
    transitions(leadId) {
      return call('GET', `/api/leads/${leadId}/transitions/`);
    },
    // The board's stages (owners): each answer carries its stored event.
    createStage(body) {
      return call('POST', `${board}/stages/`, { body });
    },
    updateStage(stageId, body) {
      return call('PATCH', `/api/stages/${stageId}/`, { body });
    },
    /** ``body``: {move_to} when the stage holds leads. */
    deleteStage(stageId, body = {}) {
      return call('DELETE', `/api/stages/${stageId}/`, { body });
    },
    reorderStages(stages) {
      return call('POST', `${board}/stages/order/`, { body: { stages } });
    },
    // Meetings (meeting view): start, end (answers the recap), one, its recap as Markdown.
    meetingStart() {
      return call('POST', `${board}/meetings/`);
    },
    meetingEnd(meetingId) {
      return call('POST', `${board}/meetings/${meetingId}/end/`);
    },
    meeting(meetingId) {
      return call('GET', `${board}/meetings/${meetingId}/`);
    },
    meetingRecapMarkdown(meetingId) {
      return call('GET', `${board}/meetings/${meetingId}/recap.md`, { text: true });
    },
    // Read-only share links to the meeting view (editors): listed without tokens;
    // a new link's token and url are in its creation's answer only.
    shareLinks() {
      return call('GET', `${board}/share-links/`);
    },
    shareLinkCreate(body = {}) {
      return call('POST', `${board}/share-links/`, { body });
    },
    /** Revoke by the link's id (the list shows no tokens). */
    shareLinkRevoke(linkId) {
      return call('DELETE', `${board}/share-links/${encodeURIComponent(String(linkId))}/`);
    },
  };
}
