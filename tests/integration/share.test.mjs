// Covers: share links in pages served by a real apache2 (SPEC section 4):
// SMOShare, SMONetwork, SMOShareAt, SMOShareTemplate, SMOShareStyle,
// SMOTrackClicks, SMOMastodonInstance, and their configuration errors.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { start } from './lib/apache.mjs';
import { parseHtml, elements, attr } from './lib/html.mjs';
import { missing } from './lib/tools.mjs';

const HTTPD = process.env.SMO_HTTPD || '/usr/sbin/apache2';
const MODULES_DIR = process.env.SMO_MODULES_DIR || '/usr/lib/apache2/modules';
const MOD_SMO = path.join(path.resolve(process.env.SMO_BUILDDIR || process.cwd()), '.libs', 'mod_smo.so');

// A page with every target: markers, an element for the selectors.
const FULL = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Café</title></head>
<body>
<header><h1>Rocket boots</h1></header>
<!-- smo:share -->
<main>
<p>Boots that fly.</p>
<div id="tools" class="tools wide" data-share="yes"><span>tools</span></div>
<p>More text.</p>
<!--   SMO:Share  -->
</main>
</body>
</html>
`;

// The same page without a marker or an element a selector could match.
const PLAIN = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Café</title></head>
<body>
<header><h1>Rocket boots</h1></header>
<main><p>Boots that fly.</p><div id="other" class="tool"><span>x</span></div></main>
</body>
</html>
`;

const LATIN1 = Buffer.from(`<!DOCTYPE html>
<html><head><meta charset="iso-8859-1"><title>Caf\u00e9</title></head>
<body><p>Cr\u00e8me</p></body></html>
`, 'latin1');

const XHTML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en">
<head><meta charset="UTF-8"/><title>Tom &amp; Jerry — Café</title></head>
<body><p>Text</p><div id="tools"><br/></div></body>
</html>
`;

const BLOCK_TEMPLATE = `<aside class="my-share">
<h2>Share &#8220;{title}&#8221;</h2>
<style>.my-share { display: flex }</style>
{links}
</aside>
`;

const BUILTINS = ['x', 'facebook', 'linkedin', 'reddit', 'whatsapp', 'telegram', 'bluesky',
  'threads', 'mastodon', 'hackernews', 'pinterest', 'tumblr', 'email'];

// Where each built-in network's link must point (SPEC section 4).
const HOSTS = {
  x: ['x.com'], facebook: ['facebook.com'], linkedin: ['linkedin.com'], reddit: ['reddit.com'],
  whatsapp: ['wa.me', 'api.whatsapp.com'], telegram: ['t.me'], bluesky: ['bsky.app'],
  threads: ['threads.com'], hackernews: ['news.ycombinator.com'], pinterest: ['pinterest.com'],
  tumblr: ['tumblr.com'],
};

const SELECTOR_PLACES = {
  before: 'before div#tools',
  prepend: 'prepend #tools',
  append: 'append [data-share=yes]',
  after: 'after div.tools',
};

const CONF = `
SMOEngine On
<Location "/slow/">
    AddHandler cgi-script .cgi
    SMOShare x facebook
</Location>
SMOShare facebook email
SMONetwork digg "https://digg.com/submit?url={url}&title={title}" "digg this"
AddType "application/xhtml+xml; charset=utf-8" .xhtml
<Location "/at/end/">
    SMOShare x facebook
</Location>
<Location "/at/start/">
    SMOShare x facebook
    SMOShareAt body-start
</Location>
<Location "/at/marker/">
    SMOShare x facebook
    SMOShareAt marker
</Location>
${Object.entries(SELECTOR_PLACES).map(([dir, at]) => `<Location "/at/${dir}/">
    SMOShare x facebook
    SMOShareAt ${at}
</Location>`).join('\n')}
<Location "/none/">
    SMOShareStyle /css/smo.css
    SMOShare none
</Location>
<Location "/merge/inner/">
    SMOShare reddit
</Location>
<Location "/merge/at/">
    SMOShareAt body-start
</Location>
<Location "/alias/">
    SMOShare x twitter
</Location>
<Location "/all/">
    SMOShare ${BUILTINS.join(' ')}
</Location>
<Location "/all/instance/">
    SMOMastodonInstance Mastodon.Social
</Location>
<Location "/custom/">
    SMOShare digg x
</Location>
<Location "/custom/redefined/">
    SMONetwork x "https://share.example.org/post?u={url}" "Ex"
</Location>
<Location "/track/">
    SMOShare x email
    SMOTrackClicks On
    SMOClickURL /go/click
</Location>
<Location "/go/click">
    SetHandler smo-click
</Location>
<Location "/style/">
    SMOShareStyle /css/smo.css
</Location>
`;

const FILES = {};
for (const dir of ['at/end', 'at/start', 'at/marker', ...Object.keys(SELECTOR_PLACES).map((d) => `at/${d}`),
  'none', 'merge', 'merge/inner', 'merge/at', 'alias', 'all', 'all/instance', 'custom', 'custom/redefined',
  'track', 'style']) {
  FILES[`${dir}/full.html`] = FULL;
  FILES[`${dir}/plain.html`] = PLAIN;
}
FILES['slow/slow.cgi'] = { mode: 0o755, content: `#!/bin/sh
printf 'Content-Type: text/html\\r\\n\\r\\n'
printf '<!DOCTYPE html><html><head><title>Slow</title></head><body><p>first</p>\\n'
sleep 3
printf '<p>second</p></body></html>\\n'
` };
// 20 000 markers (360 KB) must not give 20 000 share bars.
FILES['at/marker/many.html'] = `<!DOCTYPE html><html><head><title>Many</title></head><body>
${'<!-- smo:share -->\n'.repeat(20000)}</body></html>
`;
FILES['merge/utf8.html'] = FULL;
FILES['merge/latin1.html'] = LATIN1;
FILES['merge/page.xhtml'] = XHTML;
FILES['at/before/page.xhtml'] = XHTML;

let srv;
before(async () => {
  srv = await start({ conf: CONF, files: FILES });
});
after(async () => { if (srv) await srv.stop(); });

async function page(p) {
  const res = await srv.get(p);
  assert.equal(res.status, 200, `${p}: ${res.status}\n${srv.errorLog().slice(-2000)}`);
  return res;
}

function blocks(html) {
  const { doc } = parseHtml(html);
  return elements(doc, 'nav').filter((n) => attr(n, 'class') === 'smo-share');
}

function links(block) {
  return elements(block, 'a').map((a) => ({
    cls: attr(a, 'class'), href: attr(a, 'href'), rel: attr(a, 'rel'),
    target: attr(a, 'target'), text: a.childNodes.map((t) => t.value || '').join(''),
  }));
}

const elementChildren = (n) => (n.childNodes || []).filter((c) => c.tagName);
function byId(root, id) { return elements(root, 'div').find((d) => attr(d, 'id') === id); }
function siblingElement(node, step) {
  const sibs = elementChildren(node.parentNode);
  return sibs[sibs.indexOf(node) + step];
}
function prevNonText(node) {
  const sibs = node.parentNode.childNodes;
  for (let i = sibs.indexOf(node) - 1; i >= 0; i--) {
    if (sibs[i].nodeName !== '#text' || sibs[i].value.trim()) return sibs[i];
  }
  return null;
}

describe('streaming with a share block still to place', () => {
  it('what a slow backend has sent reaches the reader before it goes on', async () => {
    const res = await srv.get('/slow/slow.cgi', { timeout: 15000 });
    assert.equal(res.status, 200, srv.errorLog().slice(-2000));
    let seen = Buffer.alloc(0);
    let firstAt = null;
    for (const c of res.chunks) {
      seen = Buffer.concat([seen, c.data]);
      if (seen.includes('<p>first</p>')) { firstAt = c.at; break; }
    }
    assert.ok(firstAt !== null, `never received the first part:\n${res.body}`);
    assert.ok(firstAt < 1500, `the first part arrived after ${firstAt} ms (the CGI sent it at once)`);
    assert.ok(res.chunks.at(-1).at >= 2500, 'the CGI did not sleep: the test proves nothing');
    assert.equal(blocks(res.body.toString()).length, 1, 'the share block is still placed');
  });
});

describe('placement (SMOShareAt)', () => {
  it('body-end: one block, the last element of <body>', async () => {
    const { body } = await page('/at/end/full.html');
    const b = blocks(body);
    assert.equal(b.length, 1);
    assert.equal(b[0].parentNode.tagName, 'body');
    assert.equal(elementChildren(b[0].parentNode).at(-1), b[0]);
    assert.deepEqual(links(b[0]).map((l) => l.cls),
      ['smo-share-link smo-share-x', 'smo-share-link smo-share-facebook']);
    assert.equal(blocks((await page('/at/end/plain.html')).body).length, 1);
  });

  it('body-start: the first element of <body>, on either page', async () => {
    for (const f of ['full', 'plain']) {
      const b = blocks((await page(`/at/start/${f}.html`)).body);
      assert.equal(b.length, 1, f);
      assert.equal(b[0].parentNode.tagName, 'body');
      assert.equal(elementChildren(b[0].parentNode)[0], b[0], f);
    }
  });

  it('marker: a block at each <!-- smo:share -->, the comment kept; none without a marker', async () => {
    const { body } = await page('/at/marker/full.html');
    assert.equal((body.toString().match(/<!-- smo:share -->/g) || []).length, 1);
    assert.match(body.toString(), /<!-- {3}SMO:Share {2}-->/);
    const b = blocks(body);
    assert.equal(b.length, 2);
    for (const nav of b) {
      const prev = prevNonText(nav);
      assert.equal(prev.nodeName, '#comment');
      assert.match(prev.data, /smo:share/i);
    }
    assert.equal(b[0].parentNode.tagName, 'body');
    assert.equal(b[1].parentNode.tagName, 'main');
    const plain = await page('/at/marker/plain.html');
    assert.equal(blocks(plain.body).length, 0);
    assert.match(srv.errorLog(), /no <!-- smo:share --> marker/);
  });

  it('marker: at most 10 blocks per page, the markers left over logged once', async () => {
    const res = await page('/at/marker/many.html');
    const text = res.body.toString();
    assert.equal((text.match(/<!-- smo:share -->/g) || []).length, 20000);
    assert.equal(blocks(res.body).length, 10);
    assert.ok(res.body.length < FILES['at/marker/many.html'].length + 10 * 1000, `${res.body.length} bytes`);
    // The first ten markers have their block right after them.
    assert.match(text, /<body>\n(<!-- smo:share -->\n<nav class="smo-share"[^]*?<\/nav>\n\n){10}<!-- smo:share -->\n<!-- smo:share -->\n/);
    const log = srv.errorLog().split('\n').filter((l) => /markers left without/.test(l));
    assert.equal(log.length, 1, srv.errorLog().slice(-2000));
    assert.match(log[0], /19990 more <!-- smo:share --> markers left without a share block \(at most 10 per page\)/);
  });

  for (const [where, at] of Object.entries(SELECTOR_PLACES)) {
    it(`${at}: placed ${where} the first match; no match, no block`, async () => {
      const full = (await page(`/at/${where}/full.html`)).body;
      const { doc } = parseHtml(full);
      const b = blocks(full);
      assert.equal(b.length, 1);
      const tools = byId(doc, 'tools');
      const nav = elements(doc, 'nav').find((n) => attr(n, 'class') === 'smo-share');
      const expect = {
        before: () => assert.equal(siblingElement(nav, 1), tools),
        after: () => assert.equal(siblingElement(nav, -1), tools),
        prepend: () => assert.equal(elementChildren(tools)[0], nav),
        append: () => assert.equal(elementChildren(tools).at(-1), nav),
      }[where];
      expect();
      const plain = await page(`/at/${where}/plain.html`);
      assert.equal(blocks(plain.body).length, 0);
      assert.doesNotMatch(plain.body.toString(), /smo-share/);
      assert.match(srv.errorLog(), /no element matches SMOShareAt/);
    });
  }
});

describe('SMOShare and SMONetwork', () => {
  it('SMOShare none shows no block and no share style sheet', async () => {
    const { body } = await page('/none/full.html');
    assert.equal(blocks(body).length, 0);
    assert.doesNotMatch(body.toString(), /smo-share|smo\.css/);
  });

  it('merges per <Location>: inherited list, a list that replaces it, a position alone', async () => {
    const outer = blocks((await page('/merge/full.html')).body);
    assert.deepEqual(links(outer[0]).map((l) => l.cls.split(' ')[1]), ['smo-share-facebook', 'smo-share-email']);
    const inner = blocks((await page('/merge/inner/full.html')).body);
    assert.deepEqual(links(inner[0]).map((l) => l.cls.split(' ')[1]), ['smo-share-reddit']);
    const at = blocks((await page('/merge/at/full.html')).body);
    assert.deepEqual(links(at[0]).map((l) => l.cls.split(' ')[1]), ['smo-share-facebook', 'smo-share-email']);
    assert.equal(elementChildren(at[0].parentNode)[0], at[0]);
  });

  it('x twitter shows one link, class smo-share-x', async () => {
    const b = blocks((await page('/alias/full.html')).body);
    const l = links(b[0]);
    assert.equal(l.length, 1);
    assert.equal(l[0].cls, 'smo-share-link smo-share-x');
  });

  it('each built-in network links to its share intent with the page URL', async () => {
    const pageUrl = `${srv.origin}/all/full.html`;
    const l = links(blocks((await page('/all/full.html')).body)[0]);
    assert.deepEqual(l.map((x) => x.cls), BUILTINS.map((n) => `smo-share-link smo-share-${n}`));
    for (const [i, name] of BUILTINS.entries()) {
      const { href, rel, target, text } = l[i];
      assert.equal(rel, 'nofollow noopener noreferrer', name);
      assert.ok(text.trim().length > 0, `${name}: visible label`);
      if (name === 'email') {
        assert.match(href, /^mailto:/);
        assert.equal(target, undefined);
        assert.ok(decodeURIComponent(href).includes(pageUrl), href);
        continue;
      }
      assert.equal(target, '_blank', name);
      const u = new URL(href);
      assert.equal(u.protocol, 'https:', href);
      if (name === 'mastodon') {
        assert.ok([...u.searchParams.values()].some((v) => v.includes(pageUrl)), href);
        continue;
      }
      assert.ok(HOSTS[name].some((h) => u.hostname === h || u.hostname.endsWith(`.${h}`)), `${name}: ${href}`);
      assert.ok([...u.searchParams.values()].some((v) => v.includes(pageUrl)), `${name}: ${href}`);
    }
  });

  it('mastodon goes to SMOMastodonInstance /share when set', async () => {
    const l = links(blocks((await page('/all/instance/full.html')).body)[0]);
    const m = new URL(l.find((x) => x.cls.endsWith('smo-share-mastodon')).href);
    assert.equal(m.hostname, 'mastodon.social');
    assert.equal(m.pathname, '/share');
    assert.ok(m.searchParams.get('text').includes(`${srv.origin}/all/instance/full.html`));
  });

  it('custom networks (SMONetwork) from an outer section; a redefined built-in wins', async () => {
    const l = links(blocks((await page('/custom/full.html')).body)[0]);
    assert.deepEqual(l.map((x) => x.cls), ['smo-share-link smo-share-digg', 'smo-share-link smo-share-x']);
    assert.equal(l[0].text, 'digg this');
    const d = new URL(l[0].href);
    assert.equal(d.hostname, 'digg.com');
    assert.equal(d.searchParams.get('url'), `${srv.origin}/custom/full.html`);
    assert.equal(d.searchParams.get('title'), 'Café');
    const r = links(blocks((await page('/custom/redefined/full.html')).body)[0]);
    assert.equal(new URL(r[1].href).hostname, 'share.example.org');
    assert.equal(r[1].text, 'Ex');
  });
});

describe('values in the links', () => {
  it('a non-ASCII title is percent-encoded UTF-8 on UTF-8 and ISO-8859-1 pages', async () => {
    for (const f of ['utf8.html', 'latin1.html']) {
      const { body } = await page(`/merge/${f}`);
      const fb = links(blocks(body)[0]).find((x) => x.cls.endsWith('smo-share-email'));
      assert.match(fb.href, /subject=Caf%C3%A9(&|$)/, `${f}: ${fb.href}`);
    }
    // The ISO-8859-1 page's own bytes are untouched.
    const raw = (await page('/merge/latin1.html')).body;
    assert.ok(raw.includes(Buffer.from('<title>Caf\xe9</title>', 'latin1')));
  });

  it('SMOTrackClicks On: links go to SMOClickURL?n=NAME&u=PAGE_URL', async () => {
    const l = links(blocks((await page('/track/full.html?utm_source=news&id=7')).body)[0]);
    assert.equal(l.length, 2);
    for (const [i, name] of ['x', 'email'].entries()) {
      const u = new URL(l[i].href, srv.origin);
      assert.equal(u.origin, srv.origin);
      assert.equal(u.pathname, '/go/click');
      assert.equal(u.searchParams.get('n'), name);
      assert.equal(u.searchParams.get('u'), `${srv.origin}/track/full.html?id=7`);
    }
  });

  it('SMOShareStyle links the style sheet in the head, only where a block is placed', async () => {
    const { body } = await page('/style/full.html');
    const { head } = parseHtml(body);
    const css = elements(head, 'link').filter((x) => attr(x, 'rel') === 'stylesheet');
    assert.deepEqual(css.map((x) => attr(x, 'href')), ['/css/smo.css']);
    const other = parseHtml((await page('/at/end/full.html')).body);
    assert.equal(elements(other.head, 'link').filter((x) => attr(x, 'rel') === 'stylesheet').length, 0);
  });

  it('an XHTML page stays well-formed XML', {
    skip: missing('xmllint') && missing('python3') && 'no strict XML parser: install libxml2-utils (xmllint) or python3',
  }, async () => {
    for (const p of ['/merge/page.xhtml', '/at/before/page.xhtml']) {
      const res = await page(p);
      assert.match(res.headers['content-type'], /application\/xhtml\+xml/);
      assert.match(res.body.toString(), /class="smo-share"/);
      const check = xmlWellFormed(res.body);
      assert.equal(check.ok, true, `${p}: ${check.out}\n${res.body}`);
    }
  });
});

// A strict XML parser: libxml2's xmllint, else Python's expat.
function xmlWellFormed(buf) {
  const file = path.join(os.tmpdir(), `smo-xhtml-${process.pid}-${Date.now()}.xml`);
  fs.writeFileSync(file, buf);
  try {
    let r = spawnSync('xmllint', ['--noout', '--nonet', file], { encoding: 'utf8' });
    if (r.error) {
      r = spawnSync('python3', ['-c', 'import sys, xml.parsers.expat as e; e.ParserCreate().Parse(open(sys.argv[1], "rb").read(), True)', file], { encoding: 'utf8' });
    }
    if (r.error) throw new Error('no strict XML parser: install libxml2-utils (xmllint) or python3');
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describe('SMOShareTemplate', () => {
  let tsrv;
  before(async () => {
    // The template is read at start-up relative to ServerRoot; the server
    // directory exists only once started, so the file is given by an
    // absolute path in a directory made first.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-tpl-'));
    fs.chmodSync(dir, 0o755);
    fs.writeFileSync(path.join(dir, 'block.html'), BLOCK_TEMPLATE);
    tsrv = await start({
      conf: `SMOEngine On\nSMOShare x email\nSMOShareTemplate "${dir}/block.html"\n`,
      files: { 'p.html': FULL },
    });
    tsrv.tplDir = dir;
  });
  after(async () => {
    if (tsrv) { await tsrv.stop(); fs.rmSync(tsrv.tplDir, { recursive: true, force: true }); }
  });

  it('the block is the file, with {links} and {title} filled in', async () => {
    const res = await tsrv.get('/p.html');
    const text = res.body.toString();
    assert.match(text, /<aside class="my-share">\n<h2>Share &#8220;Caf(é|&#xE9;|&#233;)&#8221;<\/h2>/);
    assert.match(text, /<style>\.my-share \{ display: flex \}<\/style>/);
    const { doc } = parseHtml(res.body);
    const aside = elements(doc, 'aside')[0];
    assert.deepEqual(elements(aside, 'a').map((a) => attr(a, 'class')),
      ['smo-share-link smo-share-x', 'smo-share-link smo-share-email']);
  });
});

// ---- configtest -------------------------------------------------------

function configtest(lines) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-ct-'));
  try {
    const builtIn = execFileSync(HTTPD, ['-l'], { encoding: 'utf8' });
    const load = ['mpm_event', 'authz_core'].filter((m) => !builtIn.includes(`mod_${m}.c`))
      .map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`);
    const inc = path.join(dir, 'site.conf');
    // A line may be a Buffer: bytes that are not UTF-8.
    fs.writeFileSync(inc, Buffer.concat(lines.map((l) => Buffer.concat([Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')]))));
    const main = path.join(dir, 'httpd.conf');
    fs.writeFileSync(main, [
      `ServerRoot "${dir}"`, ...load, `LoadModule smo_module "${MOD_SMO}"`,
      'Listen 127.0.0.1:1', 'ServerName 127.0.0.1', `ErrorLog "${dir}/error.log"`,
      `PidFile "${dir}/pid"`, `Include "${inc}"`, '',
    ].join('\n'));
    fs.writeFileSync(path.join(dir, 'ok-block.html'), BLOCK_TEMPLATE);
    fs.writeFileSync(path.join(dir, 'no-links.html'), '<div>{title}</div>\n');
    fs.writeFileSync(path.join(dir, 'latin1-block.html'), Buffer.from('<nav>Partag\xe9 {links}</nav>\n', 'latin1'));
    const r = spawnSync(HTTPD, ['-t', '-f', main], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C' } });
    return { status: r.status, out: `${r.stdout}${r.stderr}`, inc };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('configtest', () => {
  it('accepts every share directive, an SMOShare name defined later or in an outer section', () => {
    const r = configtest([
      '<Location "/a/">', '    SMOShare digg x twitter mastodon', '</Location>',
      'SMONetwork digg "https://digg.com/submit?url={url}&title={title}" "digg this"',
      'SMONetwork intranet mailto:news@example.com?subject={title}&body={text}',
      'SMOShare intranet', 'SMOShareAt after nav.main', 'SMOShareAt append [data-x="a b"]',
      'SMOShareTemplate ok-block.html', 'SMOShareStyle /css/smo.css', 'SMOTrackClicks On',
      'SMOClickURL /go/click', 'SMOMastodonInstance mastodon.social',
    ]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /Syntax OK/);
  });

  it('accepts conf/smo-click.conf and conf/smo.conf as shipped', () => {
    const dir = new URL('../../conf/', import.meta.url).pathname;
    const r = configtest(['Define APACHE_LOG_DIR /tmp', `Include "${dir}smo.conf"`, `Include "${dir}smo-click.conf"`]);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /Syntax OK/);
  });

  const cases = [
    ['an unknown network', ['SMOShare x', 'SMOShare foo-net'], 2, /foo-net/],
    ['none with names', ['SMOShare none x'], 1, /none/],
    ['a javascript: template', ['SMONetwork evil "javascript:alert({url})"'], 1, /SMONetwork/],
    ['an unknown placeholder', ['SMONetwork n "https://n.example/?u={link}"'], 1, /SMONetwork/],
    ['a bad network name', ['SMONetwork "a b" "https://n.example/?u={url}"'], 1, /SMONetwork/],
    ['an unknown position', ['SMOShareAt footer-end'], 1, /SMOShareAt/],
    ['a bad selector', ['SMOShareAt after div>p'], 1, /SMOShareAt/],
    ['a missing template file', ['# first', 'SMOShareTemplate no-such-block.html'], 2, /no-such-block\.html/],
    ['a template without {links}', ['SMOShareTemplate no-links.html'], 1, /no-links\.html/],
    ['a Mastodon instance that is a URL', ['SMOMastodonInstance https://mastodon.social/'], 1, /SMOMastodonInstance/],
    ['SMOClickURL not a path', ['SMOClickURL smo/click'], 1, /SMOClickURL/],
    ['SMOTrackClicks not a flag', ['SMOTrackClicks yes'], 1, /SMOTrackClicks/],
    ['SMOClickAllowHost with a URL', ['SMOClickAllowHost ok.example https://partner.example/'], 1, /SMOClickAllowHost/],
    // Once accepted silently: now refused at configtest.
    ['a javascript: style sheet', ['SMOShareStyle javascript:alert(1)'], 1, /SMOShareStyle/],
    ['a JaVaScRiPt: style sheet', ['SMOShareStyle JaVaScRiPt:alert(1)'], 1, /SMOShareStyle/],
    ['a data: style sheet', ['SMOShareStyle "data:text/css,a{}"'], 1, /SMOShareStyle/],
    ['a style sheet on a bad port', ['SMOShareStyle https://cdn.example:99999/smo.css'], 1, /SMOShareStyle/],
    ['a Mastodon instance with an empty label', ['SMOMastodonInstance a..b'], 1, /SMOMastodonInstance/],
    ['a Mastodon instance with a 64-byte label', [`SMOMastodonInstance ${'a'.repeat(64)}.example`], 1, /SMOMastodonInstance/],
    ['a template on an invalid port', ['SMONetwork n "https://n.example:99999/?u={url}"'], 1, /SMONetwork/],
    ['a template on port 0', ['SMONetwork n "https://n.example:0/?u={url}"'], 1, /SMONetwork/],
    ['a template with an empty host label', ['SMONetwork n "https://n..example/?u={url}"'], 1, /SMONetwork/],
    ['a label that is not UTF-8', [Buffer.from('SMONetwork n "https://n.example/?u={url}" "Partag\xe9"', 'latin1')], 1, /not valid UTF-8/],
    ['a base URL with a bad escape', ['SMOBaseURL https://www.example.com/%zz'], 1, /SMOBaseURL/],
    ['a base URL with an over-long host', [`SMOBaseURL https://${Array(5).fill('a'.repeat(60)).join('.')}.example`], 1, /SMOBaseURL/],
    ['SMOEngine On Off', ['SMOEngine On Off'], 1, /SMOEngine/],
    ['SMOCanonical with two words', ['SMOCanonical Off On'], 1, /SMOCanonical/],
    ['a share template that is not UTF-8', ['SMOShareTemplate latin1-block.html'], 1, /not valid UTF-8/],
    ['an SMOMeta value that is not UTF-8', [Buffer.from('SMOMeta og:site_name "Caf\xe9"', 'latin1')], 1, /not valid UTF-8/],
  ];
  it('accepts SMOClickAllowHost * with a warning naming file and line', () => {
    const r = configtest(['# first', 'SMOClickAllowHost *']);
    assert.equal(r.status, 0, r.out);
    assert.ok(r.out.includes(`${r.inc}:2: SMOClickAllowHost * matches every host`), r.out);
  });

  for (const [what, lines, line, msg] of cases) {
    it(`refuses ${what}, naming file and line`, () => {
      const r = configtest(lines);
      assert.notEqual(r.status, 0, r.out);
      assert.ok(r.out.includes(`line ${line} of ${r.inc}`), r.out);
      assert.match(r.out, msg);
    });
  }
});

// Text and URLs taken from real pages, as browsers read them.
describe('page text and page URLs in the links', () => {
  let psrv;
  // NUL bytes in the title and the description (SPEC 6: read as U+FFFD).
  const NUL_PAGE = Buffer.from('<!DOCTYPE html><html><head><meta charset="utf-8">' +
    '<title>a\0b</title><meta name="description" content="c\0d">' +
    '</head><body><p>x</p></body></html>\n', 'latin1');
  // A page's own canonical written raw, as CMSs do (SPEC 6, "Share URLs
  // are URLs"): what the module writes from it is a valid URL.
  const rawCanonical = (href) => `<!DOCTYPE html><html><head><title>News</title>
<link rel="canonical" href="${href}"></head><body><p>x</p></body></html>\n`;
  const RAW = {
    'space.html': ['http://www.example.com/News Feed/a.aspx', 'http://www.example.com/News%20Feed/a.aspx'],
    'odd.html': ['http://www.example.com/News Feed/100%/a|b^c.aspx?q=[1]',
      'http://www.example.com/News%20Feed/100%25/a%7Cb%5Ec.aspx?q=%5B1%5D'],
    // In a windows-1252 page: the path in UTF-8, the query in the page's
    // charset, as browsers encode them.
    'latin1.html': ['http://www.example.com/caf\u00e9 1/?q=cr\u00e8me',
      'http://www.example.com/caf%C3%A9%201/?q=cr%E8me', 'windows-1252'],
  };
  before(async () => {
    const files = { 'text/nul.html': NUL_PAGE };
    for (const [f, [href, , charset]] of Object.entries(RAW)) {
      const html = charset
        ? Buffer.from(rawCanonical(href).replace('<title>', `<meta charset="${charset}"><title>`), 'latin1')
        : rawCanonical(href);
      files[`raw/${f}`] = html;
      files[`raw/track/${f}`] = html;
    }
    psrv = await start({
      conf: `
SMOEngine On
SMOShare x
<Location "/text/">
    SMOShare x email
</Location>
<Location "/raw/track/">
    SMOTrackClicks On
</Location>
<Location "/smo/click">
    SetHandler smo-click
    SMOClickAllowHost www.example.com
</Location>
`,
      files,
    });
  });
  after(async () => { if (psrv) await psrv.stop(); });

  async function get(p) {
    const res = await psrv.get(p);
    assert.equal(res.status, 200, `${p}: ${res.status}\n${psrv.errorLog().slice(-2000)}`);
    return res;
  }

  it('a NUL in the title or the description is U+FFFD in the meta and in the share URLs', async () => {
    const { body } = await get('/text/nul.html');
    const raw = body.toString('latin1');
    assert.ok(raw.includes('<meta property="og:title" content="a&#xFFFD;b">'), raw);
    assert.ok(raw.includes('<meta property="og:description" content="c&#xFFFD;d">'), raw);
    // The page's own bytes are untouched.
    assert.ok(body.includes(Buffer.from('<title>a\0b</title>', 'latin1')));
    const { head } = parseHtml(body);
    const og = Object.fromEntries(elements(head, 'meta').filter((m) => attr(m, 'property'))
      .map((m) => [attr(m, 'property'), attr(m, 'content')]));
    assert.equal(og['og:title'], 'a\uFFFDb');
    assert.equal(og['og:description'], 'c\uFFFDd');
    const l = links(blocks(body)[0]);
    const x = l.find((a) => a.cls.endsWith('smo-share-x'));
    const email = l.find((a) => a.cls.endsWith('smo-share-email'));
    assert.match(x.href, /[?&]text=a%EF%BF%BDb&/, x.href);
    assert.equal(new URL(x.href).searchParams.get('text'), 'a\uFFFDb');
    assert.match(email.href, /subject=a%EF%BF%BDb&/, email.href);
    // No raw control byte anywhere mod_smo wrote.
    const ours = raw.replace('<title>a\0b</title>', '').replace('content="c\0d"', '');
    assert.equal(/[\0-\x08\x0B\x0E-\x1F]/.test(ours), false);
  });

  it('a raw canonical gives share links whose url= is that URL percent-encoded as a valid URL', async () => {
    for (const [f, [href, want]] of Object.entries(RAW)) {
      const { body } = await get(`/raw/${f}`);
      // The page's own tag is left as it is; og:url is the valid form.
      assert.ok(body.includes(Buffer.from(`<link rel="canonical" href="${href}">`, 'latin1')), f);
      const { head } = parseHtml(body);
      const ogUrl = elements(head, 'meta').find((m) => attr(m, 'property') === 'og:url');
      assert.equal(attr(ogUrl, 'content'), want, f);
      const x = links(blocks(body)[0]).find((a) => a.cls.endsWith('smo-share-x'));
      const share = new URL(x.href);
      assert.equal(share.host, 'x.com');
      assert.equal(share.searchParams.get('url'), want, `${f}: ${x.href}`);
      assert.equal(share.searchParams.get('text'), 'News');
      assert.equal(new URL(want).href, want, `${f}: a URL parser reads it back unchanged`);
    }
  });

  it('with SMOTrackClicks On the link to a raw canonical goes through the click handler', async () => {
    for (const [f, [, want]] of Object.entries(RAW)) {
      const { body } = await get(`/raw/track/${f}`);
      const x = links(blocks(body)[0]).find((a) => a.cls.endsWith('smo-share-x'));
      const click = new URL(x.href, psrv.origin);
      assert.equal(click.pathname, '/smo/click');
      assert.equal(click.searchParams.get('u'), want);
      const res = await psrv.get(click.pathname + click.search);
      assert.equal(res.status, 302, `${f}: ${res.body}\n${psrv.errorLog().slice(-1500)}`);
      const loc = new URL(res.headers.location);
      assert.equal(loc.host, 'x.com');
      assert.equal(loc.searchParams.get('url'), want);
    }
  });
});

describe('the base URL without SMOBaseURL is the virtual host\'s, not the Host header\'s', () => {
  let hsrv;
  before(async () => {
    hsrv = await start({
      conf: (s) => `
SMOEngine On
SMOShare x facebook
<VirtualHost 127.0.0.1:${s.port}>
    ServerName 127.0.0.1
    DocumentRoot "${s.dir}/htdocs"
</VirtualHost>
<VirtualHost 127.0.0.1:${s.port}>
    ServerName shop.example
    ServerAlias www.shop.example
    DocumentRoot "${s.dir}/htdocs"
</VirtualHost>
<VirtualHost 127.0.0.1:${s.port}>
    ServerName https://secure.example:8443
    DocumentRoot "${s.dir}/htdocs"
</VirtualHost>
`,
      files: { 'p.html': PLAIN },
    });
  });
  after(async () => { if (hsrv) await hsrv.stop(); });

  // Every URL the page carries for itself: canonical, og:url, the url=
  // of each share link.
  function pageUrls(body) {
    const { doc } = parseHtml(body);
    const urls = elements(doc, 'link').filter((l) => attr(l, 'rel') === 'canonical')
      .map((l) => attr(l, 'href'));
    urls.push(...elements(doc, 'meta').filter((m) => attr(m, 'property') === 'og:url')
      .map((m) => attr(m, 'content')));
    for (const b of blocks(body)) {
      for (const l of links(b)) {
        const q = new URL(l.href).searchParams;
        urls.push(q.get('url') || q.get('u'));
      }
    }
    return urls;
  }

  for (const [host, want] of [
    ['evil.example', (p) => `http://127.0.0.1:${p}/p.html`],
    ['evil.example:9999', (p) => `http://127.0.0.1:${p}/p.html`],
    ['SHOP.example:9999', (p) => `http://shop.example:${p}/p.html`],
    ['www.shop.example', (p) => `http://shop.example:${p}/p.html`],
    ['secure.example', () => 'https://secure.example:8443/p.html'],
  ]) {
    it(`Host: ${host}`, async () => {
      const res = await hsrv.get('/p.html', { headers: { Host: host } });
      assert.equal(res.status, 200, hsrv.errorLog().slice(-2000));
      const urls = pageUrls(res.body.toString());
      assert.equal(urls.length, 4, `canonical, og:url and two share links:\n${res.body}`);
      for (const u of urls) assert.equal(u, want(hsrv.port), res.body.toString());
    });
  }
});
