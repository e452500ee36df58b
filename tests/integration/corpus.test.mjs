// Real pages nobody here wrote: the 258 pages of npm's htmlparser-benchmark
// (bench/'s corpus, installed by scripts/deps.sh), each served through one
// apache2 with metadata and a share block, and judged as a crawler and a
// browser would: byte preservation, parse5's tree, the head region's
// declarations (SPEC 6 "Declared"), and open-graph-scraper's reading.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ogs from 'open-graph-scraper';

import { start } from './lib/apache.mjs';
import { fetchAll } from './lib/many.mjs';
import { judgeInsertions, declarations } from './lib/insertions.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.resolve(here, '../../bench/node_modules/htmlparser-benchmark/files');
const haveCorpus = fs.existsSync(CORPUS);

const CONF = `
SMOEngine On
SMOShare x facebook linkedin email
`;

// How open-graph-scraper names what mod_smo inserts.
const OGS = {
  'og:title': 'ogTitle', 'og:description': 'ogDescription', 'og:url': 'ogUrl',
  'og:type': 'ogType', 'og:locale': 'ogLocale', 'og:image': 'ogImage',
  'twitter:card': 'twitterCard',
};
const ogsValue = (result, key) => (key === 'ogImage' ? result[key]?.[0]?.url : result[key]);

async function scrape(buf) {
  const { error, result } = await ogs({ html: buf.toString('latin1'), onlyGetOpenGraphInfo: true });
  return error ? null : result;
}

const CHECKS = {
  bytes: 'byte-preserving',
  placement: 'inserted in head/body',
  tree: 'tree unchanged',
  declared: 'declared once',
  scraper: 'open-graph-scraper',
};

describe('real pages through Apache: metadata and share block', {
  skip: haveCorpus ? false : `no corpus at ${CORPUS}: run scripts/deps.sh (npm ci in bench/)`,
}, () => {
  let srv;
  const failures = Object.fromEntries(Object.keys(CHECKS).map((k) => [k, []]));
  const judged = Object.fromEntries(Object.keys(CHECKS).map((k) => [k, 0]));
  let names = [];
  let navs = 0;

  const fail = (check, name, why) => failures[check].push(`${name.slice(0, 12)}: ${why}`);

  before(async () => {
    names = fs.readdirSync(CORPUS).filter((n) => n.endsWith('.html')).sort();
    const files = Object.fromEntries(names.map((n) => [n, fs.readFileSync(path.join(CORPUS, n))]));
    srv = await start({ conf: CONF, files });
    const got = await fetchAll(srv, names.map((n) => `/${n}`));
    for (const name of names) {
      const input = files[name];
      const res = got[`/${name}`];
      for (const k of Object.keys(judged)) judged[k]++;
      if (res.status !== 200) {
        for (const k of Object.keys(CHECKS)) fail(k, name, `status ${res.status}`);
        continue;
      }
      const r = judgeInsertions(input, res.body);
      if (r.bytes) {
        // Nothing else can be judged without knowing what was inserted.
        for (const k of Object.keys(CHECKS)) fail(k, name, k === 'bytes' ? r.bytes : 'not byte-preserving');
        continue;
      }
      navs += r.navs;
      if (r.placement.length) fail('placement', name, r.placement.join('; '));
      if (r.tree) fail('tree', name, r.tree);

      const declared = declarations(r.out);
      const twice = r.inserted
        .map(({ property }) => [property, declared.filter((d) => d.property === property).length])
        .filter(([, count]) => count !== 1);
      if (twice.length) fail('declared', name, twice.map(([p, c]) => `${p} x${c}`).join(', '));

      // The page's own values as open-graph-scraper reads them (wherever
      // they are), against what it reads once mod_smo has been through.
      const [before, after] = await Promise.all([scrape(input), scrape(res.body)]);
      if (!before || !after) { fail('scraper', name, 'open-graph-scraper failed'); continue; }
      const wrong = [];
      for (const [property, key] of Object.entries(OGS)) {
        const own = ogsValue(before, key);
        const mine = r.inserted.find((x) => x.property === property);
        const want = own !== undefined ? own : mine?.value;
        const seen = ogsValue(after, key);
        if (seen !== want) {
          wrong.push(`${property} ${JSON.stringify(seen)}, not ${own !== undefined ? 'the page\'s' : 'mod_smo\'s'} ${JSON.stringify(want)}`);
        }
      }
      // SPEC 3: summary_large_image when an og:image is known (declared).
      const card = r.inserted.find((x) => x.property === 'twitter:card');
      if (card) {
        const image = declared.find((d) => d.property === 'og:image');
        const want = image ? 'summary_large_image' : 'summary';
        if (card.value !== want) wrong.push(`twitter:card ${JSON.stringify(card.value)} with og:image ${image ? JSON.stringify(image.value) : 'not declared'}`);
      }
      if (wrong.length) fail('scraper', name, wrong.join('; '));
    }
  });

  after(async () => {
    if (srv) await srv.stop();
    const counts = Object.entries(CHECKS)
      .map(([k, label]) => `${label} ${judged[k] - failures[k].length}/${judged[k]}`);
    console.log(`corpus: ${names.length} pages, ${counts.join(', ')}, share blocks ${navs}`);
  });

  const check = (key, what) => it(what, (t) => {
    t.diagnostic(`corpus: ${CHECKS[key]} ${judged[key] - failures[key].length}/${judged[key]}`);
    assert.ok(failures[key].length === 0, `${failures[key].length} pages fail (${CHECKS[key]}):\n  ${failures[key].join('\n  ')}`);
  });

  check('bytes', 'each output is its page plus insertions only');
  check('placement', 'parse5 puts the inserted tags in the head and the share nav in the body');
  check('tree', 'parse5\'s tree of each page is otherwise unchanged');
  check('declared', 'each inserted property is declared once before </head>/<body>');
  check('scraper', 'open-graph-scraper reads the page\'s own values, else mod_smo\'s');
});
