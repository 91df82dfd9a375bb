// The mode pill's words (core/mode.js) and the board's one date rule (core/format.js
// dateLabel, which the time bar's readout uses too).

import test from 'node:test';
import assert from 'node:assert/strict';
import { modeOf } from '../core/mode.js';
import { dateLabel } from '../core/format.js';
import { dayLabel, momentLabel } from '../core/replay.js';

const END_OF_DAY = '2026-11-01T23:59:59.999Z';

test('the live board leaves the pill to the live link', () => {
  assert.equal(modeOf({ asOf: null }), null);
  assert.equal(modeOf({ asOf: null, replay: 'loading' }), null);
  assert.equal(modeOf(), null);
});

test('a past date reads "As of 1 Nov 2026", never Live', () => {
  const mode = modeOf({ asOf: END_OF_DAY });
  assert.equal(mode.mode, 'past');
  assert.equal(mode.text, 'As of 1 Nov 2026');
  assert.match(mode.title, /read-only/);
  // A moment inside a day (a stopped replay) says its time.
  assert.equal(modeOf({ asOf: '2026-11-03T14:05:00Z', replay: 'idle' }).text, 'As of 3 Nov 2026, 14:05 UTC');
  // The end of a replay, and a replay still loading, are the past they show.
  assert.equal(modeOf({ asOf: END_OF_DAY, replay: 'ended' }).mode, 'past');
  assert.equal(modeOf({ asOf: END_OF_DAY, replay: 'loading' }).mode, 'past');
});

test('a replay reads "Replaying 3 Nov", paused says so', () => {
  assert.deepEqual(
    { ...modeOf({ asOf: '2026-11-03T14:05:00Z', replay: 'playing' }), title: undefined },
    { mode: 'replay', text: 'Replaying 3 Nov', title: undefined },
  );
  assert.equal(modeOf({ asOf: '2026-11-04T00:00:00Z', replay: 'playing' }).text, 'Replaying 4 Nov');
  assert.equal(modeOf({ asOf: '2026-11-03T14:05:00Z', replay: 'paused' }).text, 'Replay paused 3 Nov');
});

test('one date rule: UTC days, day month year', () => {
  assert.equal(dateLabel('2026-11-01T23:59:59.999Z'), '1 Nov 2026');
  assert.equal(dateLabel('2026-11-01T00:30:00+02:00'), '31 Oct 2026'); // UTC, as the server reads as_of
  assert.equal(dateLabel(Date.UTC(2026, 10, 3), { year: false }), '3 Nov');
  assert.equal(dateLabel(new Date(Date.UTC(2026, 0, 9))), '9 Jan 2026');
  assert.equal(dayLabel(END_OF_DAY), dateLabel(END_OF_DAY));
  assert.equal(momentLabel(END_OF_DAY), '1 Nov 2026');
});
