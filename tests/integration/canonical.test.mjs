// Covers: the SMO filter inserts one absolute canonical
// link into the head of HTML pages, and stays out of the way of every
// response it must not touch (SPEC sections 1-3).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';

import { start } from './lib/apache.mjs';
import { parseHtml, canonicalLinks, elements, attr, insertedLink } from './lib/html.mjs';

const ARTICLE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>An article about tea</title>
<meta name="description" content="Green, black and oolong.">
</head>
<body>
<h1>An article about tea</h1>
<p>Tea is a drink.</p>
</body>
</html>
`;

// No </head>, no <body>: a browser ends the head at the <div>.
const STRAY = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Stray div</title>
<div class="banner">Sale today</div>
<p>The head ended at the div.</p>
</html>
`;

const OWN_CANONICAL = `<!DOCTYPE html>
<html>
<head>
<title>Has its own</title>
<link rel="canonical" href="https://www.example.org/the-one">
</head>
<body><p>Mine.</p></body>
</html>
`;

const SSI_MAIN = `<!DOCTYPE html>
<html>
<head>
<title>Includes a fragment</title>
</head>
<body>
<!--#include virtual="/fragment.html" -->
</body>
</html>
`;

const FRAGMENT = '<p class="fragment">Included fragment</p>\n';

// A valid 1x1 PNG.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082', 'hex');

// Sends the whole head, then takes 3 s to produce the body.
const SLOW_CGI = `#!/bin/bash
printf 'Content-Type: text/html; charset=utf-8\\r\\n\\r\\n'
printf '<!DOCTYPE html>\\n<html>\\n<head>\\n<title>Slow</title>\\n</head>\\n'
sleep 3
printf '<body>\\n<p>Late body</p>\\n</body>\\n</html>\\n'
`;

// A backend that asks for its page to be left alone.
const NO_TRANSFORM_CGI = `#!/bin/bash
printf 'Content-Type: text/html\\r\\nCache-Control: public, no-transform\\r\\n\\r\\n'
cat <<'HTML'
${ARTICLE}HTML
`;

const ERROR_404 = `<!DOCTYPE html>
<html><head><title>Not found</title></head>
<body><p>No such page.</p></body></html>
`;

const files = {
  'article.html': ARTICLE,
  'stray.html': STRAY,
  'own.html': OWN_CANONICAL,
  'plain.txt': 'Just text, <head></head> included.\n',
  'pixel.png': PNG,
  'zipped.html.gz': zlib.gzipSync(Buffer.from(ARTICLE)),
  'notransform.html': ARTICLE,
  'nosmo.html': ARTICLE,
  'ssi.shtml': SSI_MAIN,
  'fragment.html': FRAGMENT,
  'errors/404.html': ERROR_404,
  'slow.cgi': { content: SLOW_CGI, mode: 0o755 },
  'notransform.cgi': { content: NO_TRANSFORM_CGI, mode: 0o755 },
};

const engineConf = `
SMOEngine On
# This suite checks the canonical link alone ; metadata: meta.test.mjs.
SMOAutoMeta Off
RemoveType .gz
AddEncoding gzip .gz
AddType text/html .shtml
AddOutputFilter INCLUDES .shtml
AddHandler cgi-script .cgi
SetEnvIf Request_URI nosmo no-smo
ErrorDocument 404 /errors/404.html
<Location "/default-error">
    ErrorDocument 404 default
</Location>
<Files "notransform.html">
    Header set Cache-Control no-transform
</Files>
`;

/** The one canonical link of a filtered page, checked as a browser sees it. */
function theCanonical(res) {
  const { doc, head } = parseHtml(res.body);
  const all = canonicalLinks(doc);
  assert.equal(all.length, 1, `expected exactly one canonical link, got ${all.length}:\n${res.body}`);
  assert.equal(canonicalLinks(head).length, 1, `the canonical link is not in the head:\n${res.body}`);
  return attr(all[0], 'href');
}

function assertUntouched(res, original, what) {
  assert.ok(Buffer.compare(res.body, Buffer.from(original)) === 0,
    `${what}: body changed\n--- sent\n${Buffer.from(original)}\n--- got\n${res.body}`);
}

describe('SMOEngine On', () => {
  let srv;
  before(async () => { srv = await start({ conf: engineConf, files }); });
  after(async () => { if (srv) await srv.stop(); });

  it('inserts one absolute canonical link in the head, bytes otherwise unchanged', async () => {
    const res = await srv.get('/article.html');
    assert.equal(res.status, 200);
    assert.equal(theCanonical(res), `${srv.origin}/article.html`);
    assert.ok(insertedLink(Buffer.from(ARTICLE), res.body),
      `the page was changed beyond inserting the link:\n${res.body}`);
  });

  it('strips tracking parameters and keeps the others in order', async () => {
    const res = await srv.get('/article.html?id=7&utm_source=news&lang=de&fbclid=abc123&utm_medium=email&page=2');
    assert.equal(theCanonical(res), `${srv.origin}/article.html?id=7&lang=de&page=2`);
  });

  it('escapes the URL it writes into the attribute', async () => {
    const res = await srv.get('/article.html?q="x"&tag=<b>&n=1');
    assert.equal(res.status, 200);
    const href = theCanonical(res);
    const { doc } = parseHtml(res.body);
    assert.equal(elements(doc, 'b').length, 0, `markup from the URL got into the page:\n${res.body}`);
    assert.equal(new URL(href).href, new URL(`${srv.origin}/article.html?q="x"&tag=<b>&n=1`).href);
    const ins = insertedLink(Buffer.from(ARTICLE), res.body);
    assert.ok(ins, `the page was changed beyond inserting the link:\n${res.body}`);
    assert.ok(ins.tag.includes('&amp;'), `& not escaped in ${ins.tag}`);
    assert.ok(!ins.tag.includes('"x"') && !ins.tag.includes('<b>'),
      `raw " < > from the URL in ${ins.tag}`);
  });

  it('puts the link in the head when the head ends implicitly at a stray <div>', async () => {
    const res = await srv.get('/stray.html');
    assert.equal(res.status, 200);
    assert.equal(theCanonical(res), `${srv.origin}/stray.html`);
    const ins = insertedLink(Buffer.from(STRAY), res.body);
    assert.ok(ins, `the page was changed beyond inserting the link:\n${res.body}`);
    assert.ok(ins.at <= STRAY.indexOf('<div'), 'inserted after the point where the head ended');
  });

  it('marks a filtered response: no stale Content-Length, strong ETag with -smo', async () => {
    const res = await srv.get('/article.html');
    // The file's length must not survive; Apache may compute the new one
    // itself when the whole body reaches it at once.
    const cl = res.headers['content-length'];
    assert.ok(cl === undefined || Number(cl) === res.body.length,
      `Content-Length ${cl} for a body of ${res.body.length} bytes (the file has ${ARTICLE.length})`);
    assert.notEqual(res.body.length, ARTICLE.length, 'the page was not filtered');
    const etag = res.headers.etag;
    assert.ok(etag, 'the file\'s ETag should be kept (made distinct)');
    assert.match(etag, /^"[^"]*-smo"$/, `ETag ${etag}`);
  });

  it('answers 304 to a revalidation with the ETag it gave', async () => {
    const first = await srv.get('/article.html');
    const again = await srv.get('/article.html', { headers: { 'If-None-Match': first.headers.etag } });
    assert.equal(again.status, 304, `revalidating with ${first.headers.etag}`);
  });

  it('leaves a page with its own canonical byte-identical', async () => {
    const res = await srv.get('/own.html');
    assert.equal(res.status, 200);
    assertUntouched(res, OWN_CANONICAL, 'own canonical');
  });

  it('leaves non-HTML responses alone (text/plain, image)', async () => {
    const txt = await srv.get('/plain.txt');
    assert.match(txt.headers['content-type'], /^text\/plain/);
    assertUntouched(txt, 'Just text, <head></head> included.\n', 'text/plain');
    assert.equal(txt.headers['content-length'], String(txt.body.length));
    const png = await srv.get('/pixel.png');
    assert.match(png.headers['content-type'], /^image\/png/);
    assertUntouched(png, PNG, 'image/png');
  });

  it('leaves a gzip-encoded HTML response alone', async () => {
    const res = await srv.get('/zipped.html.gz', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/html/, 'the test needs an HTML type');
    assert.equal(res.headers['content-encoding'], 'gzip');
    assertUntouched(res, files['zipped.html.gz'], 'gzip');
  });

  it('leaves a 404 page alone (ErrorDocument and built-in)', async () => {
    const res = await srv.get('/missing.html');
    assert.equal(res.status, 404);
    assertUntouched(res, ERROR_404, 'ErrorDocument 404');
    const builtin = await srv.get('/default-error/missing.html');
    assert.equal(builtin.status, 404);
    assert.ok(!/canonical/i.test(builtin.body.toString()), `built-in 404 changed:\n${builtin.body}`);
  });

  it('leaves a Cache-Control: no-transform response alone', async () => {
    const res = await srv.get('/notransform.html');
    assert.equal(res.status, 200);
    assert.match(res.headers['cache-control'] || '', /no-transform/);
    assertUntouched(res, ARTICLE, 'no-transform');
  });

  it('leaves a backend\'s Cache-Control: no-transform response alone (CGI)', async () => {
    const res = await srv.get('/notransform.cgi');
    assert.equal(res.status, 200);
    assert.match(res.headers['cache-control'] || '', /no-transform/);
    assertUntouched(res, ARTICLE, 'no-transform from a CGI');
  });

  it('leaves a response alone when no-smo is set (SetEnvIf)', async () => {
    const res = await srv.get('/nosmo.html');
    assert.equal(res.status, 200);
    assertUntouched(res, ARTICLE, 'no-smo');
  });

  it('answers HEAD with no body and the headers a GET gets', async () => {
    const get = await srv.get('/article.html');
    const head = await srv.get('/article.html', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers.etag, get.headers.etag, 'HEAD and GET disagree on the ETag');
  });

  it('filters a mod_include page once, not the included subrequest', async () => {
    const res = await srv.get('/ssi.shtml');
    assert.equal(res.status, 200);
    const text = res.body.toString();
    assert.ok(text.includes(FRAGMENT.trim()), `the fragment was not included:\n${text}`);
    assert.ok(!text.includes('<!--#include'), 'mod_include did not run');
    assert.equal(theCanonical(res), `${srv.origin}/ssi.shtml`);
    assert.ok(!text.includes('/fragment.html"'), `the fragment got a canonical of its own:\n${text}`);
  });

  it('streams: the head with the link arrives before a slow CGI finishes', async () => {
    const res = await srv.get('/slow.cgi', { timeout: 15000 });
    assert.equal(res.status, 200);
    let seen = Buffer.alloc(0);
    let headAt = null;
    for (const c of res.chunks) {
      seen = Buffer.concat([seen, c.data]);
      if (/<\/head>/.test(seen.toString())) { headAt = c.at; break; }
    }
    assert.ok(headAt !== null, `no </head> received:\n${res.body}`);
    assert.match(seen.toString(), /<link\b[^>]*canonical/i, `the head arrived without the link:\n${seen}`);
    assert.ok(headAt < 1500, `the head arrived after ${headAt} ms (the CGI sent it at once)`);
    assert.ok(res.chunks[res.chunks.length - 1].at >= 2500, 'the CGI did not sleep: the test proves nothing');
    assert.equal(theCanonical(res), `${srv.origin}/slow.cgi`);
  });
});

describe('the SMO filter without SMOEngine', () => {
  let srv;
  const page = (dir) => ({ [`${dir}/page.html`]: ARTICLE });
  before(async () => {
    srv = await start({
      files: { ...page('off'), ...page('setof'), ...page('bytype'), ...page('provider'), ...page('twice') },
      conf: `
<Location "/setof/">
    SetOutputFilter SMO
</Location>
<Location "/bytype/">
    AddOutputFilterByType SMO text/html
</Location>
FilterDeclare smo_html
FilterProvider smo_html SMO "%{CONTENT_TYPE} =~ m#^text/html#"
<Location "/provider/">
    FilterChain smo_html
</Location>
<Location "/twice/">
    SMOEngine On
    AddOutputFilterByType SMO text/html
</Location>
`,
    });
  });
  after(async () => { if (srv) await srv.stop(); });

  it('does nothing by default (SMOEngine Off)', async () => {
    const res = await srv.get('/off/page.html');
    assert.equal(res.status, 200);
    assertUntouched(res, ARTICLE, 'SMOEngine Off');
  });

  it('works with SetOutputFilter SMO', async () => {
    const res = await srv.get('/setof/page.html');
    assert.equal(theCanonical(res), `${srv.origin}/setof/page.html`);
  });

  it('works with AddOutputFilterByType SMO text/html', async () => {
    const res = await srv.get('/bytype/page.html');
    assert.equal(theCanonical(res), `${srv.origin}/bytype/page.html`);
  });

  it('works with mod_filter FilterProvider', async () => {
    const res = await srv.get('/provider/page.html');
    assert.equal(theCanonical(res), `${srv.origin}/provider/page.html`);
  });

  it('inserts once when SMOEngine On and AddOutputFilterByType both apply', async () => {
    const res = await srv.get('/twice/page.html');
    assert.equal(theCanonical(res), `${srv.origin}/twice/page.html`);
  });
});

// A CGI that sends its own validator: mod_cgid answers If-None-Match
// from the script's headers (ap_meets_conditions), as a proxied backend
// does itself.
const etagCgi = (type, etag) => `#!/bin/sh
printf 'Content-Type: ${type}\\r\\nETag: ${etag}\\r\\n\\r\\n'
printf '<!DOCTYPE html><html><head><title>Dyn</title></head><body><p>x</p></body></html>\\n'
`;

describe('ETags of dynamic responses (CGI, proxy)', () => {
  let dsrv;
  before(async () => {
    dsrv = await start({
      modules: ['proxy', 'proxy_http'],
      ports: 1,
      conf: (s) => `
Listen 127.0.0.1:${s.ports[0]}
<VirtualHost 127.0.0.1:${s.ports[0]}>
    ServerName backend.test
    DocumentRoot "${s.dir}/htdocs/backend"
</VirtualHost>
<VirtualHost *:*>
    ServerName 127.0.0.1
    SMOEngine On
    SMOAutoMeta Off
    AddHandler cgi-script .cgi
    <Location "/px/">
        ProxyPass "http://127.0.0.1:${s.ports[0]}/"
    </Location>
</VirtualHost>
`,
      files: {
        'page.cgi': { content: etagCgi('text/html', '"cgi1"'), mode: 0o755 },
        'api.cgi': { content: etagCgi('application/json', '"api1"'), mode: 0o755 },
        'bare.cgi': { content: etagCgi('text/html', 'abc'), mode: 0o755 },
        'junk.cgi': { content: etagCgi('text/html', '"abc"x'), mode: 0o755 },
        'backend/page.html': ARTICLE,
        'backend/data.json': '{"a": 1}\n',
      },
    });
  });
  after(async () => { if (dsrv) await dsrv.stop(); });

  for (const [what, url, unfiltered] of [
    ['a CGI', '/page.cgi', '"cgi1"'],
    ['a proxied backend', '/px/page.html', null],
  ]) {
    it(`${what}: the unfiltered ETag gets 200 with the filtered body, the filtered one 304`, async () => {
      let tag = unfiltered;
      if (tag === null) {
        // The backend's own tag, as a client that saw it unfiltered holds it.
        const res = await new Promise((resolve, reject) => {
          http.get({ host: '127.0.0.1', port: dsrv.ports[0], path: '/page.html', agent: false }, (r) => {
            r.resume(); r.on('end', () => resolve(r));
          }).on('error', reject);
        });
        tag = res.headers.etag;
        assert.match(tag, /^"[^"]+"$/, 'the backend sends a strong ETag');
      }
      const first = await dsrv.get(url, { headers: { 'If-None-Match': tag } });
      assert.equal(first.status, 200, `revalidating with the unfiltered ${tag}\n${dsrv.errorLog().slice(-2000)}`);
      assert.match(first.body.toString(), /<link rel="canonical"/, 'the body is the filtered one');
      assert.equal(first.headers.etag, tag.replace(/"$/, '-smo"'));
      const again = await dsrv.get(url, { headers: { 'If-None-Match': first.headers.etag } });
      assert.equal(again.status, 304, `revalidating with the filtered ${first.headers.etag}`);
      assert.equal(again.headers.etag, first.headers.etag, 'the 304 names the filtered representation');
    });
  }

  it('a non-HTML CGI or proxied response keeps its own ETag and its 304', async () => {
    for (const url of ['/api.cgi', '/px/data.json']) {
      const first = await dsrv.get(url);
      assert.equal(first.status, 200);
      assert.doesNotMatch(first.headers.etag, /-smo/, `${url}: not ours to change`);
      const again = await dsrv.get(url, { headers: { 'If-None-Match': first.headers.etag } });
      assert.equal(again.status, 304, `${url} revalidated with ${first.headers.etag}\n${dsrv.errorLog().slice(-1500)}`);
      assert.equal(again.body.length, 0);
      assert.equal(again.headers.etag, first.headers.etag);
    }
  });

  it('an ETag that cannot take the suffix is dropped from the filtered page', async () => {
    for (const url of ['/bare.cgi', '/junk.cgi']) {
      const res = await dsrv.get(url);
      assert.equal(res.status, 200);
      assert.match(res.body.toString(), /<link rel="canonical"/, `${url} is filtered`);
      assert.equal(res.headers.etag, undefined, `${url}: ETag ${res.headers.etag} went out with a changed body`);
    }
  });
});
