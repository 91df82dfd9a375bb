import test from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, linkStatus, createSocket, isFinalClose, CLOSE } from '../net/socket.js';
import { socketUrl, ticketUrl, SocketRefused } from '../net/tickets.js';

test('backoff grows, is capped, and is jittered', () => {
  assert.equal(backoffDelay(0, () => 0), 250);
  assert.equal(backoffDelay(0, () => 1), 500);
  assert.equal(backoffDelay(3, () => 0), 2000);
  assert.equal(backoffDelay(30, () => 1), 30_000);
  const spread = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
  assert.ok(spread.size > 1);
});

test('status: live with a hello, offline when the network is gone or tries keep failing', () => {
  assert.equal(linkStatus({ open: true, hello: true, failures: 0, online: true }), 'live');
  assert.equal(linkStatus({ open: true, hello: false, failures: 0, online: true }), 'reconnecting');
  assert.equal(linkStatus({ open: false, hello: false, failures: 1, online: true }), 'reconnecting');
  assert.equal(linkStatus({ open: false, hello: false, failures: 4, online: true }), 'offline');
  assert.equal(linkStatus({ open: false, hello: false, failures: 0, online: false }), 'offline');
});

test('wss when the page is https', () => {
  assert.equal(socketUrl({ protocol: 'https:', host: 'fb.example' }, 3), 'wss://fb.example/ws/boards/3/');
  assert.equal(socketUrl({ protocol: 'http:', host: '127.0.0.1:8000' }, 3), 'ws://127.0.0.1:8000/ws/boards/3/');
  assert.equal(socketUrl({ protocol: 'http:', host: 'h' }, 3, { ticket: 'a+b' }), 'ws://h/ws/boards/3/?ticket=a%2Bb');
});

function answering(status, body) {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return { ok: status < 400, status, headers: { get: () => 'application/json' }, json: async () => body };
  };
  return { calls, fetchImpl };
}

test("a guest's socket URL carries a fresh ticket, never the link's token", async () => {
  const { calls, fetchImpl } = answering(201, { ticket: 'T1', expires_in: 30 });
  const url = await ticketUrl({ protocol: 'https:', host: 'fb.example' }, 3, { share: 'SECRET', fetchImpl });
  assert.equal(url, 'wss://fb.example/ws/boards/3/?ticket=T1');
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, '/api/ws-ticket/');
  assert.equal(calls[0].init.method, 'POST');
  assert.equal(calls[0].init.headers['X-Share-Token'], 'SECRET');
  assert.ok(!url.includes('SECRET'));
});

test('a link that no longer works is a SHARE_ENDED refusal; a server failure is not', async () => {
  for (const status of [401, 403]) {
    const { fetchImpl } = answering(status, { detail: 'This share link was revoked or has expired.' });
    await assert.rejects(ticketUrl({ protocol: 'http:', host: 'h' }, 3, { share: 'S', fetchImpl }), (error) => error instanceof SocketRefused && error.closeCode === CLOSE.SHARE_ENDED);
  }
  const { fetchImpl } = answering(503, { detail: 'busy' });
  await assert.rejects(ticketUrl({ protocol: 'http:', host: 'h' }, 3, { share: 'S', fetchImpl }), (error) => !(error instanceof SocketRefused) && error.status === 503);
});

class FakeSocket {
  static made = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.made.push(this);
  }
  open() {
    this.readyState = 1;
    this.onopen && this.onopen();
  }
  message(data) {
    this.onmessage({ data: JSON.stringify(data) });
  }
  send(text) {
    this.sent.push(text);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose && this.onclose({ code });
  }
}

test('hello, events and presence go to their handlers; 4404 stops retrying', () => {
  FakeSocket.made = [];
  const seen = { hello: [], event: [], presence: [], status: [], closed: [] };
  const socket = createSocket('ws://x/ws/boards/1/', {
    hello: (m) => seen.hello.push(m.seq),
    event: (m) => seen.event.push(m.seq),
    presence: (m) => seen.presence.push(m.type),
    status: (s) => seen.status.push(s),
    closed: (c) => seen.closed.push(c),
  }, { WebSocketImpl: FakeSocket });
  socket.start();
  const ws = FakeSocket.made[0];
  ws.open();
  ws.message({ type: 'hello', seq: 4, presence: [] });
  ws.message({ type: 'lead.moved', seq: 5 });
  ws.message({ type: 'presence.joined', user: { id: 2 } });
  ws.message({ type: 'pong' });
  assert.deepEqual(seen.hello, [4]);
  assert.deepEqual(seen.event, [5]);
  assert.deepEqual(seen.presence, ['presence.joined']);
  assert.equal(socket.status, 'live');
  ws.close(CLOSE.NOT_FOUND);
  assert.deepEqual(seen.closed, [4404]);
  assert.equal(socket.status, 'offline');
  socket.stop();
});

test('numbers.updated carries the seq its numbers count to, yet is no stored event', () => {
  FakeSocket.made = [];
  const seen = { event: [], message: [] };
  const socket = createSocket('ws://x/ws/boards/1/', {
    event: (m) => seen.event.push(m.seq),
    message: (m) => seen.message.push([m.type, m.seq]),
  }, { WebSocketImpl: FakeSocket });
  socket.start();
  const ws = FakeSocket.made[0];
  ws.open();
  ws.message({ type: 'hello', seq: 4, presence: [] });
  ws.message({ type: 'lead.moved', seq: 5 });
  ws.message({ type: 'numbers.updated', seq: 5, funnel: {}, charts: null });
  assert.deepEqual(seen.event, [5]);
  assert.deepEqual(seen.message, [['numbers.updated', 5]]);
  socket.stop();
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const microtasks = async () => {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
};

test('a URL function is asked before every (re)connect', async () => {
  FakeSocket.made = [];
  let asked = 0;
  const socket = createSocket(async () => `ws://x/ws/boards/1/?ticket=t${++asked}`, {}, { WebSocketImpl: FakeSocket });
  socket.start();
  await tick();
  assert.deepEqual(FakeSocket.made.map((ws) => ws.url), ['ws://x/ws/boards/1/?ticket=t1']);
  FakeSocket.made[0].open();
  FakeSocket.made[0].message({ type: 'hello', seq: 1, presence: [] });
  socket.restart();
  await tick();
  assert.deepEqual(FakeSocket.made.map((ws) => ws.url), ['ws://x/ws/boards/1/?ticket=t1', 'ws://x/ws/boards/1/?ticket=t2']);
  socket.stop();
});

test('a refusal from the URL function is that close: 4410 stops retrying', async () => {
  FakeSocket.made = [];
  const closed = [];
  const socket = createSocket(async () => {
    throw new SocketRefused(CLOSE.SHARE_ENDED);
  }, { closed: (code) => closed.push(code) }, { WebSocketImpl: FakeSocket });
  socket.start();
  await tick();
  assert.deepEqual(closed, [CLOSE.SHARE_ENDED]);
  assert.equal(FakeSocket.made.length, 0);
  assert.equal(socket.status, 'offline');
  socket.stop();
});

test('a failed URL function (network, server) is a failed attempt, retried', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  FakeSocket.made = [];
  let calls = 0;
  const socket = createSocket(async () => {
    calls += 1;
    if (calls === 1) throw new Error('offline');
    return 'ws://x/ws/boards/1/?ticket=ok';
  }, {}, { WebSocketImpl: FakeSocket });
  socket.start();
  await microtasks();
  assert.equal(FakeSocket.made.length, 0);
  t.mock.timers.tick(60_000);
  await microtasks();
  assert.equal(calls, 2);
  assert.deepEqual(FakeSocket.made.map((ws) => ws.url), ['ws://x/ws/boards/1/?ticket=ok']);
  socket.stop();
});

test('final closes (signed out, removed, board gone, share link ended) are one rule; the rest retry', () => {
  assert.deepEqual(
    Object.values(CLOSE).filter(isFinalClose).sort(),
    [CLOSE.UNAUTHENTICATED, CLOSE.REMOVED, CLOSE.NOT_FOUND, CLOSE.SHARE_ENDED].sort(),
  );
});
