import test from 'node:test';
import assert from 'node:assert/strict';
import { linkLine, linkAddress, momentText } from '../panels/sharelinks.js';

const moment = (at) => (at ? at.slice(11, 16) : '?');
const base = { id: 4, created_at: '2026-12-01T09:30:00Z', created_by: 'Dana Sales', expires_at: null, revoked_at: null };

test('a listed share link in words: who made it, when, its expiry, its state; never a token', () => {
  assert.deepEqual(linkLine({ ...base, state: 'active' }, { moment }), {
    state: 'active',
    text: 'Made 09:30 by Dana Sales · no expiry · active',
  });
  assert.deepEqual(linkLine({ ...base, expires_at: '2026-12-01T18:00:00Z', state: 'active' }, { moment }), {
    state: 'active',
    text: 'Made 09:30 by Dana Sales · expires 18:00 · active',
  });
  assert.deepEqual(linkLine({ ...base, expires_at: '2026-12-01T10:00:00Z', state: 'expired' }, { moment }), {
    state: 'expired',
    text: 'Made 09:30 by Dana Sales · expired 10:00 · expired',
  });
  // Revoked wins over expired, and says when.
  const revoked = { ...base, expires_at: '2026-12-01T10:00:00Z', revoked_at: '2026-12-01T09:45:00Z', state: 'revoked' };
  assert.deepEqual(linkLine(revoked, { moment }), { state: 'revoked', text: 'Made 09:30 by Dana Sales · revoked 09:45' });
  // A maker who left (created_by null), and an answer without a state.
  assert.deepEqual(linkLine({ ...base, created_by: null }, { moment }), { state: 'active', text: 'Made 09:30 · no expiry · active' });
  assert.equal(linkLine({ ...base, revoked_at: '2026-12-01T09:45:00Z', state: 'odd' }, { moment }).state, 'revoked');
});

test("a new link's address is the answer's url on this origin", () => {
  const link = { ...base, token: 'abc', url: '/boards/3/meeting/?share=abc' };
  assert.equal(linkAddress(link, 'https://fb.example'), 'https://fb.example/boards/3/meeting/?share=abc');
});

test('moments: the time today, the day and time otherwise, nothing for garbage', () => {
  const now = new Date(2026, 11, 1, 12, 0);
  const today = momentText(new Date(2026, 11, 1, 9, 5).toISOString(), now);
  assert.match(today, /09.05|9.05/);
  assert.ok(!/Dec/.test(today));
  const other = momentText(new Date(2026, 10, 28, 9, 5).toISOString(), now);
  assert.match(other, /28/);
  assert.equal(momentText('never', now), '');
});
