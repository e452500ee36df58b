// Covers: hardening: mod_smo in front of a backend through mod_proxy
// (plain, gzipped, ranges), with mod_include and mod_deflate, under load
// with graceful and full restarts, and fed a catalogue of hostile or
// broken pages.  Runs under the MPM SMO_MPM names (scripts/harden.sh runs
// it under prefork, worker and event) and, with SMO_SANITIZED=1, with the
// ASan/UBSan build of the module (see lib/apache.mjs).
//
// The invariant checked everywhere: the body that leaves is the body that
// came in plus mod_smo's insertions (SPEC section 2), or exactly the body
// that came in when nothing may be inserted.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';

import { start, MPM, SANITIZED } from './lib/apache.mjs';
import { parseHtml, elements, attr } from './lib/html.mjs';
import { runAb } from './lib/clicklog.mjs';
import { missing } from './lib/tools.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Tea &amp; cake</title>
<meta name="description" content="Where to drink tea.">
</head>
<body>
<h1>Tea</h1>
<p>${'Tea is a drink. '.repeat(40)}</p>
</body>
</html>
`;

// The networks every filtering location shows.
const SHARE = 'SMOShare x facebook email';
const NETWORKS = ['x', 'facebook', 'email'];

// ------------------------------------------------------------ checking

// What mod_smo writes, exactly: each head element on a line of its own,
// the share block as "\n<nav ...>\n<a ...>label</a>\n...\n</nav>\n".
// Inserted values are attribute-escaped, so none holds a quote or <, >.
const INSERTIONS = [
  /<(?:link rel="canonical" href|meta (?:property|name)="[A-Za-z_:.-]+" content)="[^"<>]*">\n/y,
  /\n<nav class="smo-share" aria-label="Share">\n(?:<a class="smo-share-link [^"<>]*"[^<>]*>[^<>]*<\/a>\n)+<\/nav>\n/y,
];

function insertionAt(out, k) {
  for (const re of INSERTIONS) {
    re.lastIndex = k;
    const m = re.exec(out);
    if (m) return m[0];
  }
  return null;
}

/**
 * Reads `out` against `input`: where they part, an insertion must start
 * there or a little before (the inserted text may begin with the same
 * bytes as the input, "<meta " say).  Returns {ok, found, i, j}: the
 * insertions, or where the reading failed.
 */
function alignInserted(out, input) {
  const found = [];
  let i = 0;
  let j = 0;
  for (;;) {
    const runI = i;
    while (i < out.length && j < input.length && out.charCodeAt(i) === input.charCodeAt(j)) { i++; j++; }
    if (i === out.length && j === input.length) return { ok: true, found };
    let skipped = false;
    for (let k = i; k >= Math.max(runI, i - 400); k--) {
      const m = insertionAt(out, k);
      if (m && k + m.length > i) {
        found.push(m);
        j -= i - k;
        i = k + m.length;
        skipped = true;
        break;
      }
    }
    if (!skipped) return { ok: false, found, i, j };
  }
}

function short(buf, n = 600) {
  const s = Buffer.isBuffer(buf) ? buf.toString('latin1') : String(buf);
  return s.length > 2 * n ? `${s.slice(0, n)}\n[... ${s.length - 2 * n} bytes ...]\n${s.slice(-n)}` : s;
}

/** The output is the input plus insertions, and something was inserted. */
function assertInsertedOnly(out, input, what) {
  const inBuf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  const a = alignInserted(out.toString('latin1'), inBuf.toString('latin1'));
  if (!a.ok) {
    assert.fail(`${what}: the output is not the input plus insertions; they part at input byte ${a.j}:\n` +
      `--- input there\n${short(inBuf.subarray(Math.max(0, a.j - 80), a.j + 200))}\n` +
      `--- output there\n${short(out.subarray(Math.max(0, a.i - 80), a.i + 200))}`);
  }
  assert.ok(a.found.length > 0, `${what}: nothing was inserted:\n${short(out)}`);
  for (const f of a.found) {
    // CR and LF are harmless inside a quoted value (and allowed in XML).
    assert.match(f, /^[\x09\x0a\x0d\x20-\x7e]*$/, `${what}: inserted markup with raw non-ASCII or control bytes: ${f}`);
  }
  return a.found;
}

function assertUntouched(out, input, what) {
  const inBuf = Buffer.isBuffer(input) ? input : Buffer.from(input);
  assert.ok(Buffer.compare(out, inBuf) === 0,
    `${what}: the body changed (${inBuf.length} bytes sent, ${out.length} received):\n${short(out)}`);
}

function count(text, re) { return (text.match(re) || []).length; }

/**
 * As a browser reads it: one canonical link and one of each property in
 * the head (markup in the body -- a CMS comment's, say -- is no
 * declaration); `share` share blocks, each with the configured links.
 */
function assertMetaOnce(body, { share = 1, title } = {}) {
  // As a browser decodes it: a byte order mark is not text.
  const text = Buffer.isBuffer(body) ? new TextDecoder('utf-8').decode(body) : body;
  const { doc, head } = parseHtml(text);
  const canon = elements(head, 'link').filter((l) => /canonical/i.test(attr(l, 'rel') || ''));
  assert.equal(canon.length, 1, `expected one canonical link in the head:\n${short(text)}`);
  const metas = elements(head, 'meta');
  for (const p of ['og:url', 'og:type', 'twitter:card']) {
    const m = metas.filter((e) => attr(e, 'property') === p || attr(e, 'name') === p);
    assert.equal(m.length, 1, `expected one ${p} in the head, got ${m.length}:\n${short(text)}`);
  }
  if (title !== undefined) {
    const t = metas.filter((e) => attr(e, 'property') === 'og:title');
    assert.equal(t.length, 1, `expected one og:title:\n${short(text)}`);
    assert.equal(attr(t[0], 'content'), title);
  }
  const navs = elements(doc, 'nav').filter((n) => attr(n, 'class') === 'smo-share');
  assert.equal(navs.length, share, `expected ${share} share block(s), got ${navs.length}:\n${short(text)}`);
  for (const nav of navs) {
    const links = elements(nav, 'a').map((a) => attr(a, 'class'));
    assert.deepEqual(links, NETWORKS.map((n) => `smo-share-link smo-share-${n}`));
  }
  return { doc, head };
}

/** No child died on a signal (a segfault says "exit signal Segmentation fault"). */
function assertNoCrash(srv) {
  const bad = srv.errorLog().split('\n').filter((l) => /exit signal|AH00052|Segmentation|AddressSanitizer|runtime error/.test(l));
  assert.deepEqual(bad, [], `a child crashed:\n${bad.join('\n')}`);
}

/** One request to any port of the test server. */
function request(port, urlPath, { headers = {}, method = 'GET', timeout = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`${urlPath}: no answer within ${timeout} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Bytes written as they are on a raw connection; resolves everything read until close. */
function rawRequest(port, bytes, timeout = 10000) {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const chunks = [];
    const timer = setTimeout(() => { s.destroy(); reject(new Error('raw request: no close within timeout')); }, timeout);
    s.on('connect', () => s.end(bytes));
    s.on('data', (d) => chunks.push(d));
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks)); });
  });
}

// ------------------------------------------------- 1. reverse proxy mode

describe(`mod_smo in front of a backend through mod_proxy (${MPM} MPM)`, () => {
  let srv;
  let backend;
  before(async () => {
    srv = await start({
      modules: ['proxy', 'proxy_http'],
      ports: 1,
      files: { 'back/page.html': PAGE, 'back/gz/page.html': PAGE },
      conf: (s) => `
Listen 127.0.0.1:${s.ports[0]}
# The backend: a second loopback vhost of the same apache, no mod_smo.
<VirtualHost 127.0.0.1:${s.ports[0]}>
    ServerName backend.test
    DocumentRoot "${s.dir}/htdocs/back"
    # A backend that gzips its pages when the client accepts it.
    <Location "/gz/">
        SetOutputFilter DEFLATE
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:${s.port}>
    ServerName 127.0.0.1
    ${SHARE}
    <Location "/site/">
        SMOEngine On
        ProxyPass "http://127.0.0.1:${s.ports[0]}/"
    </Location>
    # Gzipped backend, nothing configured: SPEC, Content-Encoding is not
    # identity, the response passes untouched.
    <Location "/gzsite/">
        SMOEngine On
        ProxyPass "http://127.0.0.1:${s.ports[0]}/gz/"
    </Location>
    # The documented chain for a gzipping backend: inflate, rewrite,
    # compress again for the client.
    <Location "/gzchain/">
        SetOutputFilter INFLATE;SMO;DEFLATE
        ProxyPass "http://127.0.0.1:${s.ports[0]}/gz/"
    </Location>
</VirtualHost>
`,
    });
    backend = srv.ports[0];
  });
  after(async () => { if (srv) { try { assertNoCrash(srv); } finally { await srv.stop(); } } });

  it('inserts the metadata and the share block once into a proxied page', async () => {
    const res = await srv.get('/site/page.html');
    assert.equal(res.status, 200);
    assertInsertedOnly(res.body, PAGE, 'proxied page');
    const { doc } = assertMetaOnce(res.body, { title: 'Tea & cake' });
    const canon = elements(doc, 'link').find((l) => attr(l, 'rel') === 'canonical');
    assert.equal(attr(canon, 'href'), `${srv.origin}/site/page.html`, 'the canonical is the front URL');
    // The backend itself sends the page as it is.
    const direct = await request(backend, '/page.html');
    assertUntouched(direct.body, PAGE, 'backend');
  });

  it('passes a gzip response from the backend through byte-identical when no chain is configured', async () => {
    const ae = { 'Accept-Encoding': 'gzip' };
    const direct = await request(backend, '/gz/page.html', { headers: ae });
    assert.equal(direct.headers['content-encoding'], 'gzip', 'the backend does not gzip: the test proves nothing');
    const res = await srv.get('/gzsite/page.html', { headers: ae });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], 'gzip');
    assertUntouched(res.body, direct.body, 'gzip from the backend');
    assertUntouched(zlib.gunzipSync(res.body), PAGE, 'gzip from the backend, decompressed');
  });

  it('SetOutputFilter INFLATE;SMO;DEFLATE: the client gets gzip holding the page with metadata once', async () => {
    const res = await srv.get('/gzchain/page.html', { headers: { 'Accept-Encoding': 'gzip' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-encoding'], 'gzip', 'the client should get gzip back');
    const page = zlib.gunzipSync(res.body); // throws on a broken stream
    assertInsertedOnly(page, PAGE, 'INFLATE;SMO;DEFLATE');
    assertMetaOnce(page, { title: 'Tea & cake' });
    // A client without gzip gets the same page, plain.
    const plain = await srv.get('/gzchain/page.html');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body.toString('latin1'), page.toString('latin1'));
  });

  it('leaves a 206 from the backend (a Range request passed through) byte-identical', async () => {
    const res = await srv.get('/site/page.html', { headers: { Range: 'bytes=0-99' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers['content-range'], `bytes 0-99/${Buffer.byteLength(PAGE)}`);
    assertUntouched(res.body, Buffer.from(PAGE).subarray(0, 100), '206 from the backend');
    const tail = await srv.get('/site/page.html', { headers: { Range: 'bytes=-120' } });
    assert.equal(tail.status, 206);
    assertUntouched(tail.body, Buffer.from(PAGE).subarray(-120), '206 (suffix) from the backend');
  });
});

// ------------------------------------------- 2. mod_include, mod_deflate

const SSI_TOP = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Assembled</title>
`;
const SSI_NAV = '<nav class="site">Home | Tea</nav>\n';
const SSI_MAIN = `<!--#include virtual="/inc/top.html" --></head>
<body>
<!--#include virtual="/inc/nav.html" -->
<p>Body text.</p>
</body>
</html>
`;
const SSI_ASSEMBLED = `${SSI_TOP}</head>
<body>
${SSI_NAV}
<p>Body text.</p>
</body>
</html>
`;

describe(`mod_include and mod_deflate around mod_smo (${MPM} MPM)`, () => {
  let srv;
  before(async () => {
    srv = await start({
      files: {
        'ssi/page.shtml': SSI_MAIN, 'inc/top.html': SSI_TOP, 'inc/nav.html': SSI_NAV,
        'gz/page.html': PAGE, 'gz/ssi.shtml': SSI_MAIN,
      },
      conf: `
SMOEngine On
${SHARE}
AddType text/html .shtml
AddOutputFilter INCLUDES .shtml
<Location "/gz/">
    AddOutputFilterByType DEFLATE text/html
</Location>
`,
    });
  });
  after(async () => { if (srv) { try { assertNoCrash(srv); } finally { await srv.stop(); } } });

  it('a page assembled by mod_include gets the metadata exactly once', async () => {
    const res = await srv.get('/ssi/page.shtml');
    assert.equal(res.status, 200);
    assertInsertedOnly(res.body, SSI_ASSEMBLED, 'SSI page');
    assertMetaOnce(res.body, { title: 'Assembled' });
  });

  it('mod_deflate after mod_smo: the gzip body holds the page with metadata once', async () => {
    for (const [url, input, title] of [['/gz/page.html', PAGE, 'Tea & cake'], ['/gz/ssi.shtml', SSI_ASSEMBLED, 'Assembled']]) {
      const res = await srv.get(url, { headers: { 'Accept-Encoding': 'gzip' } });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], 'gzip', `${url}: not compressed`);
      const page = zlib.gunzipSync(res.body);
      assertInsertedOnly(page, input, `${url} gunzipped`);
      assertMetaOnce(page, { title });
      const plain = await srv.get(url);
      assert.equal(plain.body.toString('latin1'), page.toString('latin1'), `${url}: gzip and plain differ`);
    }
  });
});

// ------------------------------------ 2b. static files, however read

// A static page larger than any piece the filter reads a file in, with
// its share block to place at the very end: the whole file is read, in
// several pieces.  Served with sendfile and mmap on and off (the filter
// reads a file differently for each), it must come out as the input plus
// the insertions every time, and a Range request is cut from that body.
const BIG_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>A long read</title>
</head>
<body>
${Array.from({ length: 9000 }, (_, i) => `<p id="p${i}">Paragraph ${i}: tea &amp; <a href="/t?i=${i}">more</a>.</p>`).join('\n')}
</body>
</html>
`;

const FILE_MODES = {
  plain: '',
  sendfile: 'EnableSendfile On',
  nommap: 'EnableMMAP Off',
  sendfile_nommap: 'EnableSendfile On\n    EnableMMAP Off',
};

describe(`static files with sendfile and mmap on and off (${MPM} MPM)`, () => {
  let srv;
  before(async () => {
    const files = {};
    for (const mode of Object.keys(FILE_MODES)) {
      files[`${mode}/big.html`] = BIG_PAGE;
      files[`${mode}/page.html`] = PAGE;
      files[`${mode}/meta/big.html`] = BIG_PAGE;
    }
    const conf = (a) => `SMOEngine On\n${SHARE}\n` + Object.entries(FILE_MODES).map(([mode, directives]) => `
<Directory "${a.docPath(mode)}">
    ${directives}
</Directory>
<Directory "${a.docPath(`${mode}/meta`)}">
    SMOShare none
</Directory>`).join('\n');
    srv = await start({ files, conf });
  });
  after(async () => { if (srv) { try { assertNoCrash(srv); } finally { await srv.stop(); } } });

  for (const mode of Object.keys(FILE_MODES)) {
    it(`${mode}: a page of ${Buffer.byteLength(BIG_PAGE)} bytes gets its metadata and share block, nothing else changes`, async () => {
      for (const [url, input, title] of [[`/${mode}/big.html`, BIG_PAGE, 'A long read'], [`/${mode}/page.html`, PAGE, 'Tea & cake']]) {
        const res = await srv.get(url);
        assert.equal(res.status, 200, url);
        assertInsertedOnly(res.body, input, url);
        assertMetaOnce(res.body, { title });
        const cl = res.headers['content-length'];
        if (cl !== undefined) assert.equal(cl, String(res.body.length), `${url}: Content-Length`);
      }
    });

    it(`${mode}: metadata only, the rest of a long page passes untouched`, async () => {
      const res = await srv.get(`/${mode}/meta/big.html`);
      assert.equal(res.status, 200);
      assertInsertedOnly(res.body, BIG_PAGE, 'metadata only');
      assertMetaOnce(res.body, { share: 0, title: 'A long read' });
    });

    it(`${mode}: a Range request is cut from the filtered page`, async () => {
      const whole = await srv.get(`/${mode}/big.html`);
      for (const range of ['bytes=0-999', 'bytes=300000-', 'bytes=-500']) {
        const res = await srv.get(`/${mode}/big.html`, { headers: { Range: range } });
        assert.equal(res.status, 206, `${range}: ${res.status}`);
        const [, from, to, total] = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(res.headers['content-range']);
        assert.equal(Number(total), whole.body.length, `${range}: total length`);
        assert.ok(Buffer.compare(res.body, whole.body.subarray(Number(from), Number(to) + 1)) === 0,
          `${range}: the part differs from the filtered page's bytes ${from}-${to}`);
      }
    });
  }
});

// ------------------------------------------------ 3. bad-input catalogue

const HEAD = '<!DOCTYPE html>\n<html>\n<head>\n<title>Catalogue</title>\n';
const MB10 = 10 * 1024 * 1024;

function page(head, body) { return `${HEAD}${head}</head>\n<body>\n${body}\n</body>\n</html>\n`; }

// Each entry: a page (string: UTF-8; Buffer: as is), and what must
// happen: 'insert' (input plus insertions, metadata once in the head as
// a browser reads it, every inserted share block read as one), 'insert-raw'
// (input plus insertions, not parsed: too big for a quick parse), or
// 'bounded' (the engine may give up on it to keep its memory bounded:
// input plus insertions, or the input untouched).
const CATALOGUE = {
  'giant attribute in the body (10 MB)': {
    page: page('', `<div data-x="${'a'.repeat(MB10)}">x</div>`), expect: 'insert-raw',
  },
  'giant attribute in the head (10 MB, past SMOHeadLimit)': {
    page: page(`<meta name="x-big" content="${'b'.repeat(MB10)}">\n`, '<p>x</p>'), expect: 'bounded',
  },
  '100 000 nested tags': {
    page: page('', `${'<div>'.repeat(100000)}deep${'</div>'.repeat(100000)}`), expect: 'insert-raw',
  },
  '100 000 unclosed nested tags': {
    page: page('', `${'<span><b><i>'.repeat(33334)}deep`), expect: 'insert-raw',
  },
  'unterminated tag at end of stream': { page: `${HEAD}</head><body><p>text</p><div class="x"`, expect: 'insert' },
  'unterminated attribute value at end of stream': { page: `${HEAD}</head><body><p>text</p><a href="/x`, expect: 'insert' },
  'unterminated comment at end of stream': { page: `${HEAD}</head><body><p>text</p><!-- never closed </body>`, expect: 'insert' },
  'unterminated script at end of stream': { page: `${HEAD}</head><body><script>var s = "</scr`, expect: 'insert' },
  'unterminated comment in the head at end of stream': { page: `${HEAD}<!-- </head> <body>`, expect: 'insert-raw' },
  'unterminated tag in the head at end of stream': { page: `${HEAD}<meta name="a`, expect: 'insert-raw' },
  'NUL bytes': {
    page: Buffer.from(`${HEAD}\0<meta name="d\0" content="x\0y">\n</head>\n<body>\n<p\0>a\0b</p>\n</body>\n</html>\n`, 'latin1'),
    expect: 'insert',
  },
  'invalid UTF-8 in the title and body': {
    page: Buffer.concat([
      Buffer.from('<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>caf'),
      Buffer.from([0xc3, 0x20, 0xff, 0xfe, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xc0, 0xaf]),
      Buffer.from('</title>\n</head>\n<body>\n<p>'), Buffer.from([0x80, 0x81, 0xe2, 0x82]),
      Buffer.from('</p>\n</body>\n</html>\n'),
    ]),
    expect: 'insert',
  },
  'mixed-case and whitespace-variant tags': {
    page: '<!DOCTYPE html>\n<HTML>\n<HEAD >\n<TiTlE>Cased</tItLe >\n</HeAd\t>\n<BoDy\n>\n<P>x</P>\n</BODY >\n</HTML\f>\n',
    expect: 'insert', title: 'Cased',
  },
  'two <head>s': {
    page: `${HEAD}</head>\n<head>\n<title>Second</title>\n<meta property="og:title" content="second head">\n</head>\n<body>\n<p>x</p>\n</body>\n</html>\n`,
    expect: 'insert',
  },
  'a UTF-8 byte order mark': {
    page: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(page('', '<p>BOM</p>'))]), expect: 'insert',
  },
  '</head> in script, style, title, textarea, comment and attribute': {
    page: '<!DOCTYPE html>\n<html>\n<head>\n<title>Not </head> here</title>\n' +
      '<script>document.write("</head><body>");</script>\n<style>/* </head> */</style>\n' +
      '<!-- </head> --><meta name="description" content="</head><body>">\n</head>\n' +
      '<body>\n<textarea></body></html></textarea>\n<p>x</p>\n</body>\n</html>\n',
    expect: 'insert', title: 'Not </head> here',
  },
  '<select><xmp><script> ambiguous contexts': {
    page: page('<noscript><link rel="stylesheet" href="/a.css"></noscript>\n',
      '<select><xmp><option>a</option></xmp><script>"</body>"</script></select>\n' +
      '<xmp></body><!-- smo:share --></xmp>\n<noembed></body></noembed>\n<textarea></body></textarea>'),
    expect: 'insert',
  },
  '<plaintext> to the end of the page': {
    page: `${HEAD}</head>\n<body>\n<p>x</p>\n<plaintext></body></html>\n`, expect: 'insert',
  },
  'attacker-controlled HTML in a CMS comment': {
    page: page('',
      '<article><p>The post.</p></article>\n<section class="comments">\n' +
      '<div class="comment">Nice post! <!-- smo:share --> </head><head><title>pwned</title>' +
      "<meta property='og:title' content='pwned'><link rel='canonical' href='https://evil.example/'>" +
      '<script>alert(1)</script><img src=x onerror=alert(1)><a href="javascript:alert(1)">x</a>' +
      '<!-- </body></html> --></div>\n</section>'),
    expect: 'insert', title: 'Catalogue',
  },
};

// Served with a charset a byte-oriented filter cannot write into: left
// alone (SPEC section 3 promises values right in ASCII-compatible charsets
// only; a UTF-16 page gets nothing rather than a corrupted page).
const UTF16_TEXT = page('<meta charset="utf-16">\n', '<p>Sixteen bits</p>');
const UTF16 = Buffer.from(UTF16_TEXT, 'utf16le'); // known by its charset only
const UTF16_BOM = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(UTF16_TEXT, 'utf16le').swap16()]);

describe(`bad-input catalogue (${MPM} MPM)`, () => {
  let srv;
  const names = Object.keys(CATALOGUE);
  const fileOf = (name) => `bad/${names.indexOf(name)}.html`;
  before(async () => {
    const files = { 'ok.html': PAGE, 'utf16/page.html': UTF16, 'utf16bom/page.html': UTF16_BOM };
    for (const name of names) files[fileOf(name)] = CATALOGUE[name].page;
    srv = await start({
      files,
      conf: (s) => `
SMOEngine On
${SHARE}
<Location "/utf16/">
    ForceType "text/html; charset=utf-16"
</Location>
<Location "/meta/">
    SMOMeta og:description "%{unescape:%{QUERY_STRING}}"
    SMOMeta og:image "%{HTTP:X-Image}"
</Location>
Alias "/meta/" "${s.dir}/htdocs/"
`,
    });
  });
  after(async () => { if (srv) { try { assertNoCrash(srv); } finally { await srv.stop(); } } });

  for (const name of names) {
    const { page: input, expect, title } = CATALOGUE[name];
    it(name, async (t) => {
      const res = await srv.get(`/${fileOf(name)}`, { timeout: 60000 });
      assert.equal(res.status, 200);
      const inBuf = Buffer.isBuffer(input) ? input : Buffer.from(input);
      if (expect === 'bounded' && Buffer.compare(res.body, inBuf) === 0) {
        t.diagnostic(`${name}: passed untouched (the engine gave up: bounded memory)`);
      } else {
        const found = assertInsertedOnly(res.body, inBuf, name);
        const text = res.body.toString('latin1');
        assert.equal(count(found.join(''), /rel="canonical"/g), 1, `${name}: canonical inserted ${count(text, /rel="canonical"/g)} times`);
        assert.ok(count(found.join(''), /smo-share"/g) <= 1, `${name}: more than one share block`);
        if (expect === 'insert') {
          // A block appended inside a construct left open at the end
          // (tag, comment, script, <plaintext>) is not a block: it is lost,
          // or shown as text.
          const { doc } = assertMetaOnce(res.body, { share: count(found.join(''), /smo-share"/g), title });
          // No script, element or attribute came out of the inserted values.
          const { doc: before } = parseHtml(inBuf);
          assert.equal(elements(doc, 'script').length, elements(before, 'script').length);
          assert.equal(elements(doc, 'img').length, elements(before, 'img').length);
        }
      }
      // The server still answers, every time.
      const ok = await srv.get('/ok.html');
      assert.equal(ok.status, 200);
    });
  }

  it('the attacker\'s </head>, og:title, canonical and marker in a comment change nothing', async () => {
    const name = 'attacker-controlled HTML in a CMS comment';
    const res = await srv.get(`/${fileOf(name)}`);
    const text = res.body.toString('utf8');
    const { doc, head } = parseHtml(text);
    const og = elements(head, 'meta').filter((m) => attr(m, 'property') === 'og:title');
    assert.deepEqual(og.map((m) => attr(m, 'content')), ['Catalogue'], 'og:title comes from the real <title>');
    const canon = elements(head, 'link').filter((l) => attr(l, 'rel') === 'canonical');
    assert.deepEqual(canon.map((l) => attr(l, 'href')), [`${srv.origin}/${fileOf(name)}`]);
    // The default placement (body-end) ignores markers: one block, after the comments.
    const navs = elements(doc, 'nav').filter((n) => attr(n, 'class') === 'smo-share');
    assert.equal(navs.length, 1);
    assert.ok(text.lastIndexOf('<nav class="smo-share"') > text.indexOf('class="comments"'));
  });

  it('a UTF-16 page (charset=utf-16, no byte order mark) is left untouched', async () => {
    const res = await srv.get('/utf16/page.html');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /charset=utf-16/);
    assertUntouched(res.body, UTF16, 'UTF-16 page');
  });

  it('a UTF-16BE page known by its byte order mark only is left untouched', async () => {
    // Browsers decode by the BOM whatever the HTTP charset says (WHATWG
    // encoding sniffing), so ASCII markup would corrupt it just the same.
    const res = await srv.get('/utf16bom/page.html');
    assert.equal(res.status, 200);
    assertUntouched(res.body, UTF16_BOM, 'UTF-16 page (BOM only)');
  });

  it('request data with CR/LF, quotes and markup cannot inject headers or markup', async () => {
    const evil = '%0d%0aSet-Cookie:%20smo=pwned%0d%0a%0d%0a%22%3E%3Cscript%3Ealert(1)%3C/script%3E%3C%22';
    const res = await srv.get(`/meta/ok.html?${evil}`, {
      headers: { 'X-Image': '"><script>alert(2)</script><meta http-equiv="refresh" content="0;url=https://evil.example/">' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers['set-cookie'], undefined, 'a header was injected');
    assertInsertedOnly(res.body, PAGE, 'SMOMeta from request data');
    const { doc, head } = parseHtml(res.body);
    assert.equal(elements(doc, 'script').length, 0, `markup from the request got into the page:\n${res.body}`);
    assert.equal(elements(doc, 'meta').filter((m) => attr(m, 'http-equiv')).length, 0, 'a meta refresh was injected');
    const desc = elements(head, 'meta').find((m) => attr(m, 'property') === 'og:description');
    // SMOMeta wins over what SMOAutoMeta derives: the whole decoded query
    // string, quotes and markup included, is one attribute value.
    assert.ok(desc, 'og:description missing');
    assert.equal(attr(desc, 'content').replace(/\r\n?/g, '\n'), decodeURIComponent(evil).replace(/\r\n?/g, '\n'));
    const img = elements(head, 'meta').find((m) => attr(m, 'property') === 'og:image');
    assert.ok(img, 'og:image missing');
    assert.ok(!/[\s"<>]/.test(attr(img, 'content')), `og:image holds raw request bytes: ${attr(img, 'content')}`);
    const canon = elements(head, 'link').find((l) => attr(l, 'rel') === 'canonical');
    assert.ok(!/[\r\n"<>]/.test(attr(canon, 'href')), `canonical holds raw request bytes: ${attr(canon, 'href')}`);
  });

  it('a request header with a bare CR or an obs-fold is refused or harmless', async () => {
    for (const hdr of ['X-Image: a\rSet-Cookie: smo=pwned', 'X-Image: a\r\n Set-Cookie: smo=pwned']) {
      const raw = await rawRequest(srv.port,
        `GET /meta/ok.html HTTP/1.1\r\nHost: 127.0.0.1\r\n${hdr}\r\nConnection: close\r\n\r\n`);
      const text = raw.toString('latin1');
      const [headers] = text.split('\r\n\r\n');
      assert.ok(!/^Set-Cookie:/im.test(headers), `header injected:\n${headers}`);
      assert.match(headers, /^HTTP\/1\.1 (200|400) /, headers);
      if (/^HTTP\/1\.1 200 /.test(headers)) {
        const body = text.slice(headers.length + 4);
        assert.equal(elements(parseHtml(body).doc, 'script').length, 0);
      }
    }
    const ok = await srv.get('/ok.html');
    assert.equal(ok.status, 200);
  });
});

// ------------------------------------------------ 4. load and restarts

/** apache2's children (the MPM's workers; mod_cgid's daemon too when loaded). */
function children(parent) {
  const out = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

/** RSS in KiB of each child: {pid: kib}. */
function rssOf(parent) {
  const rss = {};
  for (const pid of children(parent)) {
    try {
      const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) rss[pid] = Number(m[1]);
    } catch { /* gone */ }
  }
  return rss;
}

/** Samples children's RSS every 100 ms until stop(); returns the peak per child. */
function sampler(parent) {
  const peak = {};
  const take = () => {
    for (const [pid, kib] of Object.entries(rssOf(parent))) peak[pid] = Math.max(peak[pid] || 0, kib);
  };
  take();
  const timer = setInterval(take, 100);
  return { stop() { clearInterval(timer); take(); return peak; } };
}

const maxOf = (peaks) => Math.max(0, ...Object.values(peaks));
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

function runWrk(args) {
  return new Promise((resolve) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stdout += d; });
    child.once('close', (code) => {
      const num = (re) => { const m = re.exec(stdout); return m ? Number(m[1]) : 0; };
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      resolve({
        code, stdout,
        requests: num(/(\d+) requests in/),
        non2xx: num(/Non-2xx or 3xx responses: (\d+)/),
        socketErrors: sock ? sock.slice(1).map(Number).reduce((a, b) => a + b, 0) : 0,
      });
    });
  });
}

// `conns` connections, one request at a time each, without keep-alive,
// for `ms` milliseconds: every answer (status, body, start time) and every
// failure (error code, start and end time).  A failed connection waits
// 5 ms before the next try, so a refused port is not a busy loop.
function hammer(target, conns, ms) {
  const until = performance.now() + ms;
  const answers = [];
  const failures = [];
  const one = () => new Promise((resolve) => {
    const start = performance.now();
    const req = http.get(target, { agent: false, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.complete) answers.push({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), start });
        else failures.push({ code: 'cut', start, end: performance.now() });
        resolve(true);
      });
      res.on('error', (e) => { failures.push({ code: e.code || 'cut', start, end: performance.now() }); resolve(false); });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })));
    req.on('error', (e) => { failures.push({ code: e.code || e.message, start, end: performance.now() }); resolve(false); });
  });
  const loop = async () => {
    while (performance.now() < until) {
      if (!(await one())) await sleep(5);
    }
  };
  return Promise.all(Array.from({ length: conns }, loop)).then(() => ({ answers, failures }));
}

const LOAD_PAGE = page('<meta name="description" content="Under load.">\n<meta property="og:image" content="/cover.png">\n',
  `<main>${'<p>Paragraph of text for the load test.</p>\n'.repeat(60)}</main>`);

// Under ASan every freed block sits in a quarantine (256 MB by default),
// so RSS grows by design: the figures are reported, not bounded.
const RSS_BOUND_KIB = 10 * 1024;
const N = SANITIZED ? 1000 : 3000;
const LOAD_SECONDS = SANITIZED ? 4 : 2;

describe(`load and restarts (${MPM} MPM)`, { skip: missing('ab') }, () => {
  let srv;
  const url = () => `${srv.origin}/load/page.html`;
  before(async () => {
    srv = await start({
      files: { 'load/page.html': LOAD_PAGE },
      conf: `
SMOEngine On
${SHARE}
SMOMeta og:site_name "Load test"
# No per-request debug lines under load; the MPM's restart notices stay.
LogLevel warn mpm_${MPM}:notice core:notice
KeepAlive On
# Unlimited: wrk counts Apache's close after the 100th request as an error.
MaxKeepAliveRequests 0
# Threads to spare for wrk's keep-alive connections (see below).
<IfModule !mpm_prefork_module>
    StartServers 2
    ThreadsPerChild 32
    MaxRequestWorkers 64
</IfModule>
`,
    });
  });
  after(async () => { if (srv) { try { assertNoCrash(srv); } finally { await srv.stop(); } } });

  it('many connections: every response 200 and complete, child memory flat across two identical runs', async (t) => {
    const first = await srv.get('/load/page.html');
    assertInsertedOnly(first.body, LOAD_PAGE, 'load page');
    assertMetaOnce(first.body);
    const len = first.body.length;

    const warm = await runAb(['-q', '-n', String(N / 3), '-c', '10', url()]);
    assert.equal(warm.failed, 0, warm.stdout);
    const before = rssOf(srv.pid);

    const runs = [];
    for (let i = 0; i < 2; i++) {
      const s = sampler(srv.pid);
      const ab = await runAb(['-q', '-n', String(N), '-c', '40', url()]);
      const peak = s.stop();
      assert.equal(ab.complete, N, `run ${i + 1}: ${ab.stdout}${ab.stderr}`);
      assert.equal(ab.failed, 0, `run ${i + 1}: failed requests (length or connection)\n${ab.stdout}`);
      assert.equal(ab.non2xx, 0, `run ${i + 1}: non-2xx responses\n${ab.stdout}`);
      assert.match(ab.stdout, new RegExp(`Document Length:\\s+${len} bytes`), 'ab saw another body than the filtered page');
      runs.push({ peak, rps: ab.rps });
    }
    const after = rssOf(srv.pid);
    const fmt = (o) => Object.entries(o).map(([pid, k]) => `${pid}=${mib(k)}`).join(' ');
    t.diagnostic(`${MPM}${SANITIZED ? ' (ASan)' : ''}: child RSS before load: ${fmt(before)}`);
    t.diagnostic(`${MPM}: peak child RSS during run 1 (${N} requests, 40 connections, ${runs[0].rps} req/s): ${fmt(runs[0].peak)}`);
    t.diagnostic(`${MPM}: peak child RSS during run 2 (${runs[1].rps} req/s): ${fmt(runs[1].peak)}`);
    t.diagnostic(`${MPM}: child RSS after load: ${fmt(after)}`);
    const growth = maxOf(runs[1].peak) - maxOf(runs[0].peak);
    t.diagnostic(`${MPM}: largest child peak ${mib(maxOf(runs[0].peak))} -> ${mib(maxOf(runs[1].peak))} (growth ${mib(growth)})`);
    if (!SANITIZED) {
      assert.ok(growth < RSS_BOUND_KIB, `child memory grew by ${mib(growth)} between two identical runs`);
      for (const [pid, kib] of Object.entries(runs[1].peak)) {
        if (runs[0].peak[pid] !== undefined) {
          assert.ok(kib - runs[0].peak[pid] < RSS_BOUND_KIB, `child ${pid} grew from ${mib(runs[0].peak[pid])} to ${mib(kib)}`);
        }
      }
    }
  });

  it('wrk with keep-alive connections: no errors, no non-2xx', async (t) => {
    if (spawnSync('wrk', ['--version']).error) { t.skip('wrk is not installed'); return; }
    // No more connections than one child's threads (32 here): when a
    // child runs short of workers the event MPM closes idle keep-alive
    // connections by design, and wrk counts each such close as a read
    // error.  (ab above, without keep-alive, uses 40.)
    const w = await runWrk(['-t2', '-c24', '-d4s', '--timeout', '10s', url()]);
    t.diagnostic(`${MPM}: wrk -t2 -c24 -d4s: ${w.requests} requests, ${w.non2xx} non-2xx, ${w.socketErrors} socket errors`);
    assert.ok(w.requests > 0, w.stdout);
    assert.equal(w.non2xx, 0, w.stdout);
    assert.equal(w.socketErrors, 0, w.stdout);
  });

  it('apache2 -k graceful (SIGUSR1) in the middle of a load run: no failed request', async (t) => {
    const ab = runAb(['-q', '-r', '-t', String(LOAD_SECONDS), '-n', '10000000', '-c', '20', url()]);
    await sleep(LOAD_SECONDS * 400);
    process.kill(srv.pid, 'SIGUSR1');
    const res = await ab;
    t.diagnostic(`${MPM}: graceful during ab -t ${LOAD_SECONDS} -c 20: ${res.complete} complete, ${res.failed} failed, ${res.non2xx} non-2xx`);
    assert.ok(/SIGUSR1 received|Graceful restart/.test(srv.errorLog()), 'the graceful restart did not happen');
    assert.ok(res.complete > 0, res.stdout + res.stderr);
    assert.equal(res.failed, 0, res.stdout + res.stderr);
    assert.equal(res.non2xx, 0, res.stdout);
    const ok = await srv.get('/load/page.html');
    assert.equal(ok.status, 200);
  });

  it('apache2 -k restart (SIGHUP) in the middle of a load run: the server comes back, every answer is whole', async (t) => {
    if (MPM === 'event') {
      // Apache 2.4's event MPM itself segfaults on a hard restart under
      // load (a new child, in apr_os_sock_get from the MPM's start-up):
      // measured here in 7 of 30 SIGHUPs without mod_smo loaded and 7 of
      // 30 with it, same stack.  The crash check would then blame mod_smo;
      // prefork and worker run this test, and graceful runs on all three.
      t.skip('Apache event MPM crashes on SIGHUP under load, with or without mod_smo');
      return;
    }
    // A full restart kills the children at once (Apache's design; graceful
    // is the way to restart without dropping anything), so requests in
    // flight then, and connections tried while no child is up, may fail
    // (reset, refused, cut short): measured and reported, not failed.
    // What must hold: every answer is a 200 with the whole page, nothing
    // fails before the signal, and nothing fails once the server answers
    // again.  (A count bound does not hold: a connection can reach several
    // dying children in turn, more so on a loaded machine.)
    const sigAt = { t: Infinity };
    const resumed = (srv.errorLog().match(/resuming normal operations/g) || []).length;
    const load = hammer(url(), 20, LOAD_SECONDS * 1000);
    await sleep(LOAD_SECONDS * 400);
    sigAt.t = performance.now();
    process.kill(srv.pid, 'SIGHUP');
    // The parent logs "resuming normal operations" once the old children
    // are gone and the new ones started: seen by polling, so no earlier.
    let back = Infinity;
    while (back === Infinity && performance.now() < sigAt.t + LOAD_SECONDS * 1000) {
      await sleep(10);
      if ((srv.errorLog().match(/resuming normal operations/g) || []).length > resumed) back = performance.now();
    }
    const res = await load;
    const failures = res.failures;
    const kinds = {};
    for (const f of failures) kinds[f.code] = (kinds[f.code] || 0) + 1;
    t.diagnostic(`${MPM}: restart during ${LOAD_SECONDS} s of 20 connections: ${res.answers.length} answers, ` +
      `${failures.length} failed ${JSON.stringify(kinds)}, server back ${(back - sigAt.t).toFixed(0)} ms after SIGHUP (error log)`);
    assert.ok(/SIGHUP received/.test(srv.errorLog()), 'the restart did not happen');
    assert.ok(back < Infinity, 'the server did not resume normal operations');
    assert.ok(res.answers.length > 0, 'no answer at all');
    const bad = res.answers.filter((a) => a.status !== 200 || a.body !== res.answers[0].body);
    assert.equal(bad.length, 0, `answers that are not the whole page: ${bad.slice(0, 3).map((a) => `${a.status} ${a.body.length} bytes`).join(', ')}`);
    assertInsertedOnly(res.answers[0].body, LOAD_PAGE, 'under load');
    const early = failures.filter((f) => f.start < sigAt.t && f.end < sigAt.t);
    assert.equal(early.length, 0, `failures before the restart: ${JSON.stringify(early.slice(0, 3))}`);
    const late = failures.filter((f) => f.start > back);
    assert.equal(late.length, 0, `failures after the server answered again: ${JSON.stringify(late.slice(0, 3))}`);
    let ok = null;
    for (let i = 0; i < 50 && !ok; i++) {
      ok = await srv.get('/load/page.html').catch(() => null);
      if (!ok) await sleep(100);
    }
    assert.equal(ok && ok.status, 200, 'the server does not answer after the restart');
    assertInsertedOnly(ok.body, LOAD_PAGE, 'after restart');
  });
});
