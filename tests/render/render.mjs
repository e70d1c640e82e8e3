// render.mjs: renders Markdown with marked (GFM on, raw HTML passed through,
// as a console that trusts its input would) for tests/e2e/test_render.py.
// Reads a JSON array of Markdown strings on stdin, writes a JSON array of
// HTML strings on stdout.
import { readFileSync } from "node:fs";
import { marked } from "marked";

const sources = JSON.parse(readFileSync(0, "utf8"));
const out = sources.map((s) => marked.parse(s, { gfm: true, async: false }));
process.stdout.write(JSON.stringify(out));
