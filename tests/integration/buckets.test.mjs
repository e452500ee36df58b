// Covers: the SMO filter fed brigades cut everywhere by Debian's
// mod_bucketeer (`SetOutputFilter BUCKETEER;SMO`): a page split into
// buckets at every byte of its head, passed on in pieces, with FLUSH
// buckets between them, gives what the whole page gives.  Held to a page
// written to hit the tokenizer's corners and to real pages (bench/'s
// corpus, as corpus.test.mjs).
//
// mod_bucketeer turns three control bytes of a text/* body into brigade
// structure and drops them: 0x02 ends a bucket, 0x06 adds a FLUSH bucket,
// 0x10 passes the brigade so far down the chain.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { start } from './lib/apache.mjs';
import { fetchAll } from './lib/many.mjs';
import { judgeInsertions } from './lib/insertions.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS = path.resolve(here, '../../bench/node_modules/htmlparser-benchmark/files');
const CORPUS_PAGES = 40;

const SPLIT = 0x02;
const FLUSH = 0x06;
const PASS = 0x10;

// Comments, a script holding "</head>", raw text, character references,
// CRLF, attributes in every quoting, a template, an SVG title: the places
// where a chunk boundary inside a token is easy to get wrong.
const CORNERS = Buffer.from([
  '<!DOCTYPE html>\r\n',
  '<html lang="en-GB">\r\n<head>\r\n',
  '<meta charset="utf-8">\r\n',
  '<!-- </head> in a comment --><!--> --><!---->\r\n',
  '<script>var s = "</head><body>"; if (a < b && c > d) {}</script>\r\n',
  '<style>body > p::after { content: "</style"; }</style>\r\n',
  '<title>Tea &amp; biscuits &mdash; &#x2014; &#8212 caf&eacute; &notit;</title>\r\n',
  "<meta name='description' content=\"Leaves, &quot;steeped&quot; &lt;not&gt; boiled\">\r\n",
  '<meta name=keywords content=tea/green>\r\n',
  '<link rel=stylesheet href="/a.css?x=1&amp;y=2">\r\n',
  '<template><meta property="og:title" content="in a template"></template>\r\n',
  '<noscript><meta http-equiv="refresh" content="0"></noscript>\r\n',
  '</head>\r\n<body class="page">\r\n',
  '<svg><title>an SVG title</title></svg>\r\n',
  '<p title="a > b">Text with <b>bold</b> &amp; <i>italic</i>.</p>\r\n',
  '<textarea></body></textarea><plaintext-not>\r\n',
  '<!-- </body> -->\r\n',
  '</body>\r\n</html>\r\n',
].join(''), 'latin1');

// The page with `mark` before each of its first `dense` bytes, then every
// `step` bytes, and PASS every 257 bytes (mod_bucketeer drops them all).
function cut(page, mark, { dense, step }) {
  const out = [];
  for (let i = 0; i < page.length; i++) {
    if (i < dense || i % step === 0) out.push(mark);
    if (i % 257 === 128) out.push(PASS);
    out.push(page[i]);
  }
  return Buffer.from(out);
}

const hasMarks = (buf) => buf.includes(SPLIT) || buf.includes(FLUSH) || buf.includes(PASS);

// The same path under both locations gives the same canonical URL once
// the location's name is put back.
const unlocate = (buf) => Buffer.from(buf.toString('latin1')
  .replaceAll('/cut/', '/whole/').replaceAll('%2Fcut%2F', '%2Fwhole%2F'), 'latin1');

const CONF = `
SMOShare x email
SMOShareAt body-end
<Location "/whole/">
    SetOutputFilter SMO
</Location>
<Location "/cut/">
    SetOutputFilter BUCKETEER;SMO
</Location>
`;

describe('SMO after mod_bucketeer: brigades cut everywhere', () => {
  let srv;
  const pages = { corners: CORNERS };

  before(async () => {
    if (fs.existsSync(CORPUS)) {
      const names = fs.readdirSync(CORPUS).filter((n) => n.endsWith('.html')).sort();
      for (const n of names) {
        const buf = fs.readFileSync(path.join(CORPUS, n));
        // A page that holds one of bucketeer's bytes would lose it.
        if (!hasMarks(buf)) pages[n.replace(/\.html$/, '')] = buf;
        if (Object.keys(pages).length > CORPUS_PAGES) break;
      }
    }
    const files = {};
    for (const [name, page] of Object.entries(pages)) {
      files[`whole/${name}.html`] = page;
      files[`cut/${name}.html`] = cut(page, SPLIT, { dense: 4096, step: 61 });
      files[`cut/${name}-flushed.html`] = cut(page, FLUSH, { dense: 0, step: 331 });
    }
    srv = await start({ conf: CONF, files, modules: ['bucketeer'] });
  });

  after(async () => { if (srv) await srv.stop(); });

  it('has real pages to cut', { skip: fs.existsSync(CORPUS) ? false : `no corpus at ${CORPUS}: run scripts/deps.sh` }, () => {
    assert.ok(Object.keys(pages).length > CORPUS_PAGES / 2, `${Object.keys(pages).length} pages`);
  });

  it('split at every byte of the head and passed in pieces: the output of the whole page', async () => {
    const names = Object.keys(pages);
    const got = await fetchAll(srv, names.flatMap((n) => [`/whole/${n}.html`, `/cut/${n}.html`]));
    const differ = [];
    for (const n of names) {
      const whole = got[`/whole/${n}.html`];
      const split = got[`/cut/${n}.html`];
      assert.equal(whole.status, 200, n);
      assert.equal(split.status, 200, n);
      // The filter did work on the page (else the comparison proves nothing).
      assert.ok(!whole.body.equals(pages[n]), `${n}: the filter inserted nothing`);
      const a = whole.body;
      const b = unlocate(split.body);
      if (!a.equals(b)) {
        let at = 0;
        while (at < a.length && a[at] === b[at]) at++;
        differ.push(`${n}: differs at byte ${at}: ${JSON.stringify(a.subarray(at, at + 60).toString('latin1'))}` +
          ` vs ${JSON.stringify(b.subarray(at, at + 60).toString('latin1'))}`);
      }
    }
    assert.deepEqual(differ, [], `${differ.length} of ${names.length} pages`);
  });

  it('with FLUSH buckets: the page plus insertions, each in the head or the body', async () => {
    const names = Object.keys(pages);
    const got = await fetchAll(srv, names.map((n) => `/cut/${n}-flushed.html`));
    const bad = [];
    for (const n of names) {
      const res = got[`/cut/${n}-flushed.html`];
      assert.equal(res.status, 200, n);
      const r = judgeInsertions(pages[n], res.body);
      if (r.bytes) bad.push(`${n}: ${r.bytes}`);
      else if (r.placement.length) bad.push(`${n}: ${r.placement.join('; ')}`);
      else if (r.tree) bad.push(`${n}: ${r.tree}`);
      else if (!r.runs.length) bad.push(`${n}: nothing inserted`);
    }
    assert.deepEqual(bad, [], `${bad.length} of ${names.length} pages`);
  });

  it('the corner page: one canonical link, og:title from its title, one share bar', async () => {
    const res = await srv.get('/cut/corners.html');
    const html = res.body.toString('latin1');
    assert.equal((html.match(/<link rel="canonical"/g) || []).length, 1);
    assert.match(html, /<meta property="og:title" content="Tea &amp; biscuits &#x2014; &#x2014; &#x2014; caf&#xE9; /);
    assert.equal((html.match(/<nav class="smo-share"/g) || []).length, 1);
  });
});
