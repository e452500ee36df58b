// Covers: Open Graph, Twitter/X Card and canonical metadata driven by
// SMOMeta, SMOMetaPolicy and SMOAutoMeta (SPEC sections 1, 3 and 6), read
// back by a real Open Graph client (open-graph-scraper, fed the served
// HTML through its `html` option: no network) and by a WHATWG parser.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ogs from 'open-graph-scraper';

import { start } from './lib/apache.mjs';
import { parseHtml, canonicalLinks, elements, attr } from './lib/html.mjs';

const KIB32 = 32 * 1024;

// A page that declares none of the metadata.
const BARE = `<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Rocket   boots
  for everyone</title>
<meta name="description" content="Boots that fly.">
</head>
<body><h1>Rocket boots</h1></body>
</html>
`;

// A page with some of its own (kept under the default policy).
const OWN = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Page title</title>
<meta property="og:title" content="Our own title">
<meta property="og:image" content="/img/own.png">
<link rel="canonical" href="/the-one.html">
<meta name="description" content="Our own text.">
</head>
<body><p>Mine.</p></body>
</html>
`;

// An agency template whose placeholder tags the override policy replaces.
const CAMPAIGN = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Placeholder</title>
<meta property="og:title" content="PLACEHOLDER TITLE">
<meta property="og:description" content="PLACEHOLDER TEXT">
<meta property="og:image" content="https://agency.example/placeholder.png">
</head>
<body><p>Summer launch.</p></body>
</html>
`;

const ENTITIES = `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Tom &amp; Jerry&nbsp;&mdash; &lt;live&gt; &quot;now&quot; &#x2603;</title>
</head><body></body></html>
`;

// The title's text carries markup-looking text, as user content can.
const INJECT_TITLE = `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; x" onload="alert(2) javascript:alert(3) '><img src=x onerror=alert(4)></title>
</head><body><p>text</p></body></html>
`;

const UTF8 = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8">
<title>Crème brûlée — 東京 ☃</title>
</head><body></body></html>
`;

const LATIN1 = Buffer.from(`<!DOCTYPE html>
<html lang="de"><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">
<title>Grüße aus Köln – naïve café</title>
</head><body></body></html>
`.replace('–', '-'), 'latin1');

// A Windows-authored page: a UTF-8 byte order mark before the doctype.
const BOM_PAGE = Buffer.from('\uFEFF<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>BOM page</title></head><body></body></html>', 'utf8');

// A news page whose head carries body content (an ad slot) before its own
// Open Graph tags: the tree builder ends the head at the <div>, crawlers
// read on to </head>.
const LATE_OWN = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Late news</title>
<div class="ad-slot"></div>
<meta property="og:title" content="Own late title">
<meta property="og:url" content="https://news.example/story">
<meta property="og:image" content="https://news.example/story.png">
</head>
<body><p>Story.</p></body>
</html>
`;

// A head much larger than the SMOHeadLimit given to its section.
const BIG_HEAD = `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Big head</title>
${Array.from({ length: 400 }, (_, i) => `<meta name="x-filler-${i}" content="${'f'.repeat(40)}">`).join('\n')}
<meta property="og:description" content="Late in the head.">
</head>
<body><p>After the head.</p></body></html>
`;

// A large head within the default limit: metadata still comes early.
const LONG_HEAD = `<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Long head</title>
<style>${'p { color: red }\n'.repeat(4000)}</style>
</head>
<body><p>body</p></body></html>
`;

// Sends half a head, pauses (mod_cgid passes a FLUSH), then the rest.
const FLUSH_CGI = `#!/bin/bash
printf 'Content-Type: text/html; charset=utf-8\\r\\n\\r\\n'
printf '<!DOCTYPE html>\\n<html>\\n<head>\\n<meta charset="utf-8">\\n<title>Flushed</title>\\n'
printf '<meta property="og:title" content="Before the flush">\\n'
sleep 1
printf '<meta name="description" content="After the flush.">\\n</head>\\n<body><p>body</p></body>\\n</html>\\n'
`;

// A slow backend that dies inside an attribute value of the head.  Served
// through mod_proxy (to a second vhost of the same server), whose pause
// reaches mod_smo as a FLUSH: the head is not held any more.
const CUT_HEAD = '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>Cut short</title>\n';
const CUT_TAIL = '<meta name="description" content="The backend died here';
const CUT_CGI = `#!/bin/bash
printf 'Content-Type: text/html; charset=utf-8\\r\\n\\r\\n'
printf '%s' '${CUT_HEAD}'
sleep 1
printf '%s' '${CUT_TAIL}'
`;

const files = {
  'bare.html': BARE,
  'own.html': OWN,
  'campaign/page.html': CAMPAIGN,
  'entities.html': ENTITIES,
  'inject.html': INJECT_TITLE,
  'blog/post.html': BARE,
  'blog/q"<b>.html': BARE,
  'blog/.htaccess': 'SMOMeta og:site_name "Blog site"\nSMOMeta article:section "%{env:SECTION}"\n',
  'fi/page.html': BARE,
  'fi/.htaccess': 'SMOMetaPolicy override\nSMOMeta og:title "From htaccess"\nSMOAutoMeta Off\n',
  'noauto/page.html': BARE,
  'nocanon/page.html': BARE,
  'off/page.html': BARE,
  'utf8/page.html': UTF8,
  'latin1/page.html': LATIN1,
  'bom.html': BOM_PAGE,
  'late.html': LATE_OWN,
  'big/page.html': BIG_HEAD,
  'long.html': LONG_HEAD,
  'broken/page.html': BARE,
  'flush.cgi': { content: FLUSH_CGI, mode: 0o755 },
  'cut.cgi': { content: CUT_CGI, mode: 0o755 },
};

// Server config, then a catch-all virtual host, then sections inside it.
const conf = (s) => `
SMOEngine On
AddHandler cgi-script .cgi
Listen 127.0.0.1:${s.ports[0]}
<VirtualHost 127.0.0.1:${s.ports[0]}>
    ServerName backend.test
    SMOEngine Off
</VirtualHost>
SMOMeta og:site_name "Server site"
SMOMeta twitter:site "@server"
SMOMeta og:image "/img/share.png"
<VirtualHost *:*>
    ServerName 127.0.0.1
    SMOMeta twitter:site "@vhost"
    <Location "/blog/">
        SetEnv SECTION "Launches"
        SetEnv AUTHOR "Ada Lovelace"
        SMOMeta og:type article
        SMOMeta article:author "%{env:AUTHOR}"
        SMOMeta og:image "https://cdn.example.com/og%{REQUEST_URI}.png"
    </Location>
    <Location "/campaign/">
        SMOMetaPolicy override
        SMOMeta og:title "Summer launch"
        SMOMeta og:description "Faster rockets."
        SMOMeta og:image "https://cdn.example.com/campaign.png"
    </Location>
    <Location "/noauto/">
        SMOAutoMeta Off
    </Location>
    <Location "/nocanon/">
        SMOCanonical Off
    </Location>
    <Location "/off/">
        SMOMeta og:image ""
        SMOMeta og:site_name
    </Location>
    <Location "/utf8/">
        SMOMeta og:site_name "Café Zoë ☃"
    </Location>
    <Location "/latin1/">
        SMOMeta og:site_name "Café Zoë"
    </Location>
    <Location "/big/">
        SMOHeadLimit 4K
    </Location>
    <Location "/proxied/">
        ProxyPass "http://127.0.0.1:${s.ports[0]}/"
    </Location>
    <Location "/broken/">
        SMOMeta og:image:alt "%{file:/nonexistent/smo-test}"
    </Location>
    <Directory "${os.tmpdir()}/smo-it-*/htdocs/fi">
        AllowOverride FileInfo
    </Directory>
</VirtualHost>
`;

/** Every <meta> of the document with this property or name. */
function metas(doc, key) {
  return elements(doc, 'meta').filter((m) => (attr(m, 'property') ?? attr(m, 'name')) === key);
}

/** The one value of `key` in the head; fails unless exactly one. */
function one(res, key) {
  const { doc, head } = parseHtml(res.text);
  const all = metas(doc, key);
  assert.equal(all.length, 1, `${key}: expected exactly one, got ${all.length}:\n${res.text}`);
  assert.equal(metas(head, key).length, 1, `${key} is not in the head:\n${res.text}`);
  return attr(all[0], 'content');
}

function none(res, key) {
  assert.equal(metas(parseHtml(res.text).doc, key).length, 0, `${key} should be absent:\n${res.text}`);
}

/** Occurrences of a property in the raw bytes, however it is written. */
function rawCount(text, key) {
  const re = new RegExp(`(?:property|name)\\s*=\\s*["']?${key.replace(/[.:]/g, '\\$&')}["'\\s>]`, 'gi');
  return (text.match(re) || []).length;
}

function theCanonical(res) {
  const { doc, head } = parseHtml(res.text);
  assert.equal(canonicalLinks(doc).length, 1, `expected one canonical link:\n${res.text}`);
  assert.equal(canonicalLinks(head).length, 1, `the canonical link is not in the head:\n${res.text}`);
  assert.equal((res.text.match(/rel="?canonical/gi) || []).length, 1, 'canonical twice in the raw HTML');
  return attr(canonicalLinks(doc)[0], 'href');
}

/** Offset of the first metadata tag the module wrote. */
function firstInserted(text, original) {
  const tags = [...text.matchAll(/<(?:meta|link)\b[^>]*>/gi)].filter((m) => !original.includes(m[0]));
  return tags.length ? tags[0].index : -1;
}

async function scrape(res) {
  const { error, result } = await ogs({ html: res.text });
  assert.equal(error, false, `open-graph-scraper failed: ${JSON.stringify(result)}`);
  return result;
}

describe('SMOMeta, SMOMetaPolicy, SMOAutoMeta on a live server', () => {
  let srv;
  const get = async (p, charset = 'utf8') => {
    const res = await srv.get(p);
    res.text = res.body.toString(charset);
    return res;
  };
  before(async () => { srv = await start({ conf, files, modules: ['proxy', 'proxy_http'], ports: 1 }); });
  after(async () => { if (srv) await srv.stop(); });

  it('a page with none: open-graph-scraper reads every property, each once', async () => {
    const res = await get('/bare.html?id=7&utm_source=news&utm_medium=mail');
    assert.equal(res.status, 200);
    const og = await scrape(res);
    const url = `${srv.origin}/bare.html?id=7`;
    assert.equal(og.ogTitle, 'Rocket boots for everyone');
    assert.equal(og.ogDescription, 'Boots that fly.');
    assert.equal(og.ogUrl, url);
    assert.equal(og.ogSiteName, 'Server site');
    assert.equal(og.ogType, 'website');
    assert.equal(og.ogLocale, 'en_GB');
    assert.deepEqual(og.ogImage.map((i) => i.url), [`${srv.origin}/img/share.png`]);
    assert.equal(og.twitterCard, 'summary_large_image');
    assert.equal(og.twitterSite, '@vhost', 'the vhost value replaces the server one');
    assert.equal(theCanonical(res), url);
    for (const k of ['og:title', 'og:description', 'og:url', 'og:image', 'og:site_name',
      'og:type', 'og:locale', 'twitter:card', 'twitter:site']) {
      one(res, k);
      assert.equal(rawCount(res.text, k), 1, `${k} in the raw HTML`);
    }
    const at = firstInserted(res.text, BARE);
    assert.ok(at > BARE.indexOf('<meta charset') && at < KIB32, `metadata at ${at}`);
    assert.ok(at < res.text.indexOf('<title>'), 'inserted after the charset declaration, early');
  });

  it('a page with some (keep): its own values win, nothing twice', async () => {
    const res = await get('/own.html?utm_campaign=x');
    const og = await scrape(res);
    assert.equal(og.ogTitle, 'Our own title');
    assert.deepEqual(og.ogImage.map((i) => i.url), ['/img/own.png'], 'the page\'s own tag is left as written');
    assert.equal(og.ogDescription, 'Our own text.');
    assert.equal(og.ogUrl, `${srv.origin}/the-one.html`, 'og:url follows the page\'s canonical, made absolute');
    assert.equal(og.ogSiteName, 'Server site');
    assert.equal(og.twitterCard, 'summary_large_image');
    assert.equal(theCanonical(res), '/the-one.html', 'the page\'s canonical is never changed');
    for (const k of ['og:title', 'og:image', 'og:url', 'og:site_name', 'twitter:card', 'og:description']) {
      assert.equal(rawCount(res.text, k), 1, `${k} in the raw HTML:\n${res.text}`);
    }
    assert.ok(firstInserted(res.text, OWN) < KIB32);
  });

  it('a page under override: configured values replace the page\'s, each once', async () => {
    const res = await get('/campaign/page.html?fbclid=abc');
    const og = await scrape(res);
    assert.equal(og.ogTitle, 'Summer launch');
    assert.equal(og.ogDescription, 'Faster rockets.');
    assert.deepEqual(og.ogImage.map((i) => i.url), ['https://cdn.example.com/campaign.png']);
    assert.equal(og.ogUrl, `${srv.origin}/campaign/page.html`);
    assert.equal(og.ogSiteName, 'Server site');
    assert.equal(og.twitterCard, 'summary_large_image');
    assert.equal(theCanonical(res), `${srv.origin}/campaign/page.html`);
    assert.ok(!res.text.includes('PLACEHOLDER') && !res.text.includes('agency.example'), res.text);
    for (const k of ['og:title', 'og:description', 'og:image', 'og:url', 'og:site_name', 'twitter:card']) {
      assert.equal(rawCount(res.text, k), 1, `${k} in the raw HTML`);
    }
    // Only the replaced tags left: the rest of the page is as it was.
    assert.ok(res.text.includes('<title>Placeholder</title>') && res.text.includes('<p>Summer launch.</p>'));
    assert.ok(firstInserted(res.text, CAMPAIGN) < KIB32);
  });

  it('merges server, vhost, <Location> and .htaccess by property name', async () => {
    const res = await get('/blog/post.html');
    assert.equal(one(res, 'og:type'), 'article', '<Location> sets og:type');
    assert.equal(one(res, 'article:author'), 'Ada Lovelace', 'an %{env:...} expression');
    assert.equal(one(res, 'article:section'), 'Launches', 'an expression from .htaccess');
    assert.equal(one(res, 'og:site_name'), 'Blog site', '.htaccess replaces the server value');
    assert.equal(one(res, 'twitter:site'), '@vhost', 'inherited from the vhost');
    assert.equal(one(res, 'og:image'), 'https://cdn.example.com/og/blog/post.html.png', 'a %{REQUEST_URI} expression');
    // The page's neighbours outside /blog/ are unaffected.
    const outside = await get('/bare.html');
    none(outside, 'article:author');
    assert.equal(one(outside, 'og:type'), 'website');
  });

  it('.htaccess with AllowOverride FileInfo: SMOMetaPolicy, SMOMeta, SMOAutoMeta', async () => {
    const res = await get('/fi/page.html');
    assert.equal(res.status, 200, srv.errorLog());
    assert.equal(one(res, 'og:title'), 'From htaccess');
    none(res, 'og:description');
    none(res, 'og:type');
    none(res, 'twitter:card');
    assert.equal(one(res, 'og:site_name'), 'Server site');
    assert.equal(theCanonical(res), `${srv.origin}/fi/page.html`);
  });

  it('SMOAutoMeta Off derives nothing; SMOCanonical Off adds no link', async () => {
    const noauto = await get('/noauto/page.html');
    for (const k of ['og:title', 'og:description', 'og:url', 'og:type', 'og:locale', 'twitter:card']) none(noauto, k);
    assert.equal(one(noauto, 'og:site_name'), 'Server site');
    theCanonical(noauto);
    const nocanon = await get('/nocanon/page.html');
    assert.equal(canonicalLinks(parseHtml(nocanon.text).doc).length, 0, nocanon.text);
    assert.equal(one(nocanon, 'og:url'), `${srv.origin}/nocanon/page.html`);
  });

  it('an empty SMOMeta value turns an inherited property off', async () => {
    const res = await get('/off/page.html');
    none(res, 'og:image');
    none(res, 'og:site_name');
    assert.equal(one(res, 'twitter:card'), 'summary');
    assert.equal(one(res, 'twitter:site'), '@vhost');
  });

  it('decodes the title\'s entities and re-escapes them', async () => {
    const res = await get('/entities.html');
    const expected = 'Tom & Jerry\u00a0\u2014 <live> "now" \u2603';
    assert.equal(one(res, 'og:title'), expected);
    assert.equal((await scrape(res)).ogTitle, expected);
    const tag = res.text.match(/<meta property="og:title"[^>]*>/)[0];
    assert.ok(/^[\x20-\x7e]*$/.test(tag), `non-ASCII written raw: ${tag}`);
    assert.ok(!/content="[^"]*[<>][^"]*"/.test(tag), `raw < > in ${tag}`);
  });

  // Element and attribute signature of a document: what a browser builds.
  const signature = (html) => [...walkAll(parseHtml(html).doc)].filter((n) => n.tagName)
    .map((n) => `${n.tagName}[${(n.attrs || []).map((a) => a.name).sort().join(',')}]`);
  function* walkAll(node) {
    yield node;
    for (const c of node.childNodes || []) yield* walkAll(c);
    if (node.content) yield* walkAll(node.content);
  }
  /** The output's elements minus the input's: only our meta and link tags. */
  function assertOnlyInserted(input, output) {
    const before = signature(input);
    const after = signature(output);
    for (const s of before) {
      const i = after.indexOf(s);
      assert.ok(i >= 0, `element ${s} of the page is gone or changed:\n${output}`);
      after.splice(i, 1);
    }
    for (const s of after) {
      assert.ok(['meta[content,property]', 'meta[content,name]', 'link[href,rel]'].includes(s),
        `a new element or attribute appeared: ${s}\n${output}`);
    }
    assert.ok(after.length > 0, 'nothing was inserted: the test proves nothing');
  }

  it('an injection payload in the title stays text', async () => {
    const res = await get('/inject.html');
    assertOnlyInserted(INJECT_TITLE, res.text);
    const title = elements(parseHtml(res.text).doc, 'title')[0].childNodes[0].value;
    assert.equal(one(res, 'og:title'), title.replace(/\s+/g, ' ').trim());
    assert.equal(elements(parseHtml(res.text).doc, 'script').length, 0);
    assert.equal(elements(parseHtml(res.text).doc, 'img').length, 0);
  });

  it('an injection payload in the request URI stays inside the attribute', async () => {
    const payload = '/blog/q"<b>.html?next=javascript:alert(1)&q="><script>alert(2)</script>&x=\'><img%20src=x%20onerror=alert(3)>';
    const res = await get(payload);
    assert.equal(res.status, 200, `GET ${payload}: ${res.status}\n${srv.errorLog()}`);
    assertOnlyInserted(BARE, res.text);
    const { doc } = parseHtml(res.text);
    assert.equal(elements(doc, 'script').length, 0);
    assert.equal(elements(doc, 'img').length, 0);
    assert.equal(elements(doc, 'b').length, 0);
    for (const u of [theCanonical(res), one(res, 'og:url'), one(res, 'og:image')]) {
      assert.match(u, /^https?:\/\//, `not absolute: ${u}`);
      assert.ok(!/["<> ]/.test(u), `raw quote, bracket or space in the URL ${u}`);
      assert.doesNotThrow(() => new URL(u));
    }
    assert.equal(new URL(one(res, 'og:image')).pathname, '/og/blog/q%22%3Cb%3E.html.png');
    assert.ok(!/content="javascript:/i.test(res.text) && !/href="javascript:/i.test(res.text));
  });

  it('UTF-8 page: non-ASCII title and configured value as character references', async () => {
    const res = await get('/utf8/page.html');
    const og = await scrape(res);
    assert.equal(og.ogTitle, 'Crème brûlée — 東京 ☃');
    assert.equal(og.ogSiteName, 'Café Zoë ☃');
    assert.equal(og.ogLocale, 'fr');
    const inserted = res.text.slice(firstInserted(res.text, UTF8), res.text.indexOf('<title>'));
    assert.ok(/^[\x00-\x7f]*$/.test(inserted), `non-ASCII bytes written:\n${inserted}`);
    assert.match(inserted, /&#x?[0-9a-f]+;/i);
  });

  it('ISO-8859-1 page: values right in the page\'s charset', async () => {
    const res = await get('/latin1/page.html', 'latin1');
    assert.equal(res.status, 200);
    const og = await scrape(res);
    assert.equal(og.ogTitle, 'Grüße aus Köln - naïve café');
    assert.equal(og.ogSiteName, 'Café Zoë');
    assert.equal(og.ogLocale, 'de');
    const start = firstInserted(res.text, LATIN1.toString('latin1'));
    const inserted = res.body.subarray(start, res.body.indexOf('<title>'));
    assert.ok(inserted.every((b) => b < 0x80), `non-ASCII bytes written:\n${inserted}`);
    assert.ok(Buffer.compare(res.body.subarray(res.body.indexOf('<title>')),
      LATIN1.subarray(LATIN1.indexOf('<title>'))) === 0, 'the page\'s own bytes changed');
  });

  it('a page with a UTF-8 byte order mark: the mark stays first, the doctype counts', async () => {
    const res = await srv.get('/bom.html');
    assert.equal(res.status, 200);
    assert.deepEqual([...res.body.subarray(0, 3)], [0xEF, 0xBB, 0xBF], 'the BOM is not the first bytes');
    assert.equal(res.body.subarray(3, 18).toString('latin1'), '<!DOCTYPE html>', 'the doctype does not follow the BOM');
    // As a browser reads it: the decoder takes the mark away.
    res.text = new TextDecoder('utf-8').decode(res.body);
    const doc = parseHtml(res.text).doc;
    assert.equal(doc.childNodes[0].nodeName, '#documentType', `no doctype first:\n${res.text}`);
    assert.equal(doc.mode, 'no-quirks');
    assert.equal(one(res, 'og:title'), 'BOM page');
    theCanonical(res);
    const og = await scrape(res);
    assert.equal(og.ogTitle, 'BOM page');
    // Nothing but insertions: the page's bytes are all there, in order.
    const rest = res.text.replace(/<(?:meta|link)\b[^>]*>\n/g, '');
    assert.equal(rest, new TextDecoder('utf-8').decode(BOM_PAGE));
  });

  it('declarations after an implicit end of the head count: nothing declared twice', async () => {
    const res = await get('/late.html');
    assert.equal(res.status, 200);
    for (const k of ['og:title', 'og:url', 'og:image', 'twitter:card', 'og:site_name']) {
      assert.equal(rawCount(res.text, k), 1, `${k} in the raw HTML:\n${res.text}`);
    }
    const og = await scrape(res);
    assert.equal(og.ogTitle, 'Own late title');
    assert.equal(og.ogUrl, 'https://news.example/story');
    assert.deepEqual(og.ogImage.map((i) => i.url), ['https://news.example/story.png']);
    assert.equal(og.twitterCard, 'summary_large_image');
    // What is missing still goes early, in the head a browser builds.
    const at = firstInserted(res.text, LATE_OWN);
    assert.ok(at > res.text.indexOf('<meta charset') && at < res.text.indexOf('<title>'), `metadata at ${at}`);
    assert.equal(one(res, 'og:site_name'), 'Server site');
    const rest = res.text.replace(/<(?:meta|link)\b[^>]*>\n/g, (t) => (LATE_OWN.includes(t) ? t : ''));
    assert.equal(rest, LATE_OWN, 'the page changed beyond insertions');
  });

  it('a head over SMOHeadLimit: metadata once, before </head>', async () => {
    const res = await get('/big/page.html');
    assert.ok(BIG_HEAD.indexOf('</head>') > 8 * 1024, 'the test head must exceed the limit');
    const end = res.text.indexOf('</head>');
    for (const k of ['og:title', 'og:url', 'og:site_name', 'og:image', 'twitter:card']) {
      assert.equal(rawCount(res.text, k), 1, `${k}:\n${res.text.slice(end - 2000, end + 10)}`);
      assert.ok(res.text.indexOf(k) < end, `${k} after </head>`);
    }
    assert.equal(rawCount(res.text, 'og:description'), 1, 'the page\'s own, not a second one');
    assert.equal(one(res, 'og:description'), 'Late in the head.');
    theCanonical(res);
  });

  it('a long head within the limit: metadata in the first 32 KiB', async () => {
    const res = await get('/long.html');
    assert.ok(LONG_HEAD.length > 2 * KIB32, 'the test page must be long');
    const at = firstInserted(res.text, LONG_HEAD);
    assert.ok(at >= 0 && at < KIB32, `metadata begins at ${at}`);
    one(res, 'og:title');
    theCanonical(res);
  });

  it('a CGI that flushes mid-head: each property once, before </head>', async () => {
    const res = await get('/flush.cgi');
    assert.equal(res.status, 200);
    assert.ok(res.chunks.length > 1 || res.chunks[res.chunks.length - 1].at >= 900, 'the CGI did not pause');
    const end = res.text.indexOf('</head>');
    for (const k of ['og:title', 'og:url', 'og:site_name', 'og:image', 'twitter:card', 'og:description']) {
      assert.equal(rawCount(res.text, k), 1, `${k}:\n${res.text}`);
      assert.ok(res.text.indexOf(`"${k}"`) < end, `${k} after </head>:\n${res.text}`);
    }
    const og = await scrape(res);
    assert.equal(og.ogTitle, 'Before the flush', 'the page\'s own title is kept');
    assert.equal(og.ogDescription, 'After the flush.');
    assert.ok(firstInserted(res.text, FLUSH_CGI) < KIB32);
    theCanonical(res);
  });

  it('a slow backend that ends inside an attribute value: nothing written inside it', async () => {
    const res = await get('/proxied/cut.cgi');
    const input = CUT_HEAD + CUT_TAIL;
    assert.equal(res.status, 200);
    assert.ok(res.chunks.length > 1 || res.chunks[res.chunks.length - 1].at >= 900, 'the CGI did not pause');
    // The input, plus at most whole tags...
    const inserted = [];
    const rest = res.text.replace(/<(?:meta|link)\b[^>]*>\n/g, (t) => {
      if (input.includes(t)) return t;
      inserted.push(t);
      return '';
    });
    assert.equal(rest, input, `the page changed beyond insertions:\n${res.text}`);
    // ... that a browser's parser sees as elements.
    const count = (html) => elements(parseHtml(html).doc, 'meta').length +
      elements(parseHtml(html).doc, 'link').length;
    assert.equal(count(res.text), count(input) + inserted.length,
      `inserted tags that are not elements:\n${res.text}`);
    assert.match(srv.errorLog(), /ends inside an unclosed tag.*no metadata/);
  });

  it('an expression that fails at request time drops that property only', async () => {
    const res = await get('/broken/page.html');
    assert.equal(res.status, 200);
    none(res, 'og:image:alt');
    assert.equal(one(res, 'og:title'), 'Rocket boots for everyone');
    assert.equal(one(res, 'og:site_name'), 'Server site');
    assert.ok(res.text.endsWith('<body><h1>Rocket boots</h1></body>\n</html>\n'), 'the page is not whole');
    const stripped = res.text.replace(/<(?:meta|link)\b[^>]*>\n/g, (t) => (BARE.includes(t) ? t : ''));
    assert.equal(stripped, BARE, 'the page changed beyond insertions');
    assert.match(srv.errorLog(), /og:image:alt.*dropped.*\/nonexistent\/smo-test/);
  });
});

// ---- configtest -------------------------------------------------------

const HTTPD = process.env.SMO_HTTPD || '/usr/sbin/apache2';
const MODULES_DIR = process.env.SMO_MODULES_DIR || '/usr/lib/apache2/modules';
const MOD_SMO = path.join(path.resolve(process.env.SMO_BUILDDIR || process.cwd()), '.libs', 'mod_smo.so');

/** apache2 -t on a config whose SMO lines sit in an included file. */
function configtest(lines, modules = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-ct-'));
  try {
    const builtIn = execFileSync(HTTPD, ['-l'], { encoding: 'utf8' });
    const load = ['mpm_event', 'authz_core', ...modules].filter((m) => !builtIn.includes(`mod_${m}.c`))
      .map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`);
    const inc = path.join(dir, 'site.conf');
    fs.writeFileSync(inc, lines.join('\n') + '\n');
    const main = path.join(dir, 'httpd.conf');
    fs.writeFileSync(main, [
      `ServerRoot "${dir}"`, ...load, `LoadModule smo_module "${MOD_SMO}"`,
      'Listen 127.0.0.1:1', 'ServerName 127.0.0.1', `ErrorLog "${dir}/error.log"`,
      `PidFile "${dir}/pid"`, `Define APACHE_LOG_DIR "${dir}"`, `Include "${inc}"`, '',
    ].join('\n'));
    const r = spawnSync(HTTPD, ['-t', '-f', main], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C' } });
    return { status: r.status, out: `${r.stdout}${r.stderr}`, inc };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('configtest', () => {
  it('accepts a correct configuration', () => {
    const r = configtest(['SMOMeta og:image "https://cdn.example.com%{REQUEST_URI}.png"',
      'SMOMetaPolicy override', 'SMOAutoMeta Off', 'SMOBaseURL https://www.example.com']);
    assert.equal(r.status, 0, r.out);
  });

  it('accepts the example conf/examples/marketing.conf', () => {
    const example = new URL('../../conf/examples/marketing.conf', import.meta.url);
    const r = configtest([fs.readFileSync(example, 'utf8')], ['env', 'log_config']);
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /Syntax OK/);
  });

  const cases = [
    ['an ap_expr that does not parse', 'SMOMeta og:image "%{REQUEST_URI"', 'SMOMeta'],
    ['an unknown function in an ap_expr', 'SMOMeta og:title "%{nosuchfunc:x}"', 'SMOMeta'],
    ['an unknown SMOMetaPolicy value', 'SMOMetaPolicy replace', 'SMOMetaPolicy'],
    ['a malformed SMOBaseURL', 'SMOBaseURL www.example.com/no-scheme', 'SMOBaseURL'],
    ['a malformed property name', 'SMOMeta "og:title x" "v"', 'SMOMeta'],
  ];
  for (const [what, line, directive] of cases) {
    it(`refuses ${what}, naming the directive, the file and the line`, () => {
      const r = configtest(['# a comment', '<Location "/x/">', `    ${line}`, '</Location>']);
      assert.notEqual(r.status, 0, `accepted: ${line}\n${r.out}`);
      assert.ok(r.out.includes(`line 3 of ${r.inc}`), `no file and line in:\n${r.out}`);
      assert.ok(r.out.includes(directive), `the directive is not named in:\n${r.out}`);
      if (directive === 'SMOMetaPolicy') assert.match(r.out, /keep.*override/);
    });
  }
});
