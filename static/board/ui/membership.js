// The board follows who I am on it: the server's member events say so at once.
// ``member.updated`` of me: my role, team and rights (``me.may_edit``,
// ``me.may_judge``: the server's answers, leads.rules) change in place, so a
// viewer made editor drags without a reload. ``member.removed`` of me, or the
// socket's close 4403: the board says so and stops following. Others joining
// are told in a toast.

import { CLOSE } from '../net/socket.js';
import { addToTestHook } from './hook.js';

export const REMOVED = 'You were removed from this board. Ask its owner to invite you again.';
const TEAMS = { marketing: 'Marketing', sales: 'Sales', management: 'Management' };

/** The state's ``board.me`` with my new role and team (what the lane asks: may_judge). */
export function withMe(state, member) {
  if (!state || !state.board) return state;
  const me = { ...(state.board.me || {}), role: member.role, team: member.team, may_judge: member.may_judge };
  return { ...state, board: { ...state.board, me } };
}

/** What the member sees when their rights change. */
export function rightsMessage(before, member) {
  if (member.may_edit && !before) return 'You can now edit this board.';
  if (!member.may_edit && before) return 'You can now only view this board.';
  return `You are now ${member.role} in ${TEAMS[member.team] || member.team}.`;
}

/** parts: {me (config.me, changed in place), store, render, toast, socket, viewOnlyEl,
 * rightsChanged() (the page redraws what depends on may_edit)} */
export function createMembership({ me, store, render, toast, socket, viewOnlyEl, rightsChanged }) {
  let removed = false;

  function myRights(member) {
    const before = me.may_edit === true;
    Object.assign(me, {
      role: member.role,
      team: member.team,
      name: member.name,
      may_edit: member.may_edit === true,
      may_judge: member.may_judge === true,
      may_set_up: member.may_set_up === true,
    });
    store.state = withMe(store.state, member);
    if (viewOnlyEl && !removed) viewOnlyEl.hidden = me.may_edit;
    rightsChanged();
    render();
    toast(rightsMessage(before, member));
  }

  function gone() {
    if (removed) return;
    removed = true;
    Object.assign(me, { may_edit: false, may_judge: false, may_set_up: false });
    socket.stop();
    if (viewOnlyEl) {
      viewOnlyEl.textContent = REMOVED;
      viewOnlyEl.classList.add('removed');
      viewOnlyEl.setAttribute('role', 'alert');
      viewOnlyEl.hidden = false;
    }
    if (typeof document !== 'undefined') document.body.dataset.removed = '1';
    rightsChanged();
    render();
    toast(REMOVED, { kind: 'error', timeout: 0 });
  }

  addToTestHook('removed', () => removed);
  addToTestHook('me', () => ({ ...me }));

  return {
    events(events, effects) {
      for (const effect of effects || []) {
        if (effect.kind !== 'member') continue;
        if (effect.change === 'removed' && effect.user === me.id) gone();
        else if (effect.change === 'updated' && effect.member && effect.member.id === me.id) myRights(effect.member);
        else if (effect.change === 'joined' && effect.member && effect.member.id !== me.id) toast(`${effect.member.name} joined the board.`);
      }
    },
    closed(code) {
      if (code === CLOSE.REMOVED) gone();
    },
    get removed() {
      return removed;
    },
  };
}
