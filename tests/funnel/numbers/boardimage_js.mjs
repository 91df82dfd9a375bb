// The browser's side of tests/funnel/numbers/test_boardimage.py: the whole-board
// image as static/board/canvas/exportlayout.js lays it out, its header figures,
// and the stamp's words as panels/export.js writes them.
// stdin: {rules, layouts: [{width, height, columns, boardWidth}], figures: [column],
//         money: [[value, currency]], percents: [rate], filters: [filters], stamps: [stamp]}
// stdout: the same keys, the browser's answers.
import { wholeBoardLayout, columnFigures, moreText, RULES } from '../../../static/board/canvas/exportlayout.js';
import { describeFilters, stampText } from '../../../static/board/panels/export.js';
import { money, percent } from '../../../static/board/core/format.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const names = { campaignName: (id) => `campaign ${id}`, personName: (id) => `user ${id}` };
const out = {
  rules: RULES,
  layouts: input.layouts.map((l) => wholeBoardLayout(l.width, l.height, l.columns, { boardWidth: l.boardWidth ?? l.width })),
  figures: input.figures.map((col) => columnFigures(col)),
  more: input.more.map((n) => moreText(n)),
  money: input.money.map(([value, currency]) => money(value, currency)),
  percents: input.percents.map((rate) => percent(rate)),
  filters: input.filters.map((f) => describeFilters(f, names)),
  stamps: input.stamps.map((s) => stampText({ ...s, exportedAt: new Date(s.exportedAt), timeZone: 'UTC' })),
};
process.stdout.write(JSON.stringify(out));
