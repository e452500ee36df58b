// Covers: the charset the response will be sent with
// (AddDefaultCharset included) decodes the page's text (SPEC 6, "Which
// charset"); a body that is not ASCII-compatible HTML (ISO-2022-JP, gzip
// or other binary bytes labelled text/html) passes byte for byte.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';

import { start } from './lib/apache.mjs';
import { parseHtml, elements, attr } from './lib/html.mjs';

const CREME = Buffer.from(`<!DOCTYPE html>
<html><head><title>Caf\xe9 cr\xe8me</title></head>
<body><p>Caf\xe9.</p></body></html>
`, 'latin1');

// ISO-2022-JP: "<title>" then ESC $ B, two JIS characters, ESC ( B.
const JIS = Buffer.concat([
  Buffer.from('<!DOCTYPE html>\n<html><head><title>'),
  Buffer.from([0x1b, 0x24, 0x42, 0x46, 0x7c, 0x4b, 0x5c, 0x1b, 0x28, 0x42]),
  Buffer.from('</title></head>\n<body><p>'),
  // JIS bytes that read as "</head>" in ASCII, inside a JIS run.
  Buffer.from([0x1b, 0x24, 0x42]), Buffer.from('</head>'), Buffer.from([0x1b, 0x28, 0x42]),
  Buffer.from('</p></body></html>\n'),
]);

const GZIP = zlib.gzipSync(Buffer.from('<html><head><title>x</title></head><body>zipped</body></html>'));
// NUL and control bytes before any markup (a binary blob).
const BLOB = Buffer.concat([Buffer.from([0x00, 0x01, 0x02, 0x03]), Buffer.from('<html><body></body></html>')]);

const CONF = `
SMOEngine On
SMOShare x email
<Location "/latin1/">
    AddDefaultCharset ISO-8859-1
</Location>
<Location "/jis/">
    AddType "text/html; charset=ISO-2022-JP" .html
</Location>
<Location "/jis-meta/">
    AddDefaultCharset Off
</Location>
`;

const FILES = {
  'latin1/creme.html': CREME,
  'plain/creme.html': CREME,
  'jis/page.html': JIS,
  'jis-meta/page.html': Buffer.concat([
    Buffer.from('<!DOCTYPE html>\n<html><head><meta charset="iso-2022-jp">'), JIS.subarray(JIS.indexOf('<title>')),
  ]),
  'jis-nolabel/page.html': JIS,
  'bin/zipped.html': GZIP,
  'bin/blob.html': BLOB,
};

let srv;
before(async () => { srv = await start({ conf: CONF, files: FILES }); });
after(async () => { await srv?.stop(); });

const metaContent = (head, prop) => {
  const m = elements(head, 'meta').filter((e) => attr(e, 'property') === prop || attr(e, 'name') === prop);
  return m.map((e) => attr(e, 'content'));
};

describe('the charset Apache sends decodes the page (SPEC 6)', () => {
  it('AddDefaultCharset ISO-8859-1: og:title is Café crème, share URLs carry UTF-8', async () => {
    const res = await srv.get('/latin1/creme.html');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /charset=ISO-8859-1/i);
    const text = res.body.toString('latin1');
    assert.ok(text.includes('<meta property="og:title" content="Caf&#xE9; cr&#xE8;me"'), text);
    assert.ok(!text.includes('FFFD'), text);
    const { head } = parseHtml(text);
    assert.deepEqual(metaContent(head, 'og:title'), ['Caf\u00e9 cr\u00e8me']);
    const hrefs = [...text.matchAll(/<a class="smo-share-link[^>]* href="([^"]*)"/g)].map((m) => m[1]);
    assert.equal(hrefs.length, 2);
    for (const h of hrefs) {
      assert.match(h, /Caf%C3%A9/, h);
      assert.ok(!/%EF%BF%BD/.test(h), h);
    }
    // The page's own bytes are untouched.
    assert.ok(res.body.includes(Buffer.from('<title>Caf\xe9 cr\xe8me</title>', 'latin1')));
  });

  it('no charset anywhere: bytes that are not UTF-8 are read as windows-1252', async () => {
    const res = await srv.get('/plain/creme.html');
    assert.equal(res.status, 200);
    assert.doesNotMatch(res.headers['content-type'], /charset/i);
    const text = res.body.toString('latin1');
    assert.ok(text.includes('<meta property="og:title" content="Caf&#xE9; cr&#xE8;me"'), text);
    for (const m of text.matchAll(/<a class="smo-share-link[^>]* href="([^"]*)"/g)) {
      assert.match(m[1], /Caf%C3%A9/, m[1]);
    }
  });
});

describe('bodies that must pass untouched', () => {
  const same = async (p, want, why) => {
    const res = await srv.get(p);
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(want), `${p} changed:\n${res.body.toString('latin1')}`);
    if (why) assert.match(srv.errorLog(), why);
  };
  it('an ISO-2022-JP page labelled charset=ISO-2022-JP comes out byte-identical', async () => {
    await same('/jis/page.html', JIS, /not filtering \/jis\/page\.html: charset ISO-2022-JP/i);
  });
  it('an ISO-2022-JP page with <meta charset="iso-2022-jp"> comes out byte-identical', async () => {
    await same('/jis-meta/page.html', FILES['jis-meta/page.html'], /jis-meta\/page\.html.*ISO-2022/i);
  });
  it('an ISO-2022-JP page without a label (ESC $ B in the head) comes out byte-identical', async () => {
    await same('/jis-nolabel/page.html', JIS, /jis-nolabel\/page\.html.*ISO-2022/i);
  });
  it('gzip bytes labelled text/html without Content-Encoding come out byte-identical', async () => {
    await same('/bin/zipped.html', GZIP, /bin\/zipped\.html.*(binary|not text)/);
  });
  it('NUL and control bytes before any markup: byte-identical', async () => {
    await same('/bin/blob.html', BLOB, /bin\/blob\.html.*(binary|not text)/);
  });
});
