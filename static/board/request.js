// REST calls of the data bridge's board features (import, handoff feedback, lead
// quality): JSON or a multipart form, session auth with the CSRF header, errors
// as api.js's ApiError carrying the server's readable ``detail`` and its body
// (an import's report comes back with a 400, for instance).

import { ApiError, cookie } from './api.js';

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
 * ``json``: a body sent as JSON; ``form``: a FormData sent as multipart;
 * ``query``: URLSearchParams; ``share``: a share link's token (the meeting view
 * opened through a link reads with it). Answers the parsed JSON (null when empty).
 */
export async function request(method, path, { json, form, query, share = null, timeoutMs = 30_000, fetchImpl = (...a) => globalThis.fetch(...a) } = {}) {
  const url = query && query.toString() ? `${path}?${query}` : path;
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // the browser sets the multipart boundary
  }
  if (method !== 'GET') headers['X-CSRFToken'] = cookie('csrftoken');
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
