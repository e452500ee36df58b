// Covers: real pages nobody here wrote: the 258 pages of npm's htmlparser-benchmark
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
import { parseHtml } from './lib/html.mjs';

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

// The page's text as a browser decodes it (SPEC 6 "Which charset"): the
// byte order mark, the Content-Type charset, the page's declaration in
// its first 1024 bytes, else UTF-8 if it is valid UTF-8, else
// windows-1252.
function decodePage(buf, contentType) {
  const tryLabel = (label, bytes) => {
    try { return new TextDecoder(label.trim().replace(/^["']|["']$/g, '')).decode(bytes); } catch { return null; }
  };
  if (buf.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))) return buf.subarray(3).toString('utf8');
  const header = /charset=([^;]+)/i.exec(contentType || '');
  const head = buf.subarray(0, 1024).toString('latin1');
  const meta = /<meta\b[^>]*?charset\s*=\s*["']?\s*([^"'\s;>\/]+)/i.exec(head);
  for (const m of [header, meta]) {
    if (!m) continue;
    const text = tryLabel(m[1], buf);
    // A declaration of UTF-16 in an ASCII page means UTF-8 (the prescan rule).
    if (text !== null) return /^utf-16/i.test(m[1].trim()) ? buf.toString('utf8') : text;
  }
  try { return new TextDecoder('utf-8', { fatal: true }).decode(buf); } catch { return new TextDecoder('windows-1252').decode(buf); }
}

// Whitespace collapsed; a control character (which a browser keeps, but
// which no character reference can write: a parse error in HTML, not
// allowed in XML) is U+FFFD, as NUL is.
const collapse = (t) => t.replace(/[\t\n\f\r ]+/g, ' ').trim()
  .replace(/[\0-\x08\x0b\x0e-\x1f\x7f-\x9f]/g, '\ufffd');

// What SMOAutoMeta derives (SPEC 3), read from the page as a browser
// reads it: og:title from the head's <title>, og:description from
// <meta name="description"> when the head region declares one (SPEC 6
// "Declared": before the literal </head> or <body>, which may lie past
// the point where the tree builder ended the head): the first in the
// document, which then lies in the region.
function derived(input, contentType, regionHasDescription) {
  const { doc, head } = parseHtml(decodePage(input, contentType));
  const out = {};
  const title = head && head.childNodes.find((n) => n.nodeName === 'title');
  if (title) out['og:title'] = collapse(title.childNodes.map((c) => c.value || '').join(''));
  const isDesc = (n) => n.nodeName === 'meta' &&
    (n.attrs.find((a) => a.name === 'name')?.value || '').trim().toLowerCase() === 'description';
  const desc = regionHasDescription && firstElement(doc, isDesc);
  if (desc) out['og:description'] = collapse(desc.attrs.find((a) => a.name === 'content')?.value || '');
  return out;
}

function firstElement(node, pred) {
  for (const c of node.childNodes || []) {
    if (pred(c)) return c;
    const inner = firstElement(c.content || c, pred);
    if (inner) return inner;
  }
  return null;
}

const CHECKS = {
  bytes: 'byte-preserving',
  placement: 'inserted in head/body',
  tree: 'tree unchanged',
  declared: 'declared once',
  scraper: 'open-graph-scraper',
  derived: 'derived values',
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
      // SMOShareAt body-end: one share block per page (every page here ends
      // in markup, not inside a comment or a tag).
      if (r.navs !== 1) r.placement.push(`${r.navs} share blocks`);
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

      const pageHas = new Set(declarations(r.in).map((d) => d.property));
      const want = derived(input, res.headers['content-type'], pageHas.has('description'));
      const off = [];
      for (const property of ['og:title', 'og:description']) {
        const mine = r.inserted.find((x) => x.property === property);
        if (mine && mine.value !== want[property]) {
          off.push(`${property} ${JSON.stringify(mine.value)}, not ${JSON.stringify(want[property])}`);
        } else if (!mine && want[property] && !pageHas.has(property)) {
          off.push(`no ${property} (the page's is ${JSON.stringify(want[property])})`);
        }
      }
      if (off.length) fail('derived', name, off.join('; '));
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
  check('derived', 'og:title and og:description are the page\'s title and description as a browser reads them');
});
