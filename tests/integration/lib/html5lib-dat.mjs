// The html5lib tree-construction test format (.dat): tests separated by
// "#data" lines, each with #data, #errors, #new-errors,
// #document-fragment, #script-off/#script-on and #document sections.
import fs from 'node:fs';
import path from 'node:path';

const HEADINGS = new Set(['data', 'errors', 'new-errors', 'document-fragment', 'script-off', 'script-on', 'document']);

/**
 * The tests of one .dat file: [{data: Buffer (the #data bytes as they
 * are), fragment: bool, script: 'on'|'off'|null, line}].
 */
export function readDat(file) {
  // latin1: one character per byte, so the data goes back to its bytes.
  const lines = fs.readFileSync(file, 'latin1').split('\n');
  const tests = [];
  let cur = null;
  let section = null;
  lines.forEach((line, k) => {
    const heading = line.startsWith('#') ? line.slice(1) : null;
    if (heading !== null && HEADINGS.has(heading) && (heading !== 'data' || !cur || section !== 'data')) {
      if (heading === 'data') {
        cur = { sections: {}, line: k + 1 };
        tests.push(cur);
      }
      section = heading;
      if (cur) cur.sections[section] = [];
      return;
    }
    if (cur && section) cur.sections[section].push(line);
  });
  return tests.map((t) => ({
    data: Buffer.from((t.sections.data || []).join('\n'), 'latin1'),
    fragment: 'document-fragment' in t.sections,
    script: 'script-on' in t.sections ? 'on' : 'script-off' in t.sections ? 'off' : null,
    line: t.line,
  }));
}

/** Every test of every .dat file directly in `dir`, each with its file name. */
export function readDatDir(dir) {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.dat')).sort()
    .flatMap((n) => readDat(path.join(dir, n)).map((t) => ({ ...t, file: n })));
}
