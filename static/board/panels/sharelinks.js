// The meeting view's share links (owners and editors): the list (who made each
// link, when, its expiry and state, and Revoke), and a new link's URL.
//
// The server keeps only a digest of each token, so the list cannot show a link's
// URL: a new link's URL is shown once, right after it is made, with a Copy
// button, and wiped when the dialog closes. Revoking goes by the link's id.

const STATES = new Set(['active', 'revoked', 'expired']);

/** "14:05" today, "2 Dec 14:05" another day (in this browser's time zone). */
export function momentText(at, now = new Date()) {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '';
  const time = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`;
}

/** A listed link in words: {state, text}, e.g. "Made 14:05 by Dana Sales · no
 * expiry · active". ``state`` is the server's (active, revoked, expired). */
export function linkLine(link, { moment = momentText } = {}) {
  const state = STATES.has(link.state) ? link.state : link.revoked_at ? 'revoked' : 'active';
  const made = `Made ${moment(link.created_at)}${link.created_by ? ` by ${link.created_by}` : ''}`;
  let ends;
  if (state === 'revoked') ends = `revoked ${moment(link.revoked_at)}`;
  else if (link.expires_at) ends = `${state === 'expired' ? 'expired' : 'expires'} ${moment(link.expires_at)}`;
  else ends = 'no expiry';
  return { state, text: state === 'revoked' ? `${made} · ${ends}` : `${made} · ${ends} · ${state}` };
}

/** The full address of a new link (the answer's ``url`` is a path). */
export function linkAddress(link, origin) {
  return new URL(link.url, origin).href;
}

/**
 * The share dialog. ``ui``: {open (button), dialog, list, url (input)}; the
 * dialog's [data-create] and [data-close] buttons. Answers {refreshIfOpen()} for
 * the socket's ``share.revoked``.
 */
export function createShareLinks(board, ui) {
  let fresh = null; // id of the link made in this opening of the dialog

  // The URL field and its Copy button, shown for a new link only.
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'button';
  copy.textContent = 'Copy';
  copy.dataset.copy = '';
  const row = document.createElement('div');
  row.className = 'meeting-link-new';
  ui.url.replaceWith(row);
  row.append(ui.url, copy);
  const note = document.createElement('p');
  note.className = 'meeting-dialog-note';
  note.textContent = 'Copy the link now: it is shown only once. The list below never shows it again.';
  row.after(note);

  ui.url.hidden = false; // the row shows and hides it now

  function showUrl(address) {
    ui.url.value = address;
    row.hidden = address === '';
    note.hidden = address === '';
  }
  showUrl('');

  function linkRow(link) {
    const { state, text } = linkLine(link);
    const li = document.createElement('li');
    li.className = 'meeting-link';
    li.dataset.state = state;
    li.dataset.link = String(link.id);
    if (link.id === fresh) li.dataset.fresh = '';
    const words = document.createElement('span');
    words.textContent = text;
    li.append(words);
    if (state === 'active') {
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.className = 'button';
      revoke.textContent = 'Revoke';
      revoke.dataset.revoke = String(link.id);
      revoke.addEventListener('click', () => revokeLink(link.id));
      li.append(revoke);
    }
    return li;
  }

  async function refresh() {
    try {
      const links = await board.api.shareLinks();
      ui.list.replaceChildren(...links.map(linkRow));
      if (!links.length) ui.list.textContent = 'No share links yet.';
    } catch (error) {
      ui.list.textContent = `Could not load the links: ${error.message}`;
    }
  }

  async function copyUrl() {
    ui.url.select();
    try {
      await navigator.clipboard.writeText(ui.url.value);
      board.toast('Link copied: anyone with it can watch this meeting, read-only.');
    } catch {
      board.toast('Copy the selected link (Ctrl+C).');
    }
  }

  async function revokeLink(id) {
    try {
      await board.api.shareLinkRevoke(id);
      board.toast('Link revoked: views opened with it have closed.');
    } catch (error) {
      board.toast(`Could not revoke the link: ${error.message}`, { kind: 'error' });
    }
    refresh();
  }

  copy.addEventListener('click', copyUrl);
  ui.open.addEventListener('click', () => {
    fresh = null;
    showUrl('');
    ui.dialog.showModal();
    refresh();
  });
  ui.dialog.querySelector('[data-create]').addEventListener('click', async () => {
    try {
      const link = await board.api.shareLinkCreate();
      fresh = link.id;
      showUrl(linkAddress(link, location.origin));
      await copyUrl();
    } catch (error) {
      board.toast(`Could not make a link: ${error.message}`, { kind: 'error' });
    }
    refresh();
  });
  ui.dialog.querySelector('[data-close]').addEventListener('click', () => ui.dialog.close());
  // Closed any way (Escape too): the new link's URL is gone from the page.
  ui.dialog.addEventListener('close', () => showUrl(''));

  return {
    refreshIfOpen() {
      if (ui.dialog.open) refresh();
    },
  };
}
