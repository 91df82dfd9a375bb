// The fixtures against the server's contract: every message builder of
// fixtures.js must make a message the server's schema accepts
// (generated/contract.js, written from leads/events/schema.py by
// manage.py event_contract), and the schema must know no message type the
// fixtures cannot build.
import test from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { MESSAGE_SCHEMA, STORED_TYPES, EPHEMERAL_TYPES, CLOSE } from '../generated/contract.js';
import { CLOSE as SOCKET_CLOSE } from '../net/socket.js';
import * as fx from './fixtures.js';

// ``discriminator`` (OpenAPI's, with a mapping ajv does not take) only names the
// branch; the ``oneOf`` and each branch's ``type`` const decide.
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats(ajv);
for (const keyword of ['discriminator', 'x-stored-types', 'x-ephemeral-types']) ajv.addKeyword(keyword);
const validate = ajv.compile(MESSAGE_SCHEMA);

/** Why ``message`` does not fit (nothing when it does), in its own type's words. */
function problems(message) {
  if (validate(message)) return [];
  const branch = MESSAGE_SCHEMA.discriminator.mapping[message.type];
  const own = branch && ajv.getSchema(MESSAGE_SCHEMA.$id + branch);
  if (own && !own(message)) return own.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
  return validate.errors.map((e) => `${e.instancePath || '/'} ${e.message}`);
}

const lead = fx.card(1, 1, 0);
const samples = {
  'lead.created': fx.created(11, fx.card(90, 1, -1)),
  'lead.updated': fx.updated(11, fx.card(1, 1, 0, { version: 2, value: 3000 }), ['value']),
  'lead.moved': fx.moved(11, fx.card(2, 2, -1, { version: 2 }), 1),
  'campaign.created': fx.campaignCreated(11, { id: 32, name: 'Aardvark' }),
  'campaign.updated': fx.campaignUpdated(12, { id: 30, name: 'Webinar', cost: 1200.5, starts_on: '2026-03-01' }, ['cost', 'starts_on']),
  'campaign.moved': fx.campaignMoved(11, 30, 1, 2, [fx.move(1, 1, 2, -3, 2), fx.move(2, 1, 2, -2, 2)]),
  'leads.moved': fx.batchUndone(12, [fx.move(2, 2, 1, 1, 3)]),
  'lead.feedback': fx.feedback(12, 1, 'rejected', 'No budget'),
  'leads.imported': fx.imported(11, { created: 12, updated: 3 }),
  'stage.created': fx.stageCreated(11, fx.stage(4, 'Demo', 2, { sla_days: 5, wip_limit: 3 }), [1, 2, 4, 3]),
  'stage.updated': fx.stageUpdated(11, fx.stage(2, 'Marketing qualified', 1), ['name'], [1, 2, 3], { handoff: 2 }),
  'stage.deleted': fx.stageDeleted(11, 2, 1, [fx.move(4, 2, 1, -1, 2)], [1, 3]),
  'stages.reordered': fx.stagesReordered(11, [2, 1, 3]),
  'member.joined': fx.memberJoined(13, fx.DANA, 'viewer'),
  'member.updated': fx.memberUpdated(14, fx.DANA, 'editor', ['role']),
  'member.removed': fx.memberRemoved(15, fx.DANA.id),
  'board.updated': fx.boardUpdated(11, { name: 'EMEA', currency: 'EUR' }, ['name', 'currency']),
  'leads.updated': fx.leadsUpdated(12, [fx.card(1, 1, 0, { version: 2, owner: 7 })], ['owner']),
  'lead.archived': fx.archived(12, 1, 1),
  'lead.restored': fx.restored(13, fx.card(1, 1, 0, { version: 3 })),
  'lead.erased': fx.erased(14, 1, 1, true),
  'note.created': fx.noteCreated(12, fx.note(5, 1, 'Call back @mara', { mentions: [1] })),
  'note.updated': fx.noteUpdated(13, fx.note(5, 1, 'Call back Monday', { edited_at: fx.AT })),
  'note.deleted': fx.noteDeleted(14, 5, 1),
  notification: fx.notification(3),
  hello: fx.hello(10, [fx.ME, fx.DANA]),
  pong: { type: 'pong' },
  error: { type: 'error', detail: 'Unknown message type; expected ping or meeting.follow.' },
  'presence.joined': fx.joined(fx.DANA),
  'presence.left': fx.left(fx.DANA),
  'meeting.follow': { type: 'meeting.follow', view: { x: 0, y: 0, scale: 1 }, actor: fx.DANA },
  'import.progress': { type: 'import.progress', phase: 'write', done: 5, total: 10, import: 'tab-1' },
  'share.revoked': { type: 'share.revoked', link: 4 },
  'meeting.started': { type: 'meeting.started', meeting: { id: 2, started_at: fx.AT, started_by: 'Dana Kim' } },
  'meeting.ended': { type: 'meeting.ended', meeting: 2 },
  'numbers.updated': { type: 'numbers.updated', seq: 14, funnel: { stages: [], seq: 14 }, charts: null },
};

test('every message type of the server has a fixture, and every fixture fits the schema', () => {
  assert.deepEqual(Object.keys(samples).sort(), [...STORED_TYPES, ...EPHEMERAL_TYPES].sort());
  for (const [type, message] of Object.entries(samples)) {
    assert.equal(message.type, type);
    assert.deepEqual(problems(message), [], type);
  }
});

test('the schema refuses what the server never sends', () => {
  const { verdict_at, ...noVerdictAt } = lead;
  assert.notDeepEqual(problems(fx.created(11, noVerdictAt)), []); // a card always carries it
  assert.notDeepEqual(problems({ ...samples['lead.moved'], at: 'x' }), []); // a moment
  assert.notDeepEqual(problems({ ...samples['lead.moved'], surprise: 1 }), []); // no extra fields
  const { seq, ...noSeq } = samples['lead.feedback'];
  assert.notDeepEqual(problems(noSeq), []); // a stored event has a seq
  assert.notDeepEqual(problems({ type: 'stage.updated', seq: 3, at: fx.AT, actor: null }), []);
  // A share link's guest sees people without a username.
  const { username, ...guestActor } = fx.DANA;
  assert.deepEqual(problems({ ...samples['lead.feedback'], actor: guestActor }), []);
});

test('the socket uses the server\'s close codes', () => {
  assert.equal(SOCKET_CLOSE, CLOSE);
  assert.equal(CLOSE.RESYNC, 4408);
  assert.equal(CLOSE.SHARE_ENDED, 4410);
});
