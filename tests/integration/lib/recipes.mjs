// The shell recipes of docs/click-log.md, run as written: a recipe is the
// indented code block whose first line is its "# label" comment.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DOC = path.join(TOP, 'docs', 'click-log.md');

/** The text of the recipe labelled `label`. */
export function recipe(label) {
  const lines = fs.readFileSync(DOC, 'utf8').split('\n');
  const at = lines.findIndex((l) => l === `    # ${label}`);
  if (at < 0) throw new Error(`no recipe "# ${label}" in docs/click-log.md`);
  const block = [];
  for (let i = at; i < lines.length && lines[i].startsWith('    '); i++) block.push(lines[i].slice(4));
  return block.join('\n') + '\n';
}

/** Run a shell recipe in `cwd` (C locale); its standard output. */
export function sh(script, cwd) {
  return execFileSync('/bin/sh', ['-c', script], { cwd, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, LC_ALL: 'C' } });
}

/** The output of `uniq -c` as {key: count}. */
export function uniqCounts(out) {
  const counts = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const m = /^\s*(\d+) (.*)$/.exec(line);
    assert.ok(m, `not a "uniq -c" line: ${JSON.stringify(line)}`);
    assert.equal(counts[m[2]], undefined, `key twice in ${out}`);
    counts[m[2]] = Number(m[1]);
  }
  return counts;
}
