// The server's notes and notifications (leads.api.notes): REST calls only; the
// answers say what the caller may do (a note's ``may_edit``, ``edit_until``).

import { request } from './api.js';

const call = (method, path, { body, query } = {}) => request(method, path, { json: body, query, timeoutMs: 20_000 });

export const notesApi = {
  list(leadId, { limit = 100, offset = 0 } = {}) {
    return call('GET', `/api/leads/${leadId}/notes/`, { query: new URLSearchParams({ limit: String(limit), offset: String(offset) }) });
  },
  add(leadId, body) {
    return call('POST', `/api/leads/${leadId}/notes/`, { body: { body } });
  },
  change(noteId, body) {
    return call('PATCH', `/api/notes/${noteId}/`, { body: { body } });
  },
  remove(noteId) {
    return call('DELETE', `/api/notes/${noteId}/`);
  },
};

export const notificationsApi = {
  list({ limit = 20 } = {}) {
    return call('GET', '/api/notifications/', { query: new URLSearchParams({ limit: String(limit) }) });
  },
  /** ``ids``: those to mark read, or null for all. Answers {unread}. */
  read(ids = null) {
    return call('POST', '/api/notifications/read/', { body: ids == null ? { all: true } : { ids } });
  },
  digest(enabled) {
    return call('PUT', '/api/notifications/digest/', { body: { enabled } });
  },
};
