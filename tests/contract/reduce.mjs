// The contract test's browser side (tests/contract/test_reducer_contract.py): the
// board's real reducer applies the events the server logged between two states.
//
//   node tests/contract/reduce.mjs cases.json
//
// cases.json: {"cases": [{"search": "?score_min=40", "before": /state/ at N,
// "events": /events/?after=N up to M, "after": /state/ at M, "full": /state/ at
// M with every card (optional)}, ...]}. Prints, per case, the reduced state and
// the fresh ones, each as loadState keeps it (less ``touched``: the browser's own
// memory of who moved what, in no answer), and whether the reducer asked for a
// refetch. Each stage's ``median_age_days`` is left out (see ``momentFree``).

import { readFileSync } from 'node:fs';
import { parseFilters } from '../../static/board/core/filters.js';
import { applyEvents, loadState } from '../../static/board/core/reducer.js';

// ``median_age_days`` is a moment's figure (it grows with the clock): the page reads
// it fresh with each load and the reducer leaves it as it came.
const momentFree = (stages) =>
  Object.fromEntries(Object.entries(stages).map(([id, { median_age_days, ...stage }]) => [id, stage]));
const comparable = ({ touched, ...state }) => ({ ...state, stages: momentFree(state.stages) });

const { cases } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const results = cases.map(({ search, before, events, after, full }) => {
  const filters = parseFilters(search);
  const result = applyEvents(loadState(before, filters), events);
  return {
    reduced: comparable(result.state),
    fresh: comparable(loadState(after, filters)),
    full: full ? comparable(loadState(full, filters)) : null,
    applied: result.applied,
    gap: result.gap,
    refetch: result.refetch,
  };
});
process.stdout.write(JSON.stringify(results));
