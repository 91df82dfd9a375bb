// The browser's side of tests/leads/test_ranks.py: the same walks of rank
// generations as leads/ranks.py makes, with static/board/core/rank.js and the npm
// fractional-indexing package, on keys of its own.
//
// stdin: [{name, start: [keys], ops: [op]}], an op being
//   ["at", gap]          one rank into gap ``gap`` (0: above the first key; clamped)
//   ["near", offset]     one rank into the gap ``offset`` away from the last rank made
//   ["many", gap, n]     n ranks into gap ``gap`` (generateNKeysBetween)
// stdout: [{name, made: [every rank made, in order], keys: [the final order]}]
import { generateNKeysBetween } from 'fractional-indexing';
import { rankBetween } from '../../static/board/core/rank.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const walks = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const clamp = (gap, keys) => Math.max(0, Math.min(gap, keys.length));

const results = walks.map(({ name, start, ops }) => {
  const keys = [...start];
  const made = [];
  let last = 0; // index of the last rank made
  for (const [kind, a, b] of ops) {
    const gap = clamp(kind === 'near' ? last + a : a, keys);
    const before = gap > 0 ? keys[gap - 1] : null;
    const after = gap < keys.length ? keys[gap] : null;
    const fresh = kind === 'many' ? generateNKeysBetween(before, after, b) : [rankBetween(before, after)];
    keys.splice(gap, 0, ...fresh);
    made.push(...fresh);
    last = gap + fresh.length - 1;
  }
  return { name, made, keys };
});
process.stdout.write(JSON.stringify(results));
