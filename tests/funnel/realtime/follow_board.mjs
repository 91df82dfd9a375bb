// Browsers following a board, run on node with the board's own front-end code:
// each client loads its /state/ answer and applies the events its socket got,
// with static/board/core/reducer.js, exactly as the page does. After every event
// its column must equal what /state/ answered after that event (ids and ranks),
// and before each of its own drops it predicts the rank the server then gave
// (static/board/core/model.js dropPosition).
//
// stdin: {stage, clients: [{name, state, events}], states: {seq: [[id, rank]]},
//         drops: {seq: {actor, lead, index}}}
// stdout: {checked, predicted, problems: [...]} (the first problems only)
import { loadState, applyEvent } from '../../../static/board/core/reducer.js';
import { buildColumns, dropPosition } from '../../../static/board/core/model.js';
import { emptyFilters } from '../../../static/board/core/filters.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { stage, clients, states, drops } = JSON.parse(Buffer.concat(chunks).toString('utf8'));

let checked = 0;
let predicted = 0;
const problems = [];
const problem = (text) => {
  if (problems.length < 10) problems.push(text);
};

for (const client of clients) {
  let state = loadState(client.state, emptyFilters());
  for (const event of client.events) {
    const drop = drops[event.seq];
    let expected = null;
    if (drop && drop.actor === client.name) {
      const column = buildColumns(state).find((c) => c.id === stage);
      expected = dropPosition(state, new Map(), column.ids, drop.lead, drop.index, column.lane);
    }
    const result = applyEvent(state, event);
    if (result.applied !== 1) problem(`${client.name}: event ${event.seq} not applied`);
    state = result.state;
    const want = states[event.seq];
    if (want) {
      const got = state.stages[stage].ids.map((id) => [id, state.leads[id].position]);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        problem(`${client.name} after ${event.seq}: ${JSON.stringify(got)} != /state/ ${JSON.stringify(want)}`);
      }
      checked += 1;
    }
    if (expected !== null) {
      const given = state.leads[drop.lead].position;
      if (given !== expected) problem(`${client.name} predicted ${expected} for ${event.seq}, the server gave ${given}`);
      predicted += 1;
    }
  }
}
process.stdout.write(JSON.stringify({ checked, predicted, problems }));
