import { readFileSync } from 'node:fs';
import test from 'node:test';
import assert from 'node:assert/strict';
import { money, daysSince, aging, ago, percent, initials, shortName, daysText, count } from '../core/format.js';

test('money is compact: $1.2M style, in US dollars by default', () => {
  assert.equal(money(0), '$0');
  assert.equal(money(950), '$950');
  assert.equal(money(4500), '$4.5K');
  assert.equal(money(40000), '$40K');
  assert.equal(money(1_234_567), '$1.2M');
  assert.equal(money(12_400_000), '$12M');
  assert.equal(money(999_600), '$1M');
  assert.equal(money(999_400), '$999K');
  assert.equal(money(2_500_000_000), '$2.5B');
  assert.equal(money('1500.50'), '$1.5K');
  assert.equal(money(null), '$0');
  assert.equal(money(0.4), '$0'); // whole units below a thousand
  assert.equal(money(-0.2), '$0'); // never "-$0"
  assert.equal(money(-4500), '-$4.5K');
});

test("money is written in the board's currency, with its own symbol", () => {
  assert.equal(money(1_234_567, 'EUR'), '€1.2M');
  assert.equal(money(40_000, 'GBP'), '£40K');
  assert.equal(money(4500, 'JPY'), '¥4.5K');
  // A symbol of letters stands apart from the digits (CLDR's currency spacing).
  assert.equal(money(950, 'CHF'), 'CHF\u00a0950');
  assert.equal(money(12_400_000, 'SEK'), 'SEK\u00a012M');
  assert.equal(money(999_600, 'EUR'), '€1M');
  // Not a currency code (never a board's): dollars rather than nothing.
  assert.equal(money(950, 'not-a-code'), '$950');
});

test('count groups thousands', () => {
  assert.equal(count(12345), '12,345');
});

test('days in stage are whole days, never negative', () => {
  const now = Date.parse('2025-11-20T12:00:00Z');
  assert.equal(daysSince('2025-11-20T01:00:00Z', now), 0);
  assert.equal(daysSince('2025-11-17T11:00:00Z', now), 3);
  assert.equal(daysSince('2025-11-21T00:00:00Z', now), 0);
  assert.equal(daysSince('not a date', now), 0);
});

test('aging: overdue only past the SLA', () => {
  const now = Date.parse('2025-11-20T12:00:00Z');
  const card = { stage_entered_at: '2025-11-10T12:00:00Z' }; // 10 days
  assert.deepEqual(aging(card, { sla_days: 14 }, now), { days: 10, sla: 14, overdue: false, used: 10 / 14 });
  assert.equal(aging(card, { sla_days: 10 }, now).overdue, false);
  assert.equal(aging(card, { sla_days: 9 }, now).overdue, true);
  assert.equal(aging(card, { sla_days: 9 }, now).used, 1);
  assert.equal(aging(card, { sla_days: null }, now).overdue, false);
  assert.equal(aging(card, { sla_days: null }, now).used, null);
});

test('ago reads naturally', () => {
  const now = Date.parse('2025-11-20T12:00:00Z');
  assert.equal(ago('2025-11-20T11:59:57Z', now), '3 s ago');
  assert.equal(ago('2025-11-20T11:55:00Z', now), '5 min ago');
  assert.equal(ago('2025-11-20T09:00:00Z', now), '3 h ago');
  assert.equal(ago('2025-11-15T12:00:00Z', now), '5 d ago');
});

test('percent, days, initials, short names', () => {
  assert.equal(percent(0.4123), '41.2%');
  assert.equal(percent(0.004), '0.4%');
  assert.equal(percent(null), '');
  assert.equal(daysText(6.24), '6.2 days');
  assert.equal(daysText(1), '1 day');
  assert.equal(daysText(12.6), '13 days');
  assert.equal(initials('Ada Lovelace'), 'AL');
  assert.equal(initials('marketing'), 'MA');
  assert.equal(initials('Mara van Keller'), 'MK');
  assert.equal(shortName('Dana Kim'), 'Dana K.');
  assert.equal(shortName('Dana'), 'Dana');
});

test('percent follows the board\'s one rule (the cases the server\'s recap follows too)', () => {
  const { cases } = JSON.parse(readFileSync(new URL('./fixtures/percent.json', import.meta.url), 'utf8'));
  for (const [rate, text] of cases) assert.equal(percent(rate), text, `percent(${rate})`);
  assert.equal(percent(0.055), '5.5%'); // the recap once wrote 6%
});
