// Lead quality in the side panel (#panel-quality): what sales said of
// marketing's leads at the handoff, per campaign and per channel: acceptance
// rate, the top rejection reasons, and which fields sales found valuable or
// useless. From GET /api/boards/<id>/lead-quality/ (each lead counts once,
// with its latest verdict); fetched again, debounced, when a verdict or an
// import arrives on the live link, so marketing sees sales' word at once.
// The latest verdicts since the page opened are listed under the figures.
// In the past (time travel, a replay) the verdicts given by the moment shown
// (``as_of``), the period counted back from it, and the section says which moment.

import { request } from '../net/api.js';
import { percent, count as countText, ago } from '../core/format.js';
import { filtersActive } from '../core/filters.js';
import { addToTestHook } from '../ui/hook.js';
import { afterFirstDraw } from './idle.js';
import { settling } from '../net/figures.js';
import { momentLabel } from '../core/replay.js';

export const PERIODS = [
  ['all', 'All time', null],
  ['30', 'Leads of the last 30 days', 30],
  ['90', 'Leads of the last 90 days', 90],
  ['365', 'Leads of the last 12 months', 365],
];
const SHOWN = 3; // reasons and fields per group
const RECENT = 6;
const REFRESH_MS = 500;

/** The query for a period key: ``start`` that many days before ``now`` (cohort by
 * creation); ``asOf`` (ISO, the past shown): the verdicts given by then, the period
 * counted back from it. */
export function periodQuery(key, now = Date.now(), asOf = null) {
  const period = PERIODS.find(([k]) => k === key);
  const query = new URLSearchParams();
  const end = asOf ? Date.parse(asOf) : now;
  if (period && period[2]) query.set('start', new Date(end - period[2] * 86_400_000).toISOString());
  if (asOf) query.set('as_of', asOf);
  return query;
}

function group(row, key, name, sub) {
  const judged = row.accepted + row.rejected;
  return {
    key,
    name,
    sub,
    accepted: row.accepted,
    rejected: row.rejected,
    judged,
    rate: row.acceptance_rate,
    rateText: row.acceptance_rate == null ? '—' : percent(row.acceptance_rate),
    reasons: row.top_reasons.slice(0, SHOWN).map((r) => ({ label: r.reason, n: r.leads })),
    valuable: row.valuable_fields.slice(0, SHOWN).map((f) => ({ label: f.field, n: f.leads })),
    useless: row.useless_fields.slice(0, SHOWN).map((f) => ({ label: f.field, n: f.leads })),
  };
}

/**
 * What the panel shows: the total and the groups with verdicts, most judged
 * first. ``by``: 'campaign' | 'channel'; the board's campaign filter narrows
 * the campaigns (the API counts every lead of the period otherwise).
 * Returns {total, groups, silent (groups without verdicts), note}.
 */
export function qualityView(data, { by = 'campaign', filters = null } = {}) {
  const chosen = filters && filters.campaign && filters.campaign.length ? new Set(filters.campaign) : null;
  // The total is of what the title names: the chosen campaigns' leads, else all.
  const total = chosen
    ? group(chosenTotal(data.campaigns.filter((c) => chosen.has(c.id))), 'total', 'Chosen campaigns', '')
    : group(data.total, 'total', 'All leads', '');
  let rows;
  if (by === 'channel') {
    rows = data.channels.map((c) => group(c, `channel:${c.channel}`, c.channel || 'No channel', ''));
  } else {
    rows = data.campaigns
      .filter((c) => !chosen || chosen.has(c.id))
      .map((c) => group(c, `campaign:${c.id ?? 'none'}`, c.name || 'No campaign', c.channel || ''));
  }
  const groups = rows.filter((g) => g.judged > 0).sort((a, b) => b.judged - a.judged || String(a.name).localeCompare(String(b.name)));
  const notes = [];
  if (chosen && by === 'campaign') notes.push('Only the campaigns of the board’s filter.');
  else if (chosen) notes.push('Channels count all their campaigns’ leads.');
  const other = filters && filtersActive({ ...filters, campaign: [] });
  if (other) notes.push('Owner, team, score and search filters do not apply to these figures.');
  return { total, groups, silent: rows.length - groups.length, note: notes.join(' ') };
}

/** The chosen campaigns' rows added up as one (acceptance rate and reasons too). */
export function chosenTotal(rows) {
  const accepted = rows.reduce((n, r) => n + r.accepted, 0);
  const rejected = rows.reduce((n, r) => n + r.rejected, 0);
  const reasons = new Map();
  for (const row of rows) for (const r of row.top_reasons) reasons.set(r.reason, (reasons.get(r.reason) || 0) + r.leads);
  const top = [...reasons].map(([reason, leads]) => ({ reason, leads })).sort((a, b) => b.leads - a.leads || a.reason.localeCompare(b.reason));
  return {
    accepted,
    rejected,
    acceptance_rate: accepted + rejected ? accepted / (accepted + rejected) : null,
    top_reasons: top,
    valuable_fields: [],
    useless_fields: [],
  };
}

/** The panel's title: what its figures count ("Lead quality: Webinar Q4"). */
export function qualityTitle(filters, campaigns = {}) {
  const ids = (filters && filters.campaign) || [];
  if (!ids.length) return 'Lead quality';
  if (ids.length === 1) {
    const campaign = campaigns[ids[0]];
    return `Lead quality: ${campaign ? campaign.name : 'one campaign'}`;
  }
  return `Lead quality: ${ids.length} campaigns`;
}

/** One line of the "just now" list for a feedback effect (reducer.js). */
export function recentLine(effect, { me, campaignName } = {}) {
  const actor = effect.event && effect.event.actor;
  const who = !actor ? 'Someone' : me && actor.id === me.id ? 'You' : actor.name || actor.username;
  const lead = effect.name || 'a lead';
  const where = campaignName ? ` (${campaignName})` : '';
  if (effect.verdict === 'accepted') return `${who} accepted ${lead}${where}`;
  return `${who} rejected ${lead}${where}: ${effect.reason || 'no reason'}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

function chips(label, items, kind) {
  const line = el('p', `quality-line quality-${kind}`);
  line.append(el('span', 'quality-label', `${label}: `));
  if (!items.length) {
    line.append(el('span', 'muted', 'none yet'));
    return line;
  }
  items.forEach((item, i) => {
    if (i) line.append(', ');
    const chip = el('span', 'quality-chip', item.label);
    chip.dataset.value = item.label;
    line.append(chip, el('span', 'quality-n', ` ${countText(item.n)}`));
  });
  return line;
}

function bar(g) {
  const outer = el('div', 'quality-bar');
  outer.setAttribute('aria-hidden', 'true');
  const accepted = el('span', 'quality-bar-accepted');
  accepted.style.width = g.judged ? `${(100 * g.accepted) / g.judged}%` : '0';
  outer.append(accepted);
  return outer;
}

export function createQuality(board) {
  const root = document.getElementById('panel-quality');
  if (!root) return {};
  let by = 'campaign';
  let period = 'all';
  let data = null;
  let error = null;
  let asked = 0;
  const recent = [];
  const share = board.config.meeting ? board.config.meeting.share || null : null; // a share link's meeting view

  root.replaceChildren();
  const head = el('div', 'quality-head');
  const title = el('h2', 'panel-title', 'Lead quality');
  title.id = 'quality-title';
  root.setAttribute('aria-labelledby', 'quality-title');
  const periodSelect = el('select', 'quality-period');
  periodSelect.setAttribute('aria-label', 'Leads of which period');
  for (const [key, label] of PERIODS) periodSelect.append(new Option(label, key));
  const moment = el('span', 'section-moment');
  moment.dataset.sectionMoment = '';
  moment.hidden = true;
  head.append(title, moment, periodSelect);
  const intro = el('p', 'quality-intro muted', 'What sales said at the handoff: accepted or rejected, why, and which fields helped.');
  const switcher = el('div', 'quality-switch');
  switcher.setAttribute('role', 'group');
  switcher.setAttribute('aria-label', 'Group by');
  const byButtons = {};
  for (const [key, label] of [['campaign', 'By campaign'], ['channel', 'By channel']]) {
    const b = el('button', 'quality-by', label);
    b.type = 'button';
    b.dataset.by = key;
    b.addEventListener('click', () => {
      by = key;
      draw();
    });
    byButtons[key] = b;
    switcher.append(b);
  }
  const body = el('div', 'quality-body');
  body.setAttribute('aria-live', 'polite');
  body.setAttribute('aria-busy', 'true');
  const recentBox = el('section', 'quality-recent');
  recentBox.setAttribute('aria-label', 'Verdicts just now');
  recentBox.hidden = true;
  root.append(head, intro, switcher, body, recentBox);
  periodSelect.addEventListener('change', () => {
    period = periodSelect.value;
    refresh(0);
  });

  let dataAsOf = null; // the moment ``data`` counts to (null: now)
  async function fetchNow() {
    const ticket = ++asked;
    const asOf = board.asOf;
    body.setAttribute('aria-busy', 'true');
    try {
      const answer = await request('GET', `/api/boards/${board.id}/lead-quality/`, { query: periodQuery(period, Date.now(), asOf), share });
      if (ticket !== asked) return;
      data = answer;
      dataAsOf = asOf;
      error = null;
    } catch (e) {
      if (ticket !== asked) return;
      error = e.message;
    }
    body.setAttribute('aria-busy', 'false');
    draw();
  }

  // Debounced, and at least every 1.5 s while a replay moves the moment on.
  const refresh = settling(fetchNow, { delay: REFRESH_MS });

  function draw() {
    for (const [key, b] of Object.entries(byButtons)) b.setAttribute('aria-pressed', String(key === by));
    body.replaceChildren();
    if (error) {
      const p = el('p', 'quality-error', `Could not load the lead quality figures: ${error}`);
      p.setAttribute('role', 'alert');
      const retry = el('button', 'button quiet', 'Try again');
      retry.type = 'button';
      retry.addEventListener('click', () => refresh(0));
      body.append(p, retry);
      return;
    }
    if (!data) {
      body.append(el('p', 'muted', 'Loading…'));
      return;
    }
    title.textContent = qualityTitle(board.filters, board.state ? board.state.campaigns : {});
    moment.hidden = dataAsOf == null;
    moment.textContent = dataAsOf == null ? '' : `as of ${momentLabel(dataAsOf)}`;
    const view = qualityView(data, { by, filters: board.filters });
    const t = view.total;
    const total = el('div', 'quality-total');
    total.dataset.accepted = String(t.accepted);
    total.dataset.rejected = String(t.rejected);
    if (!t.judged) {
      total.append(el('p', 'muted', 'No verdicts yet: sales has not accepted or rejected a lead of this period.'));
    } else {
      total.append(
        el('p', 'quality-rate', `${t.rateText} accepted`),
        el('p', 'quality-counts muted', `${countText(t.judged)} judged: ${countText(t.accepted)} accepted, ${countText(t.rejected)} rejected`),
        bar(t),
        chips('Top reasons', t.reasons, 'reasons'),
      );
    }
    body.append(total);
    if (view.note) body.append(el('p', 'quality-note muted', view.note));
    const list = el('ol', 'quality-groups');
    for (const g of view.groups) {
      const item = el('li', 'quality-group');
      item.dataset.key = g.key;
      item.dataset.rejected = String(g.rejected);
      const top = el('div', 'quality-group-head');
      const name = el('span', 'quality-name', g.name);
      name.title = g.sub ? `${g.name} (${g.sub})` : g.name;
      top.append(name, el('span', 'quality-group-rate', `${g.rateText} accepted of ${countText(g.judged)}`));
      item.append(top, bar(g), chips('Rejected for', g.reasons, 'reasons'), chips('Valuable', g.valuable, 'valuable'), chips('Useless', g.useless, 'useless'));
      item.setAttribute(
        'aria-label',
        `${g.name}: ${g.rateText} accepted of ${g.judged} judged${g.reasons.length ? `; top reason ${g.reasons[0].label}` : ''}`,
      );
      list.append(item);
    }
    if (view.groups.length) body.append(list);
    if (view.silent) {
      const what = by === 'channel' ? 'channel' : 'campaign';
      body.append(el('p', 'quality-note muted', `${countText(view.silent)} ${what}${view.silent === 1 ? '' : 's'} without verdicts yet.`));
    }
  }

  function drawRecent() {
    recentBox.replaceChildren(el('h3', 'quality-recent-title', 'Just now'));
    const list = el('ul', 'quality-recent-list');
    for (const item of recent) {
      const li = el('li', `quality-recent-item verdict-${item.verdict}`, item.text);
      li.dataset.lead = String(item.lead);
      li.append(el('span', 'muted', ` · ${ago(item.at)}`));
      list.append(li);
    }
    recentBox.append(list);
    recentBox.hidden = recent.length === 0;
  }

  addToTestHook('qualityFigures', () => data);

  draw();
  return {
    loaded() {
      if (!data && !error) afterFirstDraw(() => refresh(0));
    },
    filters() {
      draw(); // the campaign filter narrows what is shown; the figures stay
    },
    asOf() {
      if (data || error) refresh(board.asOf ? REFRESH_MS : 0);
    },
    events(events, effects) {
      let changed = false;
      for (const effect of effects) {
        if (effect.kind === 'feedback') {
          const campaign = effect.campaign != null && board.state && board.state.campaigns[effect.campaign];
          recent.unshift({
            lead: effect.lead,
            verdict: effect.verdict,
            at: (effect.event && effect.event.at) || new Date().toISOString(),
            text: recentLine(effect, { me: board.me, campaignName: campaign ? campaign.name : '' }),
          });
          recent.length = Math.min(recent.length, RECENT);
          changed = true;
        } else if (effect.kind === 'imported') {
          changed = true;
        }
      }
      if (events.some((e) => e.type === 'lead.updated' && (e.fields || []).includes('campaign'))) changed = true;
      if (changed) {
        drawRecent();
        refresh();
      }
    },
  };
}
