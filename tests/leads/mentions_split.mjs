// The browser's side of tests/leads/test_mentions.py: the usernames
// static/board/core/notes.js highlights in each text, with the server's pattern.
// stdin: {pattern, texts: [text]}; stdout: [[username, ...] per text]
import { mentionSpans } from '../../static/board/core/notes.js';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { pattern, texts } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const out = texts.map((text) => mentionSpans(text, pattern).filter((s) => s.mention).map((s) => s.mention));
process.stdout.write(JSON.stringify(out));
