// The top bar: presence avatars, the live badge, filters and search (kept in
// the URL), Undo. Real form controls with labels; the canvas is not needed
// to use any of it.

import { initials } from '../core/format.js';
import { TEAM_COLORS, TEAM_LABELS } from '../canvas/theme.js';
import { emptyFilters, filtersActive, scoreRangeProblem } from '../core/filters.js';
import { pickableCampaigns } from '../core/model.js';

const STATUS_TEXT = { live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };

export function createToolbar(root, { onFilters, onUndo, onZoom, me = null }) {
  const $ = (sel) => root.querySelector(sel);
  const form = $('#filters');
  const campaign = $('#f-campaign');
  const owner = $('#f-owner');
  const team = $('#f-team');
  const scoreMin = $('#f-score-min');
  const scoreMax = $('#f-score-max');
  const q = $('#f-q');
  const clear = $('#f-clear');
  // The quick filters: "Mine" is the owner filter set to me, "Overdue" past the SLA.
  const mine = $('#f-mine');
  const overdue = $('#f-overdue');
  const scoreProblem = $('#f-score-problem');
  const myId = me && me.id != null ? Number(me.id) : null;
  const presence = $('#presence');
  const status = $('#ws-status');
  const undo = $('#undo');
  let current = emptyFilters();
  let searchTimer = null;

  function read() {
    const num = (input) => {
      const v = input.value.trim();
      if (v === '' || !/^\d+$/.test(v)) return null;
      return Math.min(100, Math.max(0, Number(v)));
    };
    const picked = campaign.value;
    return {
      campaign: picked === 'multi' ? current.campaign : picked ? [Number(picked)] : [],
      owner: owner.value ? Number(owner.value) : null,
      team: team.value,
      score_min: num(scoreMin),
      score_max: num(scoreMax),
      q: q.value.trim(),
      overdue: current.overdue,
    };
  }

  /** A score range the server would refuse is said, and not applied. */
  function scoreChecked(next) {
    const problem = scoreRangeProblem(next);
    if (scoreProblem) {
      scoreProblem.hidden = !problem;
      scoreProblem.textContent = problem || '';
    }
    for (const input of [scoreMin, scoreMax]) {
      if (problem) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    }
    return !problem;
  }

  function changed() {
    clearTimeout(searchTimer);
    const next = read();
    if (scoreChecked(next)) onFilters(next);
  }

  if (mine) {
    mine.hidden = myId == null;
    mine.addEventListener('click', () => {
      const next = read();
      next.owner = current.owner === myId ? null : myId;
      if (scoreChecked(next)) onFilters(next);
    });
  }
  if (overdue) {
    overdue.addEventListener('click', () => {
      const next = read();
      next.overdue = !current.overdue;
      if (scoreChecked(next)) onFilters(next);
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    changed();
  });
  for (const el of [campaign, owner, team]) el.addEventListener('change', changed);
  for (const el of [scoreMin, scoreMax]) el.addEventListener('change', changed);
  q.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(changed, 300);
  });
  clear.addEventListener('click', () => {
    scoreChecked(emptyFilters());
    onFilters(emptyFilters());
  });
  undo.addEventListener('click', () => onUndo());
  for (const [id, action] of [['#zoom-in', 'in'], ['#zoom-out', 'out'], ['#zoom-fit', 'fit']]) {
    const button = root.querySelector(id);
    if (button) button.addEventListener('click', () => onZoom(action));
  }

  function options(select, first, items, value) {
    const keep = document.activeElement === select;
    select.replaceChildren(new Option(first, ''));
    for (const [v, label] of items) select.append(new Option(label, String(v)));
    select.value = value == null ? '' : String(value);
    if (keep) select.focus();
  }

  return {
    /** Fill the choices from the state and show the filters. */
    setChoices(state, filters) {
      current = filters;
      const campaigns = pickableCampaigns(state, filters.campaign).map((id) => [id, state.campaigns[id].name]);
      options(campaign, 'All campaigns', campaigns, filters.campaign.length === 1 ? filters.campaign[0] : '');
      if (filters.campaign.length > 1) {
        campaign.append(new Option(`${filters.campaign.length} campaigns`, 'multi'));
        campaign.value = 'multi';
      }
      const people = Object.values(state.people)
        .filter((p) => p.team)
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((p) => [p.id, p.name]);
      options(owner, 'Any owner', people, filters.owner);
      team.value = filters.team || '';
      if (document.activeElement !== scoreMin) scoreMin.value = filters.score_min ?? '';
      if (document.activeElement !== scoreMax) scoreMax.value = filters.score_max ?? '';
      if (document.activeElement !== q) q.value = filters.q || '';
      clear.hidden = !filtersActive(filters);
      if (mine) mine.setAttribute('aria-pressed', String(myId != null && filters.owner === myId));
      if (overdue) overdue.setAttribute('aria-pressed', String(!!filters.overdue));
    },
    setStatus(s) {
      status.dataset.status = s;
      status.querySelector('[data-text]').textContent = STATUS_TEXT[s] || s;
      status.title =
        s === 'live' ? 'Changes by others show up as they happen' : s === 'reconnecting' ? 'Lost the live link; reconnecting. You can keep working.' : 'No live link. Your moves are still saved; the board refreshes when it is back.';
    },
    setPresence(users, me) {
      presence.replaceChildren();
      const list = [...users].sort((a, b) => (a.id === me.id ? -1 : b.id === me.id ? 1 : a.name.localeCompare(b.name)));
      const shown = list.slice(0, 6);
      for (const user of shown) {
        const li = document.createElement('li');
        li.className = 'avatar';
        li.style.setProperty('--ring', TEAM_COLORS[user.team] || '#94a3b8');
        const label = `${user.name}${user.id === me.id ? ' (you)' : ''}${user.team ? `, ${TEAM_LABELS[user.team] || user.team}` : ''}`;
        li.title = label;
        li.setAttribute('aria-label', label);
        li.textContent = initials(user.name);
        presence.append(li);
      }
      if (list.length > shown.length) {
        const li = document.createElement('li');
        li.className = 'avatar avatar-more';
        const rest = list.slice(shown.length).map((u) => u.name).join(', ');
        li.title = rest;
        li.setAttribute('aria-label', `and ${list.length - shown.length} more: ${rest}`);
        li.textContent = `+${list.length - shown.length}`;
        presence.append(li);
      }
      presence.setAttribute('aria-label', `${list.length} ${list.length === 1 ? 'person' : 'people'} on this board`);
    },
    setUndo(enabled, label) {
      undo.disabled = !enabled;
      undo.title = enabled ? `Undo your last move: ${label} (Ctrl+Z)` : 'Nothing of yours to undo';
    },
  };
}
