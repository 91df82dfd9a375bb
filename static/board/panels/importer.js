// Importing leads from a CSV export (HubSpot, Salesforce, Marketo, or any CSV
// with a column mapping): a dialog opened by the top bar's Import button.
//
// 1. Choose a file: the server checks it at once (a dry run, nothing written)
//    and answers how it reads each column, which system wrote it, what would be
//    created and updated, and every problem with its row and column.
// 2. Change how columns are read, or allow new stages and campaigns (and say
//    where new stages go: before Won and Lost by default, or after an open stage,
//    ``new_stages_after``): check again.
// 3. Import: all or nothing on the server, or, ticked, "import the good rows"
//    (``mode=good_rows``): the rows without a problem go in, the others come
//    back as a CSV with their problems ("Download rejected rows"). The check is
//    always a good-rows dry run of the same service, so the dialog says in words
//    what the import will do ("30 new leads, 0 updated, 10 rows skipped") and
//    lists every problem at once. Progress comes over the board's
//    socket (``import.progress`` messages: phase check | write, done, total);
//    until the first one the bar is indeterminate. The board updates through
//    the ``leads.imported`` event like any other change.
//
// The contract is POST /api/boards/<id>/import/ (leads/api_bridge.py).

import { request } from '../net/api.js';
import { count as countText } from '../core/format.js';
import { addToTestHook } from '../ui/hook.js';
import { saveBlob } from '../ui/download.js';

export const MAX_BYTES = 50 * 1024 * 1024;

// What a column can be read as (leads/importers.py FIELDS), plus keep / ignore.
export const TARGETS = [
  ['name', 'Name (full)'],
  ['first_name', 'First name'],
  ['last_name', 'Last name'],
  ['email', 'Email'],
  ['company', 'Company'],
  ['title', 'Job title'],
  ['source', 'Source'],
  ['stage', 'Stage (matched by name)'],
  ['campaign', 'Campaign (matched by name)'],
  ['channel', 'Channel of a new campaign'],
  ['value', 'Value (an amount)'],
  ['score', 'Score (0–100)'],
  ['created_at', 'Created date'],
  ['stage_entered_at', 'Date it entered its stage'],
  ['owner', 'Owner (a member’s email, username or name)'],
  ['external_id', 'Id in the marketing system'],
  ['crm_id', 'CRM id'],
  ['attributes', 'Keep as an extra field'],
  ['ignore', 'Ignore'],
];
const LABELS = Object.fromEntries(TARGETS);
const KEEP = new Set(['attributes', 'ignore']);
const PRESETS = { hubspot: 'a HubSpot export', salesforce: 'a Salesforce export', marketo: 'a Marketo export' };
const SHOW_ROWS = 200;

/** "Detected: a HubSpot export" and the like, from the server's ``preset``. */
export function presetText(preset) {
  if (PRESETS[preset]) return `Recognised as ${PRESETS[preset]}: its columns are read as shown. Change any that are wrong.`;
  if (preset === 'custom') return 'Read with your column choices.';
  return 'Not an export the board recognises: check how each column is read.';
}

/** Why a mapping cannot be used: [message] (empty when fine). */
export function mappingProblems(mapping) {
  const problems = [];
  const byTarget = new Map();
  for (const [column, target] of Object.entries(mapping)) {
    if (KEEP.has(target)) continue;
    if (!byTarget.has(target)) byTarget.set(target, []);
    byTarget.get(target).push(column);
  }
  for (const [target, columns] of byTarget) {
    if (columns.length > 1) {
      problems.push(`${LABELS[target] || target} is chosen for ${columns.length} columns (${columns.map((c) => `“${c}”`).join(', ')}): keep one.`);
    }
  }
  if (!['name', 'first_name', 'last_name', 'email'].some((t) => byTarget.has(t))) {
    problems.push('Choose the column with the name (or first and last name) or the email.');
  }
  return problems;
}

/** Overall progress 0-100 for a socket message; a dry run only checks. */
export function progressValue(message, { dryRun }) {
  const total = Number(message.total) || 0;
  const share = total > 0 ? Math.min(1, Math.max(0, Number(message.done) / total)) : 0;
  if (dryRun) return Math.round(share * 100);
  if (message.phase === 'write') return Math.round(40 + share * 60);
  return Math.round(share * 40);
}

export function progressText(message) {
  const verb = message.phase === 'write' ? 'Writing leads' : 'Checking rows';
  return `${verb}… ${countText(message.done)} of ${countText(message.total)}`;
}

function plural(n, one, many) {
  return `${countText(n)} ${n === 1 ? one : many}`;
}

/** What an import does (or did), in words: "38 new leads, 2 updated, 5 rows skipped". */
export function summaryText(report) {
  const parts = [plural(report.created || 0, 'new lead', 'new leads'), `${countText(report.updated || 0)} updated`];
  if (report.unchanged) parts.push(`${countText(report.unchanged)} unchanged`);
  if (report.rejected && !report.refused) parts.push(plural(report.rejected, 'row skipped', 'rows skipped'));
  return parts.join(', ');
}

/**
 * The report of an answer (dry run or import, 200 or 400), ready to show:
 * {ok, state, headline, creates: [text], fileErrors, rowErrors, more, preview, hint,
 * rejected}. ``goodRows``: the person chose to import the good rows (the check is a
 * good-rows dry run either way).
 */
export function reportView(report, { goodRows = false } = {}) {
  const errors = report.errors || [];
  const ok = errors.length === 0;
  const refused = report.refused ?? !ok;
  const counts = summaryText(report);
  const rows = plural(report.rejected || 0, 'row has', 'rows have');
  let headline;
  let state;
  if (refused) {
    state = 'problems';
    headline = `${plural(errors.length, 'problem', 'problems')}: nothing ${report.dry_run ? 'can be' : 'was'} imported. Fix the file or the columns, then check again.`;
  } else if (!report.dry_run) {
    state = 'imported';
    headline = `Imported: ${counts}.`;
  } else if (!ok && goodRows) {
    state = 'partial';
    headline = `The import will do: ${counts}. The rows with problems stay out; download them to fix and import again.`;
  } else if (!ok) {
    state = 'partial';
    headline = `${rows} problems, so nothing will be imported as it is. Fix them, or tick “Import the good rows” for: ${counts}.`;
  } else {
    state = 'ready';
    headline = report.created || report.updated ? `The import will do: ${counts}.` : `Nothing to import: every row matches a lead as it is (${countText(report.unchanged || 0)} unchanged).`;
  }
  const verb = report.dry_run ? 'Will create' : 'Created';
  const creates = [];
  if ((report.stages_created || []).length) creates.push(`${verb} stages: ${report.stages_created.join(', ')}`);
  if ((report.campaigns_created || []).length) creates.push(`${verb} campaigns: ${report.campaigns_created.join(', ')}`);
  const fileErrors = errors.filter((e) => e.row == null || e.row === 1);
  const rowErrors = errors.filter((e) => e.row != null && e.row !== 1).sort((a, b) => a.row - b.row);
  const unknown = errors.some((e) => (e.field === 'stage' || e.field === 'campaign') && /^No (stage|campaign) named/.test(e.message));
  return {
    ok,
    state,
    rejected: report.rejected_csv ? report.rejected || 0 : 0,
    headline,
    creates,
    fileErrors,
    rowErrors: rowErrors.slice(0, SHOW_ROWS),
    more: Math.max(0, rowErrors.length - SHOW_ROWS),
    preview: (report.preview || []).slice(0, SHOW_ROWS),
    previewMore: Math.max(0, (report.preview || []).length - SHOW_ROWS),
    hint: unknown ? 'Tick “Create the stages and campaigns this board does not have yet” to create them, or fix their names in the file.' : '',
  };
}

/** Where an import's new stages may go: [value, label], the default first
 * (before the first won or lost stage), then after each open stage. */
export function placeChoices(state) {
  if (!state) return [['', 'Before Won and Lost']];
  const order = state.stageOrder.map((id) => state.stages[id]);
  const closed = order.find((s) => s.kind !== 'open');
  const choices = [['', closed ? `Before ${closed.name} (the end of the funnel)` : 'At the end of the funnel']];
  for (const stage of order) if (stage.kind === 'open') choices.push([String(stage.id), `After ${stage.name}`]);
  return choices;
}

/** The Import button's words for a dry run that can go in. */
export function importLabel(report) {
  const parts = [];
  if (report.created) parts.push(`${countText(report.created)} new`);
  if (report.updated) parts.push(`${countText(report.updated)} updated`);
  const skip = (report.errors || []).length ? `, skip ${plural(report.rejected || 0, 'row', 'rows')}` : '';
  return parts.length ? `Import ${parts.join(' + ')}${skip}` : 'Import';
}

/** May the checked dry run be imported? Something goes in, and the rows with
 * problems are skipped only when the person chose the good rows. */
export function importable(report, { goodRows }) {
  if (!report || report.refused || !(report.created || report.updated)) return false;
  return !(report.errors || []).length || goodRows;
}

/** The name of the rejected rows' file: "hubspot-export-rejected.csv". */
export function rejectedName(fileName) {
  const base = String(fileName || 'import').replace(/\.[^.]*$/, '') || 'import';
  return `${base}-rejected.csv`;
}

const DIALOG_HTML = `
<form class="bridge-form" novalidate>
  <h2 class="bridge-title" id="import-title">Import leads from a CSV file</h2>
  <p class="bridge-sub">Exports from HubSpot, Salesforce and Marketo are recognised by their columns; any other CSV works once you say how its columns read.
    The file is checked first; nothing is written until you press Import, and nothing at all if any row has a problem, unless you choose to import the good rows.
    Leads already on the board (same id or email) are updated.</p>
  <div class="import-file">
    <label for="import-file">CSV file</label>
    <input type="file" id="import-file" accept=".csv,text/csv,text/plain" data-file>
  </div>
  <label class="check"><input type="checkbox" data-create-missing> Create the stages and campaigns this board does not have yet</label>
  <label class="check"><input type="checkbox" data-good-rows> Import the good rows: skip the rows with problems (you can download them with their problems)</label>
  <div class="import-place" data-place hidden>
    <label for="import-place">New stages go</label>
    <select id="import-place" data-place-select></select>
  </div>
  <section class="import-mapping" data-mapping hidden aria-labelledby="import-mapping-title">
    <h3 id="import-mapping-title">How the columns are read</h3>
    <p class="muted" data-preset></p>
    <div class="table-scroll"><table class="mapping-table">
      <thead><tr><th scope="col">Column in the file</th><th scope="col">Imported as</th></tr></thead>
      <tbody data-mapping-rows></tbody>
    </table></div>
    <div class="bridge-error" data-mapping-error role="alert" hidden></div>
  </section>
  <div class="import-progress" data-progress hidden>
    <progress max="100" data-bar aria-labelledby="import-progress-text"></progress>
    <span id="import-progress-text" data-progress-text></span>
  </div>
  <section class="import-report" data-report hidden aria-live="polite"></section>
  <p class="bridge-error" data-error role="alert" hidden></p>
  <div class="bridge-actions">
    <button type="button" class="button quiet" data-close>Close</button>
    <button type="button" class="button" data-check disabled>Check file</button>
    <button type="button" class="button primary" data-import disabled>Import</button>
  </div>
</form>`;

export function createImporter(board) {
  const opener = document.getElementById('import-open');
  if (!opener || !board.canEdit) return {};
  opener.hidden = false;
  let dialog = null;
  let file = null;
  let columns = null; // {header: target} as the server read the file
  let mapping = null; // the user's choices (null: as the server reads it)
  let checked = null; // the dry run that Import would carry out
  let shown = null; // the report on screen
  let busy = null; // null | 'check' | 'import'
  let progressSeen = 0;
  let progressId = null; // the name of this browser's import under way

  const $ = (sel) => dialog.querySelector(sel);

  function build() {
    dialog = document.createElement('dialog');
    dialog.className = 'bridge-dialog import-dialog';
    dialog.id = 'import-dialog';
    dialog.setAttribute('aria-labelledby', 'import-title');
    dialog.innerHTML = DIALOG_HTML;
    document.body.append(dialog);
    $('[data-file]').addEventListener('change', (e) => chooseFile(e.target.files && e.target.files[0]));
    $('[data-create-missing]').addEventListener('change', () => {
      drawPlaces();
      stale();
    });
    $('[data-place-select]').addEventListener('change', stale);
    // The check is a good-rows dry run: the choice only changes what Import may do.
    $('[data-good-rows]').addEventListener('change', () => {
      if (shown) drawReport(shown);
      setButtons();
    });
    $('[data-check]').addEventListener('click', () => check());
    $('[data-import]').addEventListener('click', () => runImport());
    $('[data-close]').addEventListener('click', () => dialog.close());
    dialog.querySelector('form').addEventListener('submit', (e) => e.preventDefault());
    dialog.addEventListener('cancel', (e) => {
      if (busy === 'import') e.preventDefault(); // the answer is on its way; keep it in view
    });
    dialog.addEventListener('close', () => opener.focus());
  }

  /** The "New stages go" choice, shown while new stages may be created. */
  function drawPlaces() {
    const select = $('[data-place-select]');
    const kept = select.value;
    const choices = placeChoices(board.state);
    select.replaceChildren(...choices.map(([value, label]) => new Option(label, value)));
    if (choices.some(([value]) => value === kept)) select.value = kept;
    $('[data-place]').hidden = !$('[data-create-missing]').checked;
  }

  function goodRows() {
    return $('[data-good-rows]').checked;
  }

  function showError(text) {
    const node = $('[data-error]');
    node.textContent = text;
    node.hidden = !text;
  }

  function setButtons() {
    const mappingOk = !mapping || mappingProblems(mapping).length === 0;
    $('[data-check]').disabled = !file || busy != null || !mappingOk;
    $('[data-check]').textContent = columns ? 'Check again' : 'Check file';
    const ready = busy == null && importable(checked, { goodRows: goodRows() });
    $('[data-import]').disabled = !ready;
    $('[data-import]').textContent = checked ? importLabel(checked) : 'Import';
    $('[data-good-rows]').disabled = busy != null;
    $('[data-file]').disabled = busy != null;
    $('[data-create-missing]').disabled = busy != null;
    $('[data-place-select]').disabled = busy != null;
    $('[data-close]').disabled = busy === 'import';
    for (const select of dialog.querySelectorAll('[data-mapping-rows] select')) select.disabled = busy != null;
  }

  /** Something changed since the last check: that check no longer holds. */
  function stale() {
    if (checked || $('[data-report]').childElementCount) {
      checked = null;
      $('[data-report]').classList.add('is-stale');
      const note = $('[data-report] [data-stale]');
      if (note) note.hidden = false;
    }
    setButtons();
  }

  function chooseFile(chosen) {
    file = chosen || null;
    columns = null;
    mapping = null;
    checked = null;
    shown = null;
    $('[data-mapping]').hidden = true;
    $('[data-report]').replaceChildren();
    $('[data-report]').hidden = true;
    $('[data-progress]').hidden = true;
    showError('');
    if (file && file.size > MAX_BYTES) {
      showError(`${file.name} is larger than 50 MB; split it into smaller files.`);
      file = null;
    } else if (file && file.size === 0) {
      showError(`${file.name} is empty.`);
      file = null;
    }
    setButtons();
    if (file) check();
  }

  function drawMapping() {
    const rows = $('[data-mapping-rows]');
    rows.replaceChildren();
    const current = mapping || columns;
    Object.keys(columns).forEach((header, i) => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      th.scope = 'row';
      const label = document.createElement('label');
      label.htmlFor = `import-col-${i}`;
      label.textContent = header || '(no name)';
      th.append(label);
      const td = document.createElement('td');
      const select = document.createElement('select');
      select.id = `import-col-${i}`;
      select.dataset.column = header;
      for (const [value, text] of TARGETS) select.append(new Option(text, value));
      select.value = current[header] || 'attributes';
      select.addEventListener('change', () => {
        mapping = { ...(mapping || columns), [header]: select.value };
        drawMappingProblems();
        stale();
      });
      td.append(select);
      tr.append(th, td);
      rows.append(tr);
    });
    drawMappingProblems();
  }

  function drawMappingProblems() {
    const problems = mapping ? mappingProblems(mapping) : [];
    const box = $('[data-mapping-error]');
    box.replaceChildren(...problems.map((p) => Object.assign(document.createElement('p'), { textContent: p })));
    box.hidden = problems.length === 0;
  }

  function table(caption, head, rows) {
    const wrap = document.createElement('div');
    wrap.className = 'table-scroll';
    const t = document.createElement('table');
    t.className = 'report-table';
    const cap = document.createElement('caption');
    cap.textContent = caption;
    const thead = document.createElement('thead');
    const tr = document.createElement('tr');
    for (const h of head) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = h;
      tr.append(th);
    }
    thead.append(tr);
    const tbody = document.createElement('tbody');
    for (const row of rows) {
      const r = document.createElement('tr');
      for (const cell of row) {
        const td = document.createElement('td');
        td.textContent = cell;
        r.append(td);
      }
      tbody.append(r);
    }
    t.append(cap, thead, tbody);
    wrap.append(t);
    return wrap;
  }

  function para(text, className) {
    const p = document.createElement('p');
    if (className) p.className = className;
    p.textContent = text;
    return p;
  }

  function downloadRejected(report) {
    const blob = new Blob(['\ufeff', report.rejected_csv], { type: 'text/csv;charset=utf-8' });
    saveBlob(blob, rejectedName(file && file.name));
  }

  function drawReport(report) {
    shown = report;
    const view = reportView(report, { goodRows: goodRows() });
    const box = $('[data-report]');
    box.classList.remove('is-stale');
    box.dataset.state = view.state;
    const tone = { problems: ' report-bad', partial: goodRows() ? '' : ' report-warn' }[view.state] || '';
    const parts = [para(view.headline, `report-headline${tone}`)];
    parts[0].dataset.headline = '';
    if (view.rejected) {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button report-download';
      button.dataset.rejected = '';
      button.textContent = `Download rejected rows (${countText(view.rejected)})`;
      button.addEventListener('click', () => downloadRejected(report));
      parts.push(button);
    }
    const staleNote = para('You changed something since this check: check again before importing.', 'report-stale');
    staleNote.dataset.stale = '';
    staleNote.hidden = true;
    parts.push(staleNote);
    for (const line of view.creates) parts.push(para(line, 'report-creates'));
    if (view.hint) parts.push(para(view.hint, 'report-hint'));
    if (view.fileErrors.length) {
      parts.push(table('Problems with the file', ['Where', 'Problem'], view.fileErrors.map((e) => [e.row === 1 ? `header${e.field ? `, ${e.field}` : ''}` : e.field === 'file' || !e.field ? 'file' : e.field, e.message])));
    }
    if (view.rowErrors.length) {
      parts.push(table('Problems in rows (row numbers as a spreadsheet shows them)', ['Row', 'Column', 'Problem'], view.rowErrors.map((e) => [String(e.row), e.field || '—', e.message])));
      if (view.more) parts.push(para(`…and ${countText(view.more)} more problems.`, 'muted'));
    }
    if (view.state !== 'problems' && report.dry_run && view.preview.length) {
      const rows = view.preview.map((p) => [String(p.row), p.action === 'create' ? 'new lead' : 'update', p.name || '', p.action === 'update' ? (p.changes || []).join(', ') : '']);
      const details = document.createElement('details');
      const summary = document.createElement('summary');
      summary.textContent = `What each row would do (${countText(report.preview.length)} rows that change something)`;
      details.append(summary, table('Rows that create or update a lead', ['Row', 'Action', 'Lead', 'Changes'], rows));
      if (view.previewMore) details.append(para(`…and ${countText(view.previewMore)} more rows.`, 'muted'));
      parts.push(details);
    }
    box.replaceChildren(...parts);
    box.hidden = false;
  }

  function startProgress(text) {
    progressSeen = 0;
    const bar = $('[data-bar]');
    bar.removeAttribute('value'); // indeterminate until the socket tells more
    delete bar.dataset.value;
    $('[data-progress-text]').textContent = text;
    $('[data-progress]').hidden = false;
  }

  function setProgress(value, text) {
    const bar = $('[data-bar]');
    bar.value = value;
    bar.dataset.value = String(value);
    if (text) $('[data-progress-text]').textContent = text;
  }

  function form(dryRun) {
    const data = new FormData();
    data.append('file', file, file.name);
    data.append('dry_run', dryRun ? 'true' : 'false');
    // A check is a good-rows dry run (what the good rows do, every problem listed);
    // the import itself is all or nothing unless the good rows were chosen.
    data.append('mode', dryRun || goodRows() ? 'good_rows' : 'all');
    data.append('create_missing', $('[data-create-missing]').checked ? 'true' : 'false');
    const place = $('[data-place-select]').value;
    if ($('[data-create-missing]').checked && place) data.append('new_stages_after', place);
    // Our name for this import: its progress messages carry it, others' do not.
    progressId = `i${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
    data.append('progress_id', progressId);
    if (mapping) data.append('mapping', JSON.stringify(mapping));
    return data;
  }

  /** The report in a refusal (400 with the import's body), or null for other failures. */
  function reportOf(error) {
    return error && error.body && Array.isArray(error.body.errors) ? error.body : null;
  }

  async function check() {
    if (!file || busy) return;
    busy = 'check';
    checked = null;
    showError('');
    setButtons();
    startProgress(`Checking ${file.name}…`);
    const sent = file;
    let report = null;
    try {
      report = await request('POST', `/api/boards/${board.id}/import/`, { form: form(true), timeoutMs: 0 });
    } catch (error) {
      report = reportOf(error);
      if (!report) showError(`Could not check the file: ${error.message}`);
    } finally {
      busy = null;
    }
    if (sent !== file) return; // another file was chosen meanwhile
    $('[data-progress]').hidden = true;
    if (report) {
      if (report.columns && Object.keys(report.columns).length) {
        if (!columns) columns = { ...report.columns };
        $('[data-preset]').textContent = presetText(report.preset);
        $('[data-mapping]').hidden = false;
        drawMapping();
      }
      drawReport(report);
      if (!report.refused && (report.created || report.updated)) checked = report;
    }
    setButtons();
    if (!$('[data-import]').disabled) $('[data-import]').focus();
  }

  async function runImport() {
    if (!checked || busy) return;
    busy = 'import';
    showError('');
    setButtons();
    startProgress(`Importing ${file.name}…`);
    try {
      const report = await request('POST', `/api/boards/${board.id}/import/`, { form: form(false), timeoutMs: 0 });
      if (report.event) board.applyAnswer(report.event);
      setProgress(100, 'Done');
      drawReport(report);
      checked = null;
      const { headline } = reportView(report);
      board.toast(headline);
      board.announce(headline);
    } catch (error) {
      const report = reportOf(error);
      $('[data-progress]').hidden = true;
      if (report) {
        drawReport(report); // the board changed since the check: nothing was written
        checked = null;
      } else if (error.status === 0) {
        showError('The connection was lost during the import. It ran all or nothing: look at the board, or check the file again before importing again.');
      } else {
        showError(`Could not import: ${error.message} Nothing was written.`);
      }
    } finally {
      busy = null;
      setButtons();
    }
  }

  function openDialog() {
    if (board.asOf) {
      board.toast('This is the board as it was. Go back to now to import.');
      return;
    }
    if (!dialog) build();
    drawPlaces(); // the stages may have changed since it was last open
    if (!dialog.open) dialog.showModal();
    $('[data-file]').focus();
  }

  opener.addEventListener('click', openDialog);
  addToTestHook('importProgressSeen', () => progressSeen);

  return {
    message(message) {
      if (message.type !== 'import.progress' || !busy || !dialog) return;
      if (message.import != null && message.import !== progressId) return; // someone else's import
      progressSeen += 1;
      setProgress(progressValue(message, { dryRun: busy === 'check' }), progressText(message));
    },
  };
}
