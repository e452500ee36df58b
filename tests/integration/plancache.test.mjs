// Covers: SMOPlanCache: a static file served again gets the edits it got the
// first time, byte for byte, without being parsed; a changed file, another
// canonical URL or other settings are parsed afresh (docs/directives.md, SMOPlanCache).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';

import { start, MPM } from './lib/apache.mjs';

// One child process: each child keeps its own plans, and these tests count
// what one cache kept and used.
const ONE_CHILD = MPM === 'prefork'
  ? ['StartServers 1', 'MinSpareServers 1', 'MaxSpareServers 1',
    'ServerLimit 1', 'MaxRequestWorkers 1']
  : ['StartServers 1', 'ServerLimit 1', 'MaxRequestWorkers 16',
    'MinSpareThreads 1', 'MaxSpareThreads 16'];

const page = (title, filler = '') => `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${title}</title>
<meta property="og:site_name" content="Placeholder">
</head>
<body>
<h1>${title}</h1>
<p>${filler}</p>
</body>
</html>
`;

const PAGE = page('Green tea', 'Leaves. '.repeat(2000));

function count(text, re) {
  return (text.match(re) || []).length;
}

function ogTitle(text) {
  const m = text.match(/<meta property="og:title" content="([^"]*)"/);
  return m ? m[1] : null;
}

function canonical(text) {
  const m = text.match(/<link rel="canonical" href="([^"]*)"/);
  return m ? m[1].replace(/&amp;/g, '&') : null;
}

describe('SMOPlanCache', () => {
  let srv;
  const get = (p, o) => srv.get(p, o);
  // Log lines about one path (a request's lines name its URI).
  const kept = (uri) => count(srv.errorLog(), new RegExp(`SMO: plan for ${uri} kept`, 'g'));
  const used = (uri) => count(srv.errorLog(), new RegExp(`SMO: ${uri}: edits from the plan cache`, 'g'));

  before(async () => {
    srv = await start({
      conf: [
        ...ONE_CHILD,
        'SMOEngine On',
        'SMOMetaPolicy override',
        'SMOMeta og:site_name "Tea & Co"',
        'SMOShare x linkedin',
        '<Location "/live/">',
        '    SMOPlanCache Off',
        '</Location>',
        '<Location "/other/">',
        '    SMOMeta og:site_name "Other shop"',
        '</Location>',
      ].join('\n'),
      files: {
        'tea.html': PAGE,
        'change.html': page('Before'),
        'urls.html': PAGE,
        'live/tea.html': PAGE,
        'other/tea.html': PAGE,
        'para.html': PAGE,
      },
    });
  });
  after(async () => { if (srv) await srv.stop(); });

  it('the second response of a file is the first, byte for byte, without a parse', async () => {
    const a = await get('/tea.html');
    const b = await get('/tea.html');
    const c = await get('/tea.html');
    assert.equal(a.status, 200);
    const text = a.body.toString();
    assert.match(text, /<meta property="og:site_name" content="Tea &amp; Co">/);
    assert.doesNotMatch(text, /content="Placeholder"/, 'the override replaced the page tag');
    assert.match(text, /class="smo-share"/);
    assert.equal(ogTitle(text), 'Green tea');
    assert.ok(b.body.equals(a.body), 'second response differs from the first');
    assert.ok(c.body.equals(a.body), 'third response differs from the first');
    assert.equal(b.headers.etag, a.headers.etag);
    for (const r of [a, b]) {
      // Apache's own length, if any, is the filtered body's.
      if (r.headers['content-length'] !== undefined) {
        assert.equal(Number(r.headers['content-length']), r.body.length);
      }
    }
    assert.equal(kept('/tea.html'), 1, srv.errorLog());
    assert.equal(used('/tea.html'), 2, srv.errorLog());
  });

  it('a file that changes is parsed again', async () => {
    const p = srv.docPath('change.html');
    const a = await get('/change.html');
    assert.equal(ogTitle(a.body.toString()), 'Before');
    // Another size.
    fs.writeFileSync(p, page('After, longer'));
    let b = await get('/change.html');
    assert.equal(ogTitle(b.body.toString()), 'After, longer');
    // The same size, a new modification time.
    fs.writeFileSync(p, page('After, LONGER'));
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(p, t, t);
    b = await get('/change.html');
    assert.equal(ogTitle(b.body.toString()), 'After, LONGER');
    assert.equal(used('/change.html'), 0, srv.errorLog());
    b = await get('/change.html');
    assert.equal(ogTitle(b.body.toString()), 'After, LONGER');
    assert.equal(used('/change.html'), 1, srv.errorLog());
  });

  it('each canonical URL of a file has its own plan', async () => {
    const url = (q) => `${srv.origin}/urls.html${q}`;
    for (const q of ['?id=1', '?id=2', '?id=1', '', '?id=2&utm_source=x', '']) {
      const res = await get(`/urls.html${q}`);
      const want = q.replace(/&?utm_source=x/, '');
      assert.equal(canonical(res.body.toString()), url(want), `for ${q}`);
      assert.ok(res.body.toString().includes(encodeURIComponent(url(want))),
        `share links for ${q}`);
    }
    // ?id=1, '' and ?id=2 (stripped to the same canonical URL) came back.
    assert.equal(used('/urls.html'), 3, srv.errorLog());
  });

  it('other settings for the same bytes are another plan', async () => {
    const a = await get('/tea.html');
    const o = await get('/other/tea.html');
    assert.match(o.body.toString(), /content="Other shop"/);
    assert.match(a.body.toString(), /content="Tea &amp; Co"/);
  });

  it('SMOPlanCache Off parses every response', async () => {
    const a = await get('/live/tea.html');
    const b = await get('/live/tea.html');
    assert.ok(a.body.equals(b.body));
    assert.match(a.body.toString(), /class="smo-share"/);
    assert.equal(kept('/live/tea.html'), 0);
    assert.equal(used('/live/tea.html'), 0);
  });

  it('a Range request is parsed and cut from the filtered body', async () => {
    const whole = (await get('/tea.html')).body;
    const before = used('/tea.html');
    const part = await get('/tea.html', { headers: { Range: 'bytes=10-99' } });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(whole.subarray(10, 100)));
    assert.equal(used('/tea.html'), before, 'a Range answer came from the plan');
  });

  it('requests at once (threads of one child) all get the same body', async () => {
    const first = await get('/para.html');
    // 8 at a time: the threads of the one child the server has, whose
    // spare threads do not fall low enough to start another.
    for (let round = 0; round < 6; round++) {
      const all = await Promise.all(Array.from({ length: 8 }, () => get('/para.html')));
      for (const r of all) {
        assert.equal(r.status, 200);
        assert.ok(r.body.equals(first.body));
      }
    }
    assert.equal(used('/para.html'), 48, srv.errorLog());
  });
});
