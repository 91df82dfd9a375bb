// The bell in the board's top bar: my unread count, a dropdown of my latest
// notifications (text, time, unread marked), "Mark all read", and the daily
// digest toggle. Live: the socket's ephemeral ``notification`` message (sent to
// my sockets only: leads.services.notifications) puts the item on top and sets
// the count. A click on an item marks it read and opens its lead: on this board
// the address gets ``?lead=`` (history.pushState, then a popstate for whoever
// opens lead drawers), on another board the browser goes there.
// A feature (ui/features.js): message(message).

import { ago } from '../core/format.js';
import { markedRead, notificationLink, unreadBadge, withNotification } from '../core/notes.js';
import { notificationsApi } from '../net/notes.js';

export function createBell(root, { boardId, toast, api = notificationsApi }) {
  const button = root.querySelector('#bell');
  const badge = root.querySelector('#bell-count');
  const menu = root.querySelector('#bell-menu');
  if (!button || !badge || !menu) return {};
  const list = menu.querySelector('[data-list]');
  const empty = menu.querySelector('[data-empty]');
  const readAll = menu.querySelector('[data-read-all]');
  const digest = menu.querySelector('[data-digest]');
  let items = [];
  let unread = 0;

  function showCount() {
    const text = unreadBadge(unread);
    badge.textContent = text;
    badge.hidden = !text;
    button.setAttribute('aria-label', unread ? `Notifications, ${unread} unread` : 'Notifications');
    button.dataset.unread = String(unread);
    readAll.disabled = unread === 0;
  }

  function draw() {
    list.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement('li');
        li.className = item.read ? 'bell-item' : 'bell-item unread';
        li.dataset.notification = String(item.id);
        const link = document.createElement('a');
        link.href = notificationLink(item);
        const text = document.createElement('span');
        text.className = 'bell-text';
        text.textContent = item.text;
        const time = document.createElement('time');
        time.dateTime = item.created_at;
        time.textContent = ago(item.created_at);
        link.append(text, time);
        if (!item.read) {
          const mark = document.createElement('span');
          mark.className = 'visually-hidden';
          mark.textContent = ' (unread)';
          link.append(mark);
        }
        link.addEventListener('click', (e) => open(e, item));
        li.append(link);
        return li;
      }),
    );
    empty.hidden = items.length > 0;
    showCount();
  }

  async function load() {
    try {
      const page = await api.list();
      items = page.results || [];
      unread = page.unread || 0;
      digest.checked = !!page.digest;
      draw();
    } catch {
      // The bell stays as it was; the board works without it.
    }
  }

  async function open(e, item) {
    const url = notificationLink(item);
    if (!item.read) {
      items = markedRead(items, [item.id]);
      unread = Math.max(0, unread - 1);
      draw();
      api.read([item.id]).then((answer) => {
        unread = answer.unread;
        showCount();
      }, () => {});
    }
    if (item.board === boardId && item.lead != null) {
      e.preventDefault();
      close();
      const next = new URL(location.href);
      next.searchParams.set('lead', String(item.lead));
      history.pushState(null, '', next.pathname + next.search);
      window.dispatchEvent(new PopStateEvent('popstate'));
    }
    // Another board: the link goes there.
  }

  function close() {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  }

  button.addEventListener('click', () => {
    const opening = menu.hidden;
    menu.hidden = !opening;
    button.setAttribute('aria-expanded', String(opening));
    if (opening) load();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !menu.hidden) {
      close();
      button.focus();
    }
  });
  document.addEventListener('click', (e) => {
    if (!menu.hidden && !menu.contains(e.target) && !button.contains(e.target)) close();
  });
  readAll.addEventListener('click', async () => {
    try {
      const answer = await api.read(null);
      items = markedRead(items);
      unread = answer.unread;
      draw();
    } catch (err) {
      toast(err.message, { kind: 'error' });
    }
  });
  digest.addEventListener('change', async () => {
    const wanted = digest.checked;
    try {
      const answer = await api.digest(wanted);
      digest.checked = !!answer.enabled;
    } catch (err) {
      digest.checked = !wanted;
      toast(err.message, { kind: 'error' });
    }
  });

  load();
  return {
    message(message) {
      if (!message || message.type !== 'notification') return;
      items = withNotification(items, message.notification);
      unread = message.unread;
      draw();
    },
  };
}
