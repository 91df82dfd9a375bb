// The live link as the page uses it: the socket (socket.js) opened with the
// session or a share link's ticket, who else is here (presence), the live
// badge, what a final close means, and following the log without the socket
// (slower) while it is down.

import { createSocket, isFinalClose, CLOSE } from './socket.js';
import { socketUrl, ticketUrl } from './tickets.js';

const SIGNED_OUT = 'You are signed out. Sign in again to keep working.';

/** parts: {store, boardId, me, share (a share link's token, or null), sync, toolbar, toast, notify} */
export function createLink({ store, boardId, me, share, sync, toolbar, toast, notify }) {
  const presence = new Map();
  let status = 'reconnecting';
  let ended = false; // signed out, gone, or a revoked share link: nothing more to fetch

  const showPresence = () => toolbar.setPresence([...presence.values()], me);
  /** Only I am known to be here (before the hello, and while the link is down). */
  function onlyMe() {
    presence.clear();
    presence.set(me.id, { id: me.id, username: me.username, name: me.name, team: me.team });
    showPresence();
  }
  function signedOut() {
    toast(SIGNED_OUT, { kind: 'error', timeout: 0 });
  }

  // A guest (no session) gets a fresh single-use ticket before each (re)connect.
  const address = share ? () => ticketUrl(location, boardId, { share }) : socketUrl(location, boardId);
  const socket = createSocket(address, {
    hello(message) {
      presence.clear();
      for (const user of message.presence || []) presence.set(user.id, user);
      showPresence();
      if (store.asOf == null) sync.hello(message.seq); // in the past: caught up on the way back
    },
    event(message) {
      sync.receive(message);
    },
    message(message) {
      notify('message', message);
    },
    presence(message) {
      if (!message.user) return;
      if (message.type === 'presence.joined') presence.set(message.user.id, message.user);
      else presence.delete(message.user.id);
      showPresence();
    },
    status(s) {
      status = s;
      toolbar.setStatus(s);
      document.body.dataset.wsStatus = s;
      if (s !== 'live') onlyMe();
    },
    closed(code) {
      // Final closes: the board is no longer ours to follow; stop asking for it.
      if (isFinalClose(code)) ended = true;
      if (code === CLOSE.RESYNC) sync.reload();
      else if (code === CLOSE.UNAUTHENTICATED) signedOut();
      else if (code === CLOSE.NOT_FOUND) toast('This board is gone, or you are no longer a member.', { kind: 'error', timeout: 0 });
      notify('closed', code);
    },
    notice(message) {
      toast(message, { kind: 'error' });
    },
  });

  // Without the socket the board still follows the log, just slower.
  setInterval(() => {
    if (store.state && !ended && store.asOf == null && status !== 'live' && !sync.busy) sync.catchUp().catch(() => {});
  }, 10_000);

  toolbar.setStatus(status);
  document.body.dataset.wsStatus = status;
  onlyMe();

  return {
    socket,
    signedOut,
    get status() {
      return status;
    },
    get ended() {
      return ended;
    },
  };
}
