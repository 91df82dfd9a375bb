// People on the board: the member events in the reducer (``people`` as /state/
// lists them) and the page following its own member events (ui/membership.js).
import test from 'node:test';
import assert from 'node:assert/strict';
import { loadState, applyEvent, applyEvents } from '../core/reducer.js';
import { emptyFilters, parseFilters } from '../core/filters.js';
import { CLOSE } from '../net/socket.js';
import { createMembership, REMOVED, rightsMessage, withMe } from '../ui/membership.js';
import { apiState, card, memberJoined, memberRemoved, memberUpdated, DANA, ME } from './fixtures.js';

const SAM = { id: 12, username: 'sam', name: 'Sam Sales', team: 'sales' };
const fresh = (filters = emptyFilters()) => loadState(apiState(), filters);

test('member.joined adds the person as /state/ lists people: no role, no rights', () => {
  const r = applyEvent(fresh(), memberJoined(11, SAM, 'viewer'));
  assert.equal(r.applied, 1);
  assert.deepEqual(r.state.people[12], SAM);
  assert.equal(r.refetch, false);
  assert.deepEqual(r.effects.map((e) => [e.kind, e.change, e.member.id]), [['member', 'joined', 12]]);
});

test('member.updated changes the team in people; with a team filter on, the figures come from the server', () => {
  const moved = { ...DANA, team: 'management' };
  const plain = applyEvent(fresh(), memberUpdated(11, moved, 'editor', ['team']));
  assert.equal(plain.state.people[7].team, 'management');
  assert.equal(plain.refetch, false);
  const filtered = applyEvent(fresh(parseFilters('?team=sales')), memberUpdated(11, moved, 'editor', ['team']));
  assert.equal(filtered.refetch, true);
  // A role change alone changes no figure, filter or not.
  const role = applyEvent(fresh(parseFilters('?team=sales')), memberUpdated(11, DANA, 'viewer', ['role']));
  assert.equal(role.refetch, false);
});

test('member.removed: gone from people, unless a loaded card is theirs (then a name and no team)', () => {
  // Dana (7) owns no loaded card; Mara (1) owns them all (fixtures' card owner).
  const dana = applyEvent(fresh(), memberRemoved(11, DANA.id));
  assert.equal(dana.state.people[7], undefined);
  const mara = applyEvent(fresh(), memberRemoved(11, ME.id));
  assert.deepEqual(mara.state.people[1], { ...ME, team: null });
  assert.deepEqual(mara.effects.map((e) => [e.change, e.user, e.name]), [['removed', 1, ME.name]]);
  const owned = loadState(apiState({ stages: apiState().stages.map((s) => ({ ...s, leads: s.leads.map((c) => ({ ...c, owner: 7 })) })) }), emptyFilters());
  assert.deepEqual(applyEvent(owned, memberRemoved(11, DANA.id)).state.people[7], { ...DANA, team: null });
});

test('joined, changed and removed in a row leave what a fresh /state/ would list', () => {
  const r = applyEvents(fresh(), [
    memberJoined(11, SAM, 'viewer'),
    memberUpdated(12, { ...SAM, team: 'marketing' }, 'editor', ['role', 'team']),
    memberRemoved(13, SAM.id),
  ]);
  assert.equal(r.applied, 3);
  assert.deepEqual(Object.keys(r.state.people).sort(), ['1', '7']);
});

function page(me) {
  const said = [];
  const parts = {
    me,
    store: { state: fresh() },
    rendered: 0,
    rights: 0,
    stopped: 0,
  };
  const membership = createMembership({
    me,
    store: parts.store,
    render: () => (parts.rendered += 1),
    toast: (text, options) => said.push([text, options ? options.kind : 'info']),
    socket: { stop: () => (parts.stopped += 1) },
    viewOnlyEl: { hidden: false, textContent: '', classList: { add() {} }, setAttribute() {} },
    rightsChanged: () => (parts.rights += 1),
  });
  return { membership, parts, said };
}

const effectsOf = (state, event) => applyEvent(state, event).effects;

test('my member.updated: a viewer made editor may edit at once (me changed in place)', () => {
  const me = { ...DANA, role: 'viewer', may_edit: false, may_judge: false };
  const { membership, parts, said } = page(me);
  membership.events([], effectsOf(parts.store.state, memberUpdated(11, DANA, 'editor', ['role'])));
  assert.equal(me.may_edit, true);
  assert.equal(me.may_judge, true); // sales editor
  assert.equal(me.role, 'editor');
  assert.deepEqual(parts.store.state.board.me, { role: 'editor', team: 'sales', may_judge: true });
  assert.equal(parts.rights, 1);
  assert.ok(parts.rendered >= 1);
  assert.deepEqual(said, [['You can now edit this board.', 'info']]);
});

test('someone else changed: my rights stay; someone joining is told', () => {
  const me = { ...ME, role: 'editor', may_edit: true, may_judge: false };
  const { membership, parts, said } = page(me);
  membership.events([], effectsOf(parts.store.state, memberUpdated(11, DANA, 'viewer', ['role'])));
  assert.equal(me.may_edit, true);
  membership.events([], effectsOf(fresh(), memberJoined(11, SAM)));
  assert.deepEqual(said, [['Sam Sales joined the board.', 'info']]);
});

test('removed (event or close 4403): the board says so once and stops following', () => {
  const me = { ...ME, role: 'editor', may_edit: true, may_judge: false };
  const { membership, parts, said } = page(me);
  membership.events([], effectsOf(parts.store.state, memberRemoved(11, ME.id)));
  membership.closed(CLOSE.REMOVED);
  assert.equal(membership.removed, true);
  assert.equal(me.may_edit, false);
  assert.equal(parts.stopped, 1);
  assert.deepEqual(said, [[REMOVED, 'error']]);

  const other = page({ ...ME, may_edit: true });
  other.membership.closed(CLOSE.REMOVED);
  assert.equal(other.membership.removed, true);
  other.membership.closed(CLOSE.RESYNC);
  assert.equal(other.said.length, 1);
});

test('the words for a change of rights, and the state keeps the rest of board.me', () => {
  assert.equal(rightsMessage(true, { role: 'viewer', team: 'sales', may_edit: false }), 'You can now only view this board.');
  assert.equal(rightsMessage(true, { role: 'owner', team: 'management', may_edit: true }), 'You are now owner in Management.');
  const s = withMe(loadState(apiState({ board: { id: 9, name: 'Q4', last_seq: 10, me: { role: 'viewer', team: 'sales', may_judge: false } } }), emptyFilters()), { role: 'editor', team: 'sales', may_judge: true });
  assert.deepEqual(s.board, { id: 9, name: 'Q4', last_seq: 10, me: { role: 'editor', team: 'sales', may_judge: true } });
});
