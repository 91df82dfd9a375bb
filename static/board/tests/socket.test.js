import test from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, linkStatus, socketUrl, createSocket, CLOSE } from '../socket.js';

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
