// The data bridge's pure parts: the import dialog's mapping, progress and
// report; the handoff form's fields and body; the lead quality panel.
import test from 'node:test';
import assert from 'node:assert/strict';
import { mappingProblems, progressValue, progressText, reportView, importLabel, importable, rejectedName, summaryText, presetText, placeChoices, TARGETS } from '../panels/importer.js';
import { loadState } from '../core/reducer.js';
import { apiState } from './fixtures.js';
import { feedbackFields, feedbackBody, feedbackProblem, verdictNews } from '../panels/handoff.js';
import { qualityView, periodQuery, recentLine } from '../panels/quality.js';
import { emptyFilters } from '../core/filters.js';
import { describeEffect, describeCard } from '../ui/a11y.js';

// What the page config hands the script (leads.rules.page_rules), in short.
const RULES = {
  feedback_fields: [['name', 'Name'], ['email', 'Email'], ['company', 'Company'], ['title', 'Job title'], ['source', 'Source'],
    ['owner', 'Owner'], ['score', 'Score'], ['value', 'Value'], ['campaign', 'Campaign'], ['stage', 'Stage'],
    ['external_id', 'Marketing system id'], ['crm_id', 'CRM id']],
};

test('import mapping: one column per field, and a name or an email', () => {
  assert.deepEqual(mappingProblems({ Email: 'email', Company: 'company', Notes: 'attributes', X: 'ignore', Y: 'attributes' }), []);
  assert.deepEqual(mappingProblems({ 'First Name': 'first_name', Phone: 'attributes' }), []);
  assert.deepEqual(mappingProblems({ Email: 'email', 'Email Address': 'email', Name: 'name' }), [
    'Email is chosen for 2 columns (“Email”, “Email Address”): keep one.',
  ]);
  assert.deepEqual(mappingProblems({ Company: 'company', Notes: 'attributes' }), [
    'Choose the column with the name (or first and last name) or the email.',
  ]);
  // Every target the server knows, and keep / ignore.
  assert.deepEqual(TARGETS.map(([v]) => v).slice(-2), ['attributes', 'ignore']);
});

test('import progress: a dry run checks (0-100); an import checks (0-40) then writes (40-100)', () => {
  assert.equal(progressValue({ phase: 'check', done: 50, total: 100 }, { dryRun: true }), 50);
  assert.equal(progressValue({ phase: 'check', done: 100, total: 100 }, { dryRun: false }), 40);
  assert.equal(progressValue({ phase: 'write', done: 500, total: 1000 }, { dryRun: false }), 70);
  assert.equal(progressValue({ phase: 'write', done: 1000, total: 1000 }, { dryRun: false }), 100);
  assert.equal(progressValue({ phase: 'write', done: 5, total: 0 }, { dryRun: false }), 40);
  assert.equal(progressValue({ phase: 'write', done: 99, total: 10 }, { dryRun: false }), 100);
  assert.equal(progressText({ phase: 'write', done: 1200, total: 5000 }), 'Writing leads… 1,200 of 5,000');
});

test('import report: ready, imported, or every problem with its row and column', () => {
  const ready = reportView({ dry_run: true, created: 12, updated: 3, unchanged: 2, errors: [], stages_created: ['Nurture'], campaigns_created: [], preview: [{ row: 2, action: 'create', name: 'Ada' }] });
  assert.equal(ready.ok, true);
  assert.equal(ready.headline, 'The import will do: 12 new leads, 3 updated, 2 unchanged.');
  assert.equal(ready.state, 'ready');
  assert.deepEqual(ready.creates, ['Will create stages: Nurture']);
  assert.equal(ready.preview.length, 1);
  assert.equal(importLabel({ created: 12, updated: 3 }), 'Import 12 new + 3 updated');
  assert.equal(importLabel({ created: 0, updated: 1 }), 'Import 1 updated');

  const done = reportView({ dry_run: false, created: 1, updated: 0, unchanged: 0, errors: [], campaigns_created: ['Expo'] });
  assert.equal(done.headline, 'Imported: 1 new lead, 0 updated.');
  assert.deepEqual(done.creates, ['Created campaigns: Expo']);

  const nothing = reportView({ dry_run: true, created: 0, updated: 0, unchanged: 4, errors: [] });
  assert.match(nothing.headline, /^Nothing to import/);

  const bad = reportView({
    dry_run: true,
    created: 0,
    updated: 0,
    errors: [
      { row: 7, field: 'Email', message: "'x' is not a valid email address." },
      { row: 3, field: 'stage', message: "No stage named 'Nurture' on this board (import with create_missing to create it)." },
      { row: 1, field: null, message: 'Missing required columns.' },
      { row: null, field: 'file', message: 'The file is empty.' },
    ],
  });
  assert.equal(bad.ok, false);
  assert.equal(bad.state, 'problems');
  assert.equal(bad.headline, '4 problems: nothing can be imported. Fix the file or the columns, then check again.');
  assert.deepEqual(bad.rowErrors.map((e) => e.row), [3, 7]);
  assert.equal(bad.fileErrors.length, 2);
  assert.match(bad.hint, /Create the stages and campaigns/);
  const many = reportView({ dry_run: true, errors: Array.from({ length: 250 }, (_, i) => ({ row: i + 2, field: 'Score', message: 'x' })) });
  assert.equal(many.rowErrors.length, 200);
  assert.equal(many.more, 50);
  assert.match(presetText('hubspot'), /HubSpot export/);
  assert.match(presetText('generic'), /check how each column is read/);
});

test('import the good rows: the words before, the button, the rejected rows', () => {
  const errors = Array.from({ length: 10 }, (_, i) => ({ row: 3 + 4 * i, field: 'Email', message: 'not a valid email address.' }));
  const check = { dry_run: true, mode: 'good_rows', refused: false, created: 38, updated: 2, unchanged: 0, rejected: 10, errors, rejected_csv: 'Row in original file,Import problems,Email\n3,x,y\n', preview: [] };
  assert.equal(summaryText({ created: 38, updated: 2, rejected: 5 }), '38 new leads, 2 updated, 5 rows skipped');
  assert.equal(summaryText({ created: 1, updated: 0, unchanged: 3, rejected: 1 }), '1 new lead, 0 updated, 3 unchanged, 1 row skipped');
  // All or nothing (the default): the problems stop the import, the words say what ticking gives.
  const strict = reportView(check);
  assert.equal(strict.state, 'partial');
  assert.equal(strict.headline, '10 rows have problems, so nothing will be imported as it is. Fix them, or tick “Import the good rows” for: 38 new leads, 2 updated, 10 rows skipped.');
  assert.equal(importable(check, { goodRows: false }), false);
  // The good rows chosen: the import may run, the button says what it skips.
  const good = reportView(check, { goodRows: true });
  assert.equal(good.headline, 'The import will do: 38 new leads, 2 updated, 10 rows skipped. The rows with problems stay out; download them to fix and import again.');
  assert.equal(good.rejected, 10);
  assert.equal(good.rowErrors.length, 10);
  assert.equal(importable(check, { goodRows: true }), true);
  assert.equal(importLabel(check), 'Import 38 new + 2 updated, skip 10 rows');
  // Done: what went in, and the rows left out can still be downloaded.
  const done = reportView({ ...check, dry_run: false });
  assert.equal(done.state, 'imported');
  assert.equal(done.headline, 'Imported: 38 new leads, 2 updated, 10 rows skipped.');
  // Refused (a problem of the file, or no good row): never importable, whatever is ticked.
  const refused = { ...check, refused: true, created: 0, updated: 0 };
  assert.equal(importable(refused, { goodRows: true }), false);
  assert.equal(reportView(refused, { goodRows: true }).state, 'problems');
  assert.equal(importable({ dry_run: true, refused: false, created: 3, errors: [] }, { goodRows: false }), true);
  assert.equal(rejectedName('hubspot-contacts.csv'), 'hubspot-contacts-rejected.csv');
  assert.equal(rejectedName(''), 'import-rejected.csv');
  assert.ok(TARGETS.some(([v]) => v === 'owner') && TARGETS.some(([v]) => v === 'stage_entered_at'));
});

test('handoff form: the lead fields worth judging, then the body to send', () => {
  const lead = {
    name: 'Ada Lovelace', email: 'ada@example.com', company: '', title: 'CTO', source: null, owner: 7, score: 72,
    value: '40000.00', campaign: 30, external_id: 'hs-1', crm_id: '', attributes: { Phone: '+1 555', Empty: '', Industry: 'Math' },
  };
  const fields = feedbackFields(lead, RULES.feedback_fields, { person: (id) => (id === 7 ? 'Dana Kim' : '?'), campaign: () => 'Webinar' });
  assert.deepEqual(fields.map((f) => [f.name, f.value]), [
    ['name', 'Ada Lovelace'], ['email', 'ada@example.com'], ['title', 'CTO'], ['owner', 'Dana Kim'], ['score', '72'],
    ['value', '$40K'], ['campaign', 'Webinar'], ['external_id', 'hs-1'], ['Phone', '+1 555'], ['Industry', 'Math'],
  ]);
  assert.deepEqual(feedbackBody({ verdict: 'rejected', reason: 'No budget', marks: { title: 'valuable', Phone: 'useless', email: '' } }), {
    verdict: 'rejected', reason: 'No budget', then: 'recycle', valuable_fields: ['title'], useless_fields: ['Phone'],
  });
  assert.equal(feedbackBody({ verdict: 'accepted', reason: 'stale' }).reason, '');
  assert.equal(feedbackBody({ verdict: 'accepted', then: 'lost' }).then, 'stay');
  assert.equal(feedbackBody({ verdict: 'rejected', reason: 'Duplicate', then: 'lost' }).then, 'lost');
  assert.equal(feedbackProblem({ verdict: null }), 'Choose Accept or Reject.');
  assert.equal(feedbackProblem({ verdict: 'rejected', reason: '' }), 'Pick the reason for rejecting this lead.');
  assert.equal(feedbackProblem({ verdict: 'accepted', reason: '' }), null);
  const news = verdictNews({ verdict: 'rejected', reason: 'Duplicate', event: { actor: { id: 2, name: 'Sam Ortega' } } }, { id: 1 });
  assert.equal(news, 'Sam Ortega rejected this lead just now (Duplicate). Sending yours records a second verdict; the latest counts.');
});

const tally = (accepted, rejected, extra = {}) => ({
  accepted,
  rejected,
  acceptance_rate: accepted + rejected ? accepted / (accepted + rejected) : null,
  top_reasons: [],
  valuable_fields: [],
  useless_fields: [],
  ...extra,
});
const QUALITY = {
  total: tally(6, 4, { top_reasons: [{ reason: 'No budget', leads: 3 }, { reason: 'Duplicate', leads: 1 }] }),
  campaigns: [
    { id: 30, name: 'Webinar', channel: 'webinar', ...tally(5, 1, { top_reasons: [{ reason: 'Duplicate', leads: 1 }], valuable_fields: [{ field: 'title', leads: 4 }] }) },
    { id: 31, name: 'Ads', channel: 'paid', ...tally(1, 3, { top_reasons: [{ reason: 'No budget', leads: 3 }], useless_fields: [{ field: 'Phone', leads: 2 }] }) },
    { id: 32, name: 'Expo', channel: 'event', ...tally(0, 0) },
  ],
  channels: [{ channel: 'event', ...tally(0, 0) }, { channel: 'paid', ...tally(1, 3) }, { channel: 'webinar', ...tally(5, 1) }],
};

test('lead quality: groups with verdicts, most judged first; the campaign filter narrows', () => {
  const view = qualityView(QUALITY);
  assert.equal(view.total.rateText, '60%');
  assert.deepEqual(view.total.reasons, [{ label: 'No budget', n: 3 }, { label: 'Duplicate', n: 1 }]);
  assert.deepEqual(view.groups.map((g) => [g.name, g.judged, g.rateText]), [['Webinar', 6, '83.3%'], ['Ads', 4, '25%']]);
  assert.equal(view.silent, 1);
  assert.deepEqual(view.groups[1].useless, [{ label: 'Phone', n: 2 }]);
  assert.equal(view.note, '');
  const channels = qualityView(QUALITY, { by: 'channel' });
  assert.deepEqual(channels.groups.map((g) => g.name), ['webinar', 'paid']);
  const filtered = qualityView(QUALITY, { filters: { ...emptyFilters(), campaign: [31], score_min: 50 } });
  assert.deepEqual(filtered.groups.map((g) => g.name), ['Ads']);
  assert.match(filtered.note, /Only the campaigns of the board’s filter/);
  assert.match(filtered.note, /score and search filters do not apply/);
});

test('lead quality: the period is a cohort start; verdict lines', () => {
  assert.equal(periodQuery('all').toString(), '');
  const now = Date.parse('2025-12-01T00:00:00Z');
  assert.equal(periodQuery('30', now).get('start'), '2025-11-01T00:00:00.000Z');
  const effect = { verdict: 'rejected', reason: 'No budget', name: 'Ada', event: { actor: { id: 2, name: 'Sam Ortega' } } };
  assert.equal(recentLine(effect, { me: { id: 1 }, campaignName: 'Webinar' }), 'Sam Ortega rejected Ada (Webinar): No budget');
  assert.equal(recentLine({ ...effect, verdict: 'accepted' }, { me: { id: 2 } }), 'You accepted Ada');
});

test('screen readers hear verdicts and imports', () => {
  const names = { stageName: () => 'SQL', campaignName: () => 'Webinar', me: { id: 1 } };
  const event = { actor: { id: 2, name: 'Sam Ortega' } };
  assert.equal(describeEffect({ kind: 'feedback', name: 'Ada', verdict: 'rejected', reason: 'No budget', event }, names), 'Sam Ortega rejected Ada: No budget');
  assert.equal(describeEffect({ kind: 'feedback', name: null, verdict: 'accepted', event: { actor: { id: 1 } } }, names), 'You accepted a lead');
  assert.equal(describeEffect({ kind: 'imported', created: 12, updated: 0, event }, names), 'Sam Ortega imported 12 new leads');
  assert.equal(describeEffect({ kind: 'imported', created: 1, updated: 0, event: {} }, names), 'The system imported 1 new lead');
  const card = { name: 'Ada', company: 'Acme', score: 72, verdict: 'accepted' };
  assert.equal(describeCard(card, { stageName: 'SQL', ownerName: '', index: 0, total: 3 }), 'Ada, Acme, score 72, accepted by sales, SQL, 1 of 3');
});

test('bridge requests: JSON or a form, the share token, the server\'s words on failure', async () => {
  const { request } = await import('../net/api.js');
  const calls = [];
  const answer = (status, body) => async (url, init) => {
    calls.push({ url, init });
    return { ok: status < 400, status, headers: { get: () => 'application/json' }, json: async () => body };
  };
  const ok = await request('GET', '/api/boards/9/lead-quality/', { query: new URLSearchParams({ start: 'x' }), share: 'tok', fetchImpl: answer(200, { total: 1 }) });
  assert.deepEqual(ok, { total: 1 });
  assert.equal(calls[0].url, '/api/boards/9/lead-quality/?start=x');
  assert.equal(calls[0].init.headers['X-Share-Token'], 'tok');
  assert.equal(calls[0].init.headers['X-CSRFToken'], undefined);
  await request('POST', '/api/leads/1/feedback/', { json: { verdict: 'accepted' }, fetchImpl: answer(201, {}) });
  assert.equal(calls[1].init.body, '{"verdict":"accepted"}');
  assert.equal(calls[1].init.headers['Content-Type'], 'application/json');
  const report = { detail: '2 problem(s); nothing was imported.', errors: [{ row: 3 }] };
  await assert.rejects(request('POST', '/api/boards/9/import/', { form: 'FORM', fetchImpl: answer(400, report) }), (error) => {
    assert.equal(error.status, 400);
    assert.equal(error.message, '2 problem(s); nothing was imported.');
    assert.deepEqual(error.body.errors, [{ row: 3 }]);
    return true;
  });
  assert.equal(calls[2].init.body, 'FORM');
  assert.equal(calls[2].init.headers['Content-Type'], undefined); // the browser sets the boundary
  await assert.rejects(request('GET', '/x', { fetchImpl: async () => { throw new TypeError('down'); } }), (error) => error.status === 0 && /Could not reach the server/.test(error.message));
  await assert.rejects(request('GET', '/x', { fetchImpl: answer(502, null) }), /server failed \(502\)/);
});

test('new stages of an import go before Won by default, or after an open stage', () => {
  const state = loadState(apiState(), emptyFilters());
  assert.deepEqual(placeChoices(state), [
    ['', 'Before Won (the end of the funnel)'],
    ['1', 'After New'],
    ['2', 'After MQL'],
  ]);
  assert.deepEqual(placeChoices(null), [['', 'Before Won and Lost']]);
});
