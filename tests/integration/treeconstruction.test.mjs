// Covers: the html5lib tree-construction documents (tests/data, MIT): markup made
// to exercise every corner of the WHATWG tree builder, each served through
// one apache2 with only the canonical link on, and judged by bytes and by
// parse5's tree: the link is the one insertion, parse5 puts it in the
// head, and the rest of the tree is the tree of the input.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { start } from './lib/apache.mjs';
import { fetchAll } from './lib/many.mjs';
import { judgeInsertions } from './lib/insertions.mjs';
import { readDatDir } from './lib/html5lib-dat.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const DATA = path.resolve(here, '../data/html5lib-tree-construction');

const CONF = `
SMOEngine On
SMOAutoMeta Off
SMOCanonical On
`;

const LINK = '<link rel="canonical" href="http://127.0.0.1/x.html">';

const CHECKS = {
  bytes: 'byte-preserving (one link or nothing)',
  placement: 'link in the head',
  tree: 'tree unchanged',
  end: 'link at the end where the head opens there',
};

describe('html5lib tree-construction documents through Apache: canonical link', () => {
  let srv;
  const failures = Object.fromEntries(Object.keys(CHECKS).map((k) => [k, []]));
  const judged = Object.fromEntries(Object.keys(CHECKS).map((k) => [k, 0]));
  let docs = [];
  let linked = 0;
  const bare = [];

  const fail = (check, doc, why) => failures[check].push(`${doc.name} ${JSON.stringify(doc.data.toString('latin1').slice(0, 60))}: ${why}`);

  before(async () => {
    // Fragments are parsed in a context element, not as documents; the
    // #script-on/#script-off variants are the same document once.
    const seen = new Set();
    for (const t of readDatDir(DATA)) {
      const key = t.data.toString('latin1');
      if (t.fragment || seen.has(key)) continue;
      seen.add(key);
      docs.push({ ...t, name: `${t.file}:${t.line}`, path: `/t/${docs.length}.html` });
    }
    srv = await start({ conf: CONF, files: Object.fromEntries(docs.map((d) => [d.path.slice(1), d.data])) });
    const got = await fetchAll(srv, docs.map((d) => d.path));
    for (const doc of docs) {
      const res = got[doc.path];
      const r = res.status === 200 ? judgeInsertions(doc.data, res.body) : { bytes: `status ${res.status}` };
      judged.bytes++;
      if (!r.bytes) {
        const links = r.inserted.filter((x) => x.property === 'canonical');
        if (r.runs.length > 1 || r.inserted.length !== links.length || links.length > 1) {
          r.bytes = `inserted ${r.runs.length} runs: ${r.runs.map((x) => JSON.stringify(res.body.subarray(x.at, x.at + x.len).toString('latin1'))).join(', ')}`;
        }
      }
      if (r.bytes) { fail('bytes', doc, r.bytes); continue; }
      judged.placement++;
      judged.tree++;
      if (r.placement.length) fail('placement', doc, r.placement.join('; '));
      if (r.tree) fail('tree', doc, r.tree);
      // SPEC 6 "No head tag": the head opens before the first thing that
      // cannot stay in it.  Where only the end of the input opens it (an
      // empty document, a doctype, comments), the link ends the output,
      // if a link written there becomes a link in the head (not when the
      // input ends inside a comment or a tag: then nothing).
      if (r.in.headOpenedAt === doc.data.length) {
        judged.end++;
        const appended = judgeInsertions(doc.data, Buffer.concat([doc.data, Buffer.from(LINK)]));
        const fits = appended.placement.length === 0 && !appended.tree && appended.inserted.length === 1;
        const at = r.runs.length ? r.runs[0].at : -1;
        if (fits && at !== doc.data.length) {
          fail('end', doc, at < 0 ? 'no link (appended, it would be in the head)' : `link at ${at} of ${doc.data.length} bytes`);
        } else if (!fits && at >= 0) {
          fail('end', doc, `link at ${at}, but the input ends where a link is not an element`);
        }
      }
      if (r.runs.length === 0) bare.push(doc.name); else linked++;
    }
  });

  after(async () => {
    if (srv) await srv.stop();
    const counts = Object.entries(CHECKS)
      .map(([k, label]) => `${label} ${judged[k] - failures[k].length}/${judged[k]}`);
    console.log(`treeconstruction: ${docs.length} documents, link inserted in ${linked}, none in ${bare.length}; ${counts.join(', ')}`);
    if (bare.length) console.log(`treeconstruction: no link in ${bare.join(' ')}`);
  });

  const check = (key, what) => it(what, (t) => {
    t.diagnostic(`treeconstruction: ${CHECKS[key]} ${judged[key] - failures[key].length}/${judged[key]}`);
    assert.ok(failures[key].length === 0, `${failures[key].length} documents fail (${CHECKS[key]}):\n  ${failures[key].join('\n  ')}`);
  });

  check('bytes', 'each output is its document plus one canonical link, or the document');
  check('placement', 'parse5 puts the inserted link in the head');
  check('tree', 'parse5\'s tree of each document is otherwise unchanged');
  check('end', 'where only the end of the input opens the head, the link is at the end');
});
