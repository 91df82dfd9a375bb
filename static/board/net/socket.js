// The board's websocket: connect, reconnect with backoff and jitter, keep
// alive with pings, and tell what state the link is in:
//   live          hello received, events flowing
//   reconnecting  lost it, trying again
//   offline       no network, or several tries failed (still trying, slower)
// Writes never go through here (REST), so the page keeps working without it.
//
// Members' browsers open it with their session cookie; a share link's guest
// opens it with a fresh ticket before each (re)connect (tickets.js).

import { CLOSE, EPHEMERAL_TYPES } from '../generated/contract.js';
import { SocketRefused } from './tickets.js';

// The server's close codes (funnel.realtime.consumer.Close, written into the build by
// manage.py event_contract): TOO_BIG, BAD_MESSAGE, UNAUTHENTICATED, NOT_FOUND,
// RESYNC, SHARE_ENDED (the share link was revoked or expired), TOO_MANY, REMOVED
// (the member was removed from the board, or left it).
export { CLOSE };

// Never stored, even with a seq (numbers.updated counts to one).
const EPHEMERAL = new Set(EPHEMERAL_TYPES);

// What the board tells the user when the server closes with one of these codes
// (4401 and 4404 are handled by the page; 4408 resyncs silently).
export const CLOSE_MESSAGES = {
  [CLOSE.TOO_BIG]: 'The live link sent a message the server found too big; reconnecting.',
  [CLOSE.BAD_MESSAGE]: 'The live link sent something the server did not understand; reconnecting.',
  [CLOSE.TOO_MANY]: 'Too many open connections to this board (or too many messages). Close other tabs; retrying shortly.',
};

export function closeMessage(code) {
  return CLOSE_MESSAGES[code] || null;
}

/** Does the server mean a close as final (signed out, board gone, share link
 * ended, removed from the board)? Then the socket stops retrying and the page stops asking. */
export function isFinalClose(code) {
  return code === CLOSE.UNAUTHENTICATED || code === CLOSE.NOT_FOUND || code === CLOSE.SHARE_ENDED || code === CLOSE.REMOVED;
}

/** Delay before reconnect attempt ``attempt`` (0-based): exponential, capped,
 * with "equal jitter" so a room of browsers does not reconnect in step. */
export function backoffDelay(attempt, random = Math.random, base = 500, cap = 30_000) {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** What the badge says after ``failures`` failed attempts in a row. */
export function linkStatus({ open, hello, failures, online }) {
  if (open && hello) return 'live';
  if (online === false || failures >= 4) return 'offline';
  return 'reconnecting';
}

/**
 * ``url``: the socket's URL, or a function answering it (or a promise of it)
 * before each (re)connect; a SocketRefused from it counts as that close code,
 * any other failure as a failed attempt.
 * handlers: {hello(msg), event(msg), presence(msg), message(msg), status(s), closed(code)}
 * (``message``: ephemeral messages without a seq, e.g. import.progress, meeting.follow)
 * A close the server means as final (4401, 4403, 4404, 4410) stops retrying.
 */
export function createSocket(url, handlers, { WebSocketImpl = globalThis.WebSocket, pingMs = 25_000 } = {}) {
  let ws = null;
  let attempt = 0; // a newer connect() makes an older one's pending URL stale
  let failures = 0;
  let hello = false;
  let stopped = false;
  let retryTimer = null;
  let pingTimer = null;
  let pongDue = null;
  let status = null;

  const online = () => (typeof navigator !== 'undefined' ? navigator.onLine !== false : true);

  function setStatus() {
    const next = linkStatus({ open: ws && ws.readyState === 1, hello, failures, online: online() });
    if (next !== status) {
      status = next;
      handlers.status && handlers.status(next);
    }
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (stopped) return;
    hello = false;
    const mine = ++attempt;
    if (typeof url !== 'function') {
      open(url);
      return;
    }
    Promise.resolve()
      .then(url)
      .then(
        (address) => {
          if (mine === attempt && !stopped) open(address);
        },
        (error) => {
          if (mine !== attempt || stopped) return;
          if (error && error.closeCode) {
            ended(error.closeCode, false);
          } else {
            failures += 1;
            scheduleRetry();
          }
        },
      );
  }

  function open(address) {
    let socket;
    try {
      socket = new WebSocketImpl(address);
    } catch {
      scheduleRetry();
      return;
    }
    ws = socket;
    socket.onopen = () => {
      setStatus();
      startPing();
    };
    socket.onmessage = (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      pongDue = null;
      if (data.type === 'hello') {
        hello = true;
        failures = 0;
        setStatus();
        handlers.hello && handlers.hello(data);
      } else if (data.type === 'pong' || data.type === 'error') {
        // keep-alive answer / an unknown message of ours
      } else if (data.type === 'presence.joined' || data.type === 'presence.left') {
        handlers.presence && handlers.presence(data);
      } else if (data.seq != null && !EPHEMERAL.has(data.type)) {
        handlers.event && handlers.event(data);
      } else if (typeof data.type === 'string') {
        // Ephemeral, not stored: import.progress, meeting.follow, ...
        handlers.message && handlers.message(data);
      }
    };
    socket.onclose = (close) => {
      if (ws !== socket) return;
      ws = null;
      stopPing();
      const wasLive = hello;
      hello = false;
      ended(close.code, wasLive);
    };
    socket.onerror = () => {};
  }

  function ended(code, wasLive) {
    handlers.closed && handlers.closed(code);
    const message = closeMessage(code);
    if (message && handlers.notice) handlers.notice(message, code);
    if (code === CLOSE.TOO_MANY) {
      // Refused or throttled: back off as after several failures, not at once.
      failures = Math.max(failures, 3) + 1;
      scheduleRetry();
      return;
    }
    if (isFinalClose(code)) {
      stopped = true;
      failures = Math.max(failures, 4);
      setStatus();
      return;
    }
    if (!wasLive) failures += 1;
    scheduleRetry(wasLive);
  }

  function scheduleRetry(quick = false) {
    if (stopped) return;
    setStatus();
    const delay = quick ? backoffDelay(0) : backoffDelay(failures);
    retryTimer = setTimeout(connect, delay);
  }

  function startPing() {
    stopPing();
    pingTimer = setInterval(() => {
      if (!ws || ws.readyState !== 1) return;
      if (pongDue && Date.now() > pongDue) {
        // No answer to the last ping: the link is dead even if the browser has not noticed.
        ws.close(4000, 'no pong');
        return;
      }
      try {
        ws.send('{"type":"ping"}');
        pongDue = pongDue || Date.now() + 10_000;
      } catch {
        /* the close handler reconnects */
      }
    }, pingMs);
  }

  function stopPing() {
    clearInterval(pingTimer);
    pingTimer = null;
    pongDue = null;
  }

  if (typeof window !== 'undefined') {
    window.addEventListener('online', () => {
      failures = 0;
      if (!ws && !stopped) connect();
      setStatus();
    });
    window.addEventListener('offline', () => setStatus());
  }

  return {
    start() {
      stopped = false;
      connect();
      setStatus();
    },
    /** Drop the link and come back at once (e.g. told to resync). */
    restart() {
      if (ws) {
        const old = ws;
        ws = null;
        old.close();
      }
      stopPing();
      hello = false;
      connect();
    },
    /** For good (the page has nothing more to follow): the badge says offline. */
    stop() {
      stopped = true;
      clearTimeout(retryTimer);
      stopPing();
      if (ws) ws.close();
      ws = null;
      hello = false;
      failures = Math.max(failures, 4);
      setStatus();
    },
    /** Send a message if the link is up; false when it is not. */
    send(message) {
      if (!ws || !hello) return false;
      try {
        ws.send(JSON.stringify(message));
        return true;
      } catch {
        return false;
      }
    },
    get status() {
      return status || 'reconnecting';
    },
  };
}
