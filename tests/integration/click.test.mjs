// Covers: the smo-click handler in a real apache2 (SPEC section 5), with
// the click log configured by conf/smo-click.conf as shipped.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { start } from './lib/apache.mjs';
import { parseHtml, elements, attr } from './lib/html.mjs';

const CLICK_CONF = new URL('../../conf/smo-click.conf', import.meta.url).pathname;

// Relative log paths resolve against the test server's ServerRoot.
const CONF = `
Define APACHE_LOG_DIR logs
Include "${CLICK_CONF}"
SMOEngine On
SMOShare x facebook email
SMOTrackClicks On
<Location "/smo/click-partner">
    SetHandler smo-click
    SMOClickAllowHost partner.example *.cdn.example
</Location>
<Location "/smo/click-x">
    SetHandler smo-click
    SMONetwork digg "https://digg.com/submit?url={url}"
</Location>
`;

const PAGE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Boots</title></head>
<body><p>Boots.</p></body></html>
`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// One quoted field as mod_log_config writes it: \" and \\ inside.
const Q = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(`^(\\S+) (\\S+) ${Q} ${Q} ${Q}$`);
const unescape = (s) => s.replace(/\\(["\\])/g, '$1');

function parseLine(line) {
  const m = LINE.exec(line);
  assert.ok(m, `not a click-log line: ${JSON.stringify(line)}`);
  return { time: m[1], network: m[2], url: unescape(m[3]), referer: unescape(m[4]), ua: unescape(m[5]) };
}

let srv;
let clickLog;
before(async () => {
  srv = await start({ conf: CONF, files: { 'boots/index.html': PAGE, 'boots/p.html': PAGE } });
  clickLog = path.join(srv.dir, 'logs', 'smo_click.log');
});
after(async () => { if (srv) await srv.stop(); });

function logLines() {
  try { return fs.readFileSync(clickLog, 'utf8').split('\n').filter(Boolean); } catch { return []; }
}

// mod_log_config writes after the response: wait for `n` lines.
async function waitLines(n) {
  for (let i = 0; i < 100 && logLines().length < n; i++) await sleep(20);
  return logLines();
}

// Nothing is written for a request that was not a click: give the logger
// time, then compare.
async function settle() {
  const probe = await srv.get('/boots/p.html');
  assert.equal(probe.status, 200);
  await sleep(150);
  return logLines();
}

const q = (n, u) => `/smo/click?n=${encodeURIComponent(n)}&u=${encodeURIComponent(u)}`;

describe('smo-click handler', () => {
  it('redirects a click on an own page to the network, and logs it', async () => {
    const before = logLines().length;
    const page = `${srv.origin}/boots/p.html?utm_source=news&id=7`;
    const res = await srv.get(q('x', page), { headers: { Referer: `${srv.origin}/boots/p.html`, 'User-Agent': 'Test "agent" 1.0' } });
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.location);
    assert.equal(loc.hostname, 'x.com');
    assert.equal(loc.searchParams.get('url'), `${srv.origin}/boots/p.html?id=7`);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['x-robots-tag'], 'noindex');
    const lines = await waitLines(before + 1);
    assert.equal(lines.length, before + 1);
    const f = parseLine(lines.at(-1));
    assert.match(f.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
    assert.ok(Math.abs(Date.parse(f.time.replace(/([+-]\d\d)(\d\d)$/, '$1:$2')) - Date.now()) < 60000, f.time);
    assert.equal(f.network, 'x');
    assert.equal(f.url, `${srv.origin}/boots/p.html?id=7`);
    assert.equal(f.referer, `${srv.origin}/boots/p.html`);
    assert.equal(f.ua, 'Test "agent" 1.0');
    assert.match(lines.at(-1), /"Test \\"agent\\" 1\.0"$/);
  });

  it('follows a share link the filter wrote (SMOTrackClicks On) to the network', async () => {
    const html = (await srv.get('/boots/p.html')).body;
    const { doc } = parseHtml(html);
    const a = elements(doc, 'a').find((x) => (attr(x, 'class') || '').includes('smo-share-facebook'));
    const res = await srv.get(attr(a, 'href'));
    assert.equal(res.status, 302);
    const loc = new URL(res.headers.location);
    assert.equal(loc.hostname, 'www.facebook.com');
    assert.equal(loc.searchParams.get('u'), `${srv.origin}/boots/p.html`);
    const f = parseLine((await waitLines(1)).at(-1));
    assert.equal(f.network, 'facebook');
  });

  it('twitter is x', async () => {
    const res = await srv.get(q('twitter', `${srv.origin}/boots/`));
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.location).hostname, 'x.com');
  });

  it('HEAD is answered like GET but is not a click', async () => {
    const before = await settle();
    const res = await srv.get(q('x', `${srv.origin}/boots/p.html`), { method: 'HEAD' });
    assert.equal(res.status, 302);
    assert.equal(new URL(res.headers.location).hostname, 'x.com');
    assert.equal(res.body.length, 0);
    assert.deepEqual(await settle(), before);
  });

  it('POST is 405 with Allow: GET, HEAD, and not logged as a click', async () => {
    const before = await settle();
    const res = await srv.get(q('x', `${srv.origin}/boots/p.html`), { method: 'POST' });
    assert.equal(res.status, 405);
    assert.deepEqual(res.headers.allow.split(/\s*,\s*/).sort(), ['GET', 'HEAD']);
    assert.deepEqual(await settle(), before);
    assert.match(srv.errorLog(), /click refused: method/);
  });

  const refusals = [
    ['a foreign host', () => q('x', 'https://evil.example/page'), 'foreign-host', 'evil.example'],
    ['a javascript: URL', () => q('x', 'javascript:alert(document.domain)'), 'bad-scheme', 'alert(document'],
    ['a missing u', () => '/smo/click?n=x', 'missing-u', null],
    ['userinfo', () => q('x', `http://127.0.0.1@evil-user.example/`), 'userinfo', 'evil-user'],
    ['a network the handler does not know', () => q('digg', `${srv.origin}/boots/`), 'unknown-network', null],
  ];
  for (const [what, url, reason, secret] of refusals) {
    it(`refuses ${what}: 400 text/plain, reason in the error log, nothing in the click log`, async () => {
      const before = await settle();
      const res = await srv.get(url());
      assert.equal(res.status, 400);
      assert.match(res.headers['content-type'], /^text\/plain/);
      assert.ok(res.body.length > 0);
      if (secret) assert.ok(!res.body.toString().includes(secret), res.body.toString());
      assert.deepEqual(await settle(), before);
      const log = srv.errorLog();
      assert.match(log, new RegExp(`\\[smo:info\\].*click refused: ${reason}`));
      if (secret) assert.ok(!log.includes(secret), 'the refused URL reached the error log');
    });
  }

  it('SMOClickAllowHost adds hosts (wildcards too) in its location only', async () => {
    for (const u of ['https://partner.example/a', 'https://img.cdn.example/b']) {
      const res = await srv.get(q('x', u).replace('/smo/click?', '/smo/click-partner?'));
      assert.equal(res.status, 302, u);
      assert.equal(new URL(res.headers.location).searchParams.get('url'), u);
    }
    const own = await srv.get(q('x', `${srv.origin}/boots/`).replace('/smo/click?', '/smo/click-partner?'));
    assert.equal(own.status, 302);
    const elsewhere = await srv.get(q('x', 'https://partner.example/a'));
    assert.equal(elsewhere.status, 400);
  });

  it('the networks are the built-in ones and those SMONetwork defines for the handler\'s location', async () => {
    const base = `${srv.origin}/boots/`;
    const digg = await srv.get(q('digg', base).replace('/smo/click?', '/smo/click-x?'));
    assert.equal(digg.status, 302);
    assert.equal(new URL(digg.headers.location).hostname, 'digg.com');
    assert.equal((await srv.get(q('digg', base))).status, 400);
    // Built-in networks, shown here or not (SPEC 5).
    assert.equal((await srv.get(q('facebook', base).replace('/smo/click?', '/smo/click-x?'))).status, 302);
    assert.equal((await srv.get(q('reddit', base))).status, 302);
  });

  it('every click-log line has the five fields, and awk $2 counts networks', async () => {
    const lines = await waitLines(1);
    const nets = lines.map((l) => parseLine(l).network);
    assert.ok(nets.length >= 4, lines.join('\n'));
    for (const n of nets) assert.ok(['x', 'facebook', 'digg', 'reddit'].includes(n), n);
    // What `awk '{print $2}'` prints is the network.
    assert.deepEqual(lines.map((l) => l.split(' ')[1]), nets);
  });
});
