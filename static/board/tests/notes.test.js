import test from 'node:test';
import assert from 'node:assert/strict';
import { mentionSpans, notificationLink, unreadBadge, withNotification, markedRead, noteEventOf } from '../core/notes.js';
import { note, noteCreated, noteUpdated, noteDeleted, notification } from './fixtures.js';

// leads.rules.MENTION_PATTERN (tests/leads/test_mentions.py checks both sides agree).
const PATTERN = String.raw`(?<![\w.+\-@])@(\w(?:[\w.+\-]*\w)?)`;

test('a note splits into text and @mentions, and joins back to itself', () => {
  const text = 'Call @dana, then mail ann@example.com <b>now</b> @olivia.';
  const spans = mentionSpans(text, PATTERN);
  assert.deepEqual(spans, [
    { text: 'Call ' },
    { text: '@dana', mention: 'dana' },
    { text: ', then mail ann@example.com <b>now</b> ' },
    { text: '@olivia', mention: 'olivia' },
    { text: '.' },
  ]);
  assert.equal(spans.map((s) => s.text).join(''), text);
  assert.deepEqual(mentionSpans('', PATTERN), []);
  assert.deepEqual(mentionSpans('plain', null), [{ text: 'plain' }]);
});

test('a notification links to its lead on its board', () => {
  assert.equal(notificationLink(notification(1).notification), '/boards/9/?lead=1');
  assert.equal(notificationLink({ board: 3, lead: null }), '/boards/3/');
});

test('the badge counts up to 99+', () => {
  assert.equal(unreadBadge(0), '');
  assert.equal(unreadBadge(7), '7');
  assert.equal(unreadBadge(100), '99+');
});

test('a new notification goes on top, once; marking read marks the ones named', () => {
  const a = notification(1).notification;
  const b = notification(2).notification;
  let items = withNotification([], a);
  items = withNotification(items, b);
  items = withNotification(items, { ...a, text: 'again' });
  assert.deepEqual(items.map((i) => i.id), [1, 2]);
  assert.deepEqual(markedRead(items, [2]).map((i) => i.read), [false, true]);
  assert.deepEqual(markedRead(items).map((i) => i.read), [true, true]);
  assert.equal(withNotification(items, notification(3).notification, 2).length, 2);
});

test('note events are told apart by their lead', () => {
  const n = note(5, 1, 'hi');
  assert.equal(noteEventOf(noteCreated(10, n), 1), true);
  assert.equal(noteEventOf(noteUpdated(11, n), 2), false);
  assert.equal(noteEventOf(noteDeleted(12, 5, 1), 1), true);
  assert.equal(noteEventOf({ type: 'lead.updated', lead: { id: 1 } }, 1), false);
});
