// Numbers and words as the board shows them. Pure.

const DAY_MS = 86_400_000;

const moneyFormats = new Map();

/** How a board writes its money: compact (1.2M, 12M, 120M, 4.5K), in the board's
 * currency (ISO 4217, the server's ``Board.currency``) with its own symbol, as
 * ``Intl.NumberFormat`` has it from the CLDR: "$1.2M", "€40K", "CHF 950". Whole
 * units below a thousand. An unknown code falls back to USD. */
export function money(value, currency = 'USD') {
  const n = Math.round(Number(value) || 0);
  return moneyFormat(currency).format(n === 0 ? 0 : n); // no "-$0"
}

function moneyFormat(currency) {
  let format = moneyFormats.get(currency);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency, notation: 'compact' });
    } catch {
      format = moneyFormat('USD'); // not a currency code: never a board's
    }
    moneyFormats.set(currency, format);
  }
  return format;
}

const fullFormats = new Map();

/** A lead's value in full, in the board's currency: "$12,500", "€1,250.50"
 * (cents only when there are some). */
export function moneyFull(value, currency = 'USD') {
  const n = Number(value);
  if (value === null || value === '' || !Number.isFinite(n)) return String(value ?? '');
  const cents = !Number.isInteger(n);
  const key = `${currency}|${cents}`;
  let format = fullFormats.get(key);
  if (!format) {
    try {
      format = new Intl.NumberFormat('en-US', { style: 'currency', currency, minimumFractionDigits: cents ? 2 : 0, maximumFractionDigits: 2 });
    } catch {
      return currency === 'USD' ? String(value) : moneyFull(value, 'USD');
    }
    fullFormats.set(key, format);
  }
  return format.format(n);
}

function trim(text) {
  return text.endsWith('.0') ? text.slice(0, -2) : text;
}

/** 1,234 */
export function count(n) {
  return (Number(n) || 0).toLocaleString('en-US');
}

/** Whole days since ``since`` (ISO string or Date), never negative. */
export function daysSince(since, now = Date.now()) {
  const t = since instanceof Date ? since.getTime() : Date.parse(since);
  if (!Number.isFinite(t)) return 0;
  return Math.max(0, Math.floor((now - t) / DAY_MS));
}

/** Days in stage and how it stands against the stage's SLA. */
export function aging(card, stage, now = Date.now()) {
  const days = daysSince(card.stage_entered_at, now);
  const sla = stage && stage.sla_days != null ? Number(stage.sla_days) : null;
  const overdue = sla != null && days > sla;
  // Share of the SLA used, 0..1 (1 when over).
  const used = sla == null ? null : sla === 0 ? (days > 0 ? 1 : 0) : Math.min(1, days / sla);
  return { days, sla, overdue, used };
}

/** "12d" */
export function daysLabel(days) {
  return `${days}d`;
}

/** "3 s ago", "5 min ago", "2 h ago", "4 d ago". */
export function ago(at, now = Date.now()) {
  const t = at instanceof Date ? at.getTime() : Date.parse(at);
  if (!Number.isFinite(t)) return 'recently';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} d ago`;
}

/** A rate as the board writes it: one decimal, rounded half up, a trailing ".0"
 * dropped (0.4123 -> "41.2%", 0.055 -> "5.5%", 0.47 -> "47%"); above 0 but under
 * 0.05%: "<0.1%"; null -> "". The rule is tests/fixtures/percent.json, which the
 * server's ``funnel.numbers.formats.percent_text`` (the recap's Markdown) follows too. */
export function percent(rate) {
  if (rate == null || !Number.isFinite(Number(rate))) return '';
  const r = Number(rate);
  const tenths = Math.round(r * 1000); // half up, as Python's floor(x + 0.5)
  if (tenths === 0 && r > 0) return '<0.1%';
  return `${trim((tenths / 10).toFixed(1))}%`;
}

/** "6.2 days" */
export function daysText(days) {
  if (days == null || !Number.isFinite(Number(days))) return '';
  const d = Number(days);
  const text = d >= 10 ? Math.round(d).toString() : trim(d.toFixed(1));
  return `${text} ${text === '1' ? 'day' : 'days'}`;
}

/** "Ada Lovelace" -> "AL"; "marketing" -> "MA". */
export function initials(name) {
  const parts = String(name || '?').trim().split(/\s+/).filter(Boolean);
  if (parts.length >= 2) return (parts[0][0] + parts[parts.length - 1][0]).toUpperCase();
  return (parts[0] || '?').slice(0, 2).toUpperCase();
}

/** "Dana Kim" -> "Dana K." (what a card has room for). */
export function shortName(name) {
  const parts = String(name || '').trim().split(/\s+/).filter(Boolean);
  if (parts.length < 2) return parts[0] || '';
  return `${parts[0]} ${parts[parts.length - 1][0]}.`;
}

const DATES = {
  year: new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }),
  short: new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' }),
};

/** A moment's day as the board writes dates (UTC, as the server reads ``?as_of=``):
 * "1 Nov 2026"; ``year: false``: "1 Nov". */
export function dateLabel(moment, { year = true } = {}) {
  const ms = moment instanceof Date ? moment.getTime() : typeof moment === 'number' ? moment : Date.parse(moment);
  return (year ? DATES.year : DATES.short).format(ms);
}
