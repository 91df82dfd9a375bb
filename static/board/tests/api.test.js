// The CSRF token comes from the page's <meta name="csrf-token">, never from the
// csrftoken cookie (HttpOnly, out of scripts' reach).

import test from 'node:test';
import assert from 'node:assert/strict';

import { createApi, csrfToken, request } from '../net/api.js';

/** A document with (or without) the meta tag, as templates/base.html writes it. */
function page(token) {
  return {
    cookie: 'csrftoken=from-the-cookie',
    querySelector: (selector) =>
      selector === 'meta[name="csrf-token"]' && token !== null ? { getAttribute: (name) => (name === 'content' ? token : null) } : null,
  };
}

function recorder() {
  const calls = [];
  const fetchImpl = async (url, init) => {
    calls.push({ url, init });
    return { ok: true, status: 200, headers: { get: () => 'application/json' }, json: async () => ({}) };
  };
  return { calls, fetchImpl };
}

test('the CSRF token is read from the page, not from the cookie', () => {
  assert.equal(csrfToken(page('from-the-page')), 'from-the-page');
  assert.equal(csrfToken(page(null)), '');
  assert.equal(csrfToken(null), '');
});

test('writes send the page\'s token as X-CSRFToken; reads send none', async () => {
  const previous = globalThis.document;
  globalThis.document = page('tok-123');
  try {
    const { calls, fetchImpl } = recorder();
    await request('POST', '/api/leads/1/move/', { json: { to_stage: 2 }, fetchImpl });
    await request('GET', '/api/boards/1/state/', { fetchImpl });
    assert.equal(calls[0].init.headers['X-CSRFToken'], 'tok-123');
    assert.equal(calls[1].init.headers['X-CSRFToken'], undefined);
    const api = createApi(1, { fetchImpl });
    await api.undo({ batch: 'b' });
    assert.equal(calls[2].init.headers['X-CSRFToken'], 'tok-123');
  } finally {
    globalThis.document = previous;
  }
});
