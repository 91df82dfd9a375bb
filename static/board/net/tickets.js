// Where a board's socket opens: members' browsers with their session cookie;
// a share link's guest has none, so before each (re)connect it trades the
// link's token (a header, never in a URL) for a single-use ticket
// (POST /api/ws-ticket/) and opens ?ticket=.

import { request } from './api.js';
import { CLOSE } from '../generated/contract.js';

/** ``ticket``: a single-use ticket from POST /api/ws-ticket/. */
export function socketUrl(location, boardId, { ticket = null } = {}) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = ticket ? `?ticket=${encodeURIComponent(ticket)}` : '';
  return `${scheme}://${location.host}/ws/boards/${boardId}/${query}`;
}

/** The server will not open the socket: act as if it had closed with ``code``. */
export class SocketRefused extends Error {
  constructor(code) {
    super(`socket refused (${code})`);
    this.closeCode = code;
  }
}

/** The socket URL of a share link's guest, with a fresh ticket of the link
 * (``share``: its token). A link that no longer works is SHARE_ENDED. */
export async function ticketUrl(location, boardId, { share, fetchImpl } = {}) {
  let answer;
  try {
    answer = await request('POST', '/api/ws-ticket/', { share, timeoutMs: 10_000, ...(fetchImpl ? { fetchImpl } : {}) });
  } catch (error) {
    if (error && (error.status === 401 || error.status === 403)) throw new SocketRefused(CLOSE.SHARE_ENDED);
    throw error;
  }
  return socketUrl(location, boardId, { ticket: answer.ticket });
}
