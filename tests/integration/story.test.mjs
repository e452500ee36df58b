// Covers: tracked shares carry the story (SPEC 7).  With SMOTrackClicks On
// a share link goes through the click handler with the page's title (t=),
// and the handler's redirect is the very share URL the untracked link
// has, for every built-in network; a t the handler cannot use costs the
// share its title, never the click.  SMOShareUTM puts utm_source and
// utm_medium on the shared URL only: direct links and the handler's
// redirect, never the canonical link, og:url or the click log's URL.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { start } from './lib/apache.mjs';
import { settle, readLines, parseClickLine } from './lib/clicklog.mjs';
import { recipe, sh, uniqCounts } from './lib/recipes.mjs';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHIPPED_CONF = path.join(TOP, 'conf', 'smo-click.conf');

const NETWORKS = ['x', 'facebook', 'linkedin', 'reddit', 'whatsapp', 'telegram',
  'bluesky', 'threads', 'mastodon', 'hackernews', 'pinterest', 'tumblr', 'email'];

const TITLE = 'Café & crème brûlée';

const conf = (srv) => `
Define APACHE_LOG_DIR ${srv.dir}/logs
LogLevel warn smo:debug
# Room for the 10 KB title below (Apache's default is 8190 bytes).
LimitRequestLine 20000
SMOEngine On
SMOShare ${NETWORKS.join(' ')}
Include ${SHIPPED_CONF}
# The site's access log as Debian writes it (the Combined Log Format).
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
CustomLog ${srv.dir}/logs/combined.log combined
<Location "/tracked/">
    SMOTrackClicks On
</Location>
<Location "/utm/">
    SMOShareUTM On
</Location>
<Location "/utm-tracked/">
    SMOShareUTM On
    SMOTrackClicks On
    SMOClickURL /smo/click-utm
</Location>
<Location "/smo/click-utm">
    SetHandler smo-click
    SMOShareUTM On
</Location>
<Location "/campaign/">
    SMOShareUTM "utm_source={network}&utm_medium=social&utm_campaign=tea"
    SMOTrackClicks On
</Location>
`;

// A page with a title and nothing else to share: no description, no
// image, so that the direct and the tracked share URLs can be equal.
const page = `<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>${TITLE}</title></head>
<body><p>Recette.</p></body></html>
`;

const FILES = {};
for (const dir of ['direct', 'tracked', 'utm', 'utm-tracked', 'campaign']) FILES[`${dir}/dessert.html`] = page;

let srv;
before(async () => { srv = await start({ conf, files: FILES }); });
after(async () => { await srv?.stop(); });

const enc = encodeURIComponent;

// The share links of a page: {name: href}, and the page itself.
async function links(p) {
  const res = await srv.get(p);
  assert.equal(res.status, 200, p);
  const html = res.body.toString('utf8');
  const out = {};
  for (const m of html.matchAll(/<a class="smo-share-link smo-share-([\w-]+)" href="([^"]*)"/g)) {
    out[m[1]] = m[2].replace(/&amp;/g, '&');
  }
  return { html, links: out };
}

// Through the handler: its Location (a 302 is required).
async function redirect(href) {
  const res = await srv.get(href);
  assert.equal(res.status, 302, `${href}: ${res.status} ${res.body}`);
  return res.headers.location;
}

const clickLog = () => path.join(srv.dir, 'logs', 'smo_click.log');

// What the X intent's text says.
const xText = (loc) => new URL(loc).searchParams.get('text');

describe('tracked links carry the title', () => {
  it('every built-in network: the tracked redirect is the untracked share URL, title included', async () => {
    const direct = (await links('/direct/dessert.html')).links;
    const tracked = (await links('/tracked/dessert.html')).links;
    assert.deepEqual(Object.keys(tracked).sort(), [...NETWORKS].sort());
    for (const name of NETWORKS) {
      assert.match(tracked[name], /^\/smo\/click\?n=[\w-]+&u=[^&]+&t=[^&]+$/, name);
      const t = new URL(tracked[name], srv.origin).searchParams.get('t');
      assert.equal(t, TITLE, `${name}: t`);
      const loc = await redirect(tracked[name]);
      // The same page under another path: only the path differs.
      const want = direct[name].replaceAll(enc('/direct/'), enc('/tracked/'));
      assert.equal(loc, want, `${name}: the redirect differs from the direct link`);
      if (name !== 'facebook' && name !== 'linkedin') {
        assert.ok(decodeURIComponent(loc).includes(TITLE), `${name}: no title in ${loc}`);
      }
    }
  });

  it(`the X share of a page titled "${TITLE}" says the title`, async () => {
    const { links: l } = await links('/tracked/dessert.html');
    const loc = await redirect(l.x);
    assert.equal(xText(loc), TITLE);
    assert.equal(new URL(loc).searchParams.get('url'), `${srv.origin}/tracked/dessert.html`);
  });

  it('the click log has the canonical URL, never the title', async () => {
    const before = readLines(clickLog()).length;
    const { links: l } = await links('/tracked/dessert.html');
    await redirect(l.reddit);
    await settle(() => readLines(clickLog()).length, before + 1);
    const lines = readLines(clickLog());
    const last = parseClickLine(lines[lines.length - 1]);
    assert.equal(last.network, 'reddit');
    assert.equal(last.url, `${srv.origin}/tracked/dessert.html`);
    const text = fs.readFileSync(clickLog(), 'utf8');
    assert.ok(!text.includes('Caf') && !text.includes('t='), text);
  });
});

describe('a title the handler cannot use: the share goes out without it, the click counts', () => {
  const u = () => enc(`${srv.origin}/tracked/dessert.html`);
  const noTitle = () => `https://x.com/intent/tweet?text=&url=${u()}`;
  const BAD = {
    'a NUL': 'a%00b',
    'CR LF and a header': 'x%0D%0ASet-Cookie:%20stolen=1',
    'invalid UTF-8': '%FF%FEcaf%E9',
    'over 300 characters': 'a'.repeat(301),
    '10 KB': 'b'.repeat(10 * 1024),
    'a malformed escape': '50%zz',
    'given twice': 'One&t=Two',
  };
  for (const [label, t] of Object.entries(BAD)) {
    it(label, async () => {
      const before = readLines(clickLog()).length;
      const res = await srv.get(`/smo/click?n=x&u=${u()}&t=${t}`);
      assert.equal(res.status, 302, `${res.status} ${res.body}`);
      assert.equal(res.headers.location, noTitle());
      assert.equal(res.headers['set-cookie'], undefined);
      await settle(() => readLines(clickLog()).length, before + 1);
    const lines = readLines(clickLog());
      assert.equal(lines.length, before + 1, 'one click logged');
      assert.equal(parseClickLine(lines[lines.length - 1]).network, 'x');
      assert.match(srv.errorLog(), /click to x shared without its title \(t\)/);
    });
  }

  it('quotes, <, & and = are text: encoded into the share, no parameter of their own', async () => {
    const t = enc('"Tea" <b> & x=1 #top');
    const loc = await redirect(`/smo/click?n=x&u=${u()}&t=${t}`);
    assert.equal(xText(loc), '"Tea" <b> & x=1 #top');
    assert.deepEqual([...new URL(loc).searchParams.keys()], ['text', 'url']);
  });

  it('no t at all: the share without a title, as before', async () => {
    assert.equal(await redirect(`/smo/click?n=x&u=${u()}`), noTitle());
  });
});

describe('SMOShareUTM', () => {
  const canonical = (html) => /<link rel="canonical" href="([^"]*)"/.exec(html)?.[1];
  const ogUrl = (html) => /<meta property="og:url" content="([^"]*)"/.exec(html)?.[1];
  const sharedUrl = (loc) => {
    const url = new URL(loc.replace(/^mailto:/, 'mailto://m/'));
    return url.searchParams.get('url') ?? url.searchParams.get('u') ?? url.searchParams.get('canonicalUrl');
  };

  it('On: direct links share the URL with utm_source=NETWORK&utm_medium=social; canonical and og:url unchanged', async () => {
    const { html, links: l } = await links('/utm/dessert.html');
    const page = `${srv.origin}/utm/dessert.html`;
    assert.equal(canonical(html), page);
    assert.equal(ogUrl(html), page);
    for (const name of ['x', 'facebook', 'linkedin', 'reddit', 'telegram', 'hackernews', 'pinterest', 'tumblr']) {
      assert.equal(sharedUrl(l[name]), `${page}?utm_source=${name}&utm_medium=social`, name);
    }
    // {text} carries the shared URL too.
    assert.equal(new URL(l.whatsapp).searchParams.get('text'),
      `${TITLE} ${page}?utm_source=whatsapp&utm_medium=social`);
    assert.ok(!/<link rel="canonical"[^>]*utm_/.test(html) && !/og:url"[^>]*utm_/.test(html));
  });

  it('On, tracked: the link carries the canonical URL, the redirect the parameters, the click log the canonical URL', async () => {
    const { html, links: l } = await links('/utm-tracked/dessert.html');
    const page = `${srv.origin}/utm-tracked/dessert.html`;
    assert.equal(canonical(html), page);
    assert.equal(ogUrl(html), page);
    assert.match(l.x, /^\/smo\/click-utm\?n=x&/);
    assert.equal(new URL(l.x, srv.origin).searchParams.get('u'), page);
    const before = readLines(clickLog()).length;
    const loc = await redirect(l.x);
    assert.equal(new URL(loc).searchParams.get('url'), `${page}?utm_source=x&utm_medium=social`);
    assert.equal(xText(loc), TITLE);
    await settle(() => readLines(clickLog()).length, before + 1);
    const lines = readLines(clickLog());
    assert.equal(parseClickLine(lines[lines.length - 1]).url, page);
    // The handler strips a utm_source the link brings itself.
    const loc2 = await redirect(`/smo/click-utm?n=linkedin&u=${enc(`${page}?utm_source=evil`)}`);
    assert.equal(new URL(loc2).searchParams.get('url'), `${page}?utm_source=linkedin&utm_medium=social`);
  });

  it('parameters of its own where the handler has others: the links go direct, with them', async () => {
    const { links: l } = await links('/campaign/dessert.html');
    const page = `${srv.origin}/campaign/dessert.html`;
    assert.ok(!l.x.includes('/smo/click'), l.x);
    assert.equal(sharedUrl(l.x), `${page}?utm_source=x&utm_medium=social&utm_campaign=tea`);
    assert.match(srv.errorLog(), /share link x goes direct, not through the click handler: SMOShareUTM differs at SMOClickURL/);
  });
});

describe('visits from shares, counted as docs/click-log.md says', () => {
  it('the recipes count the visits each network brought, from the access log', async () => {
    const { links: l } = await links('/utm/dessert.html');
    const shared = (name) => new URL(new URL(l[name]).searchParams.get('url')
      ?? new URL(l[name]).searchParams.get('u'));
    const visits = { x: 3, facebook: 2, reddit: 1 };
    const log = path.join(srv.dir, 'logs', 'combined.log');
    const before = readLines(log).length;
    let n = 0;
    for (const [name, times] of Object.entries(visits)) {
      const u = shared(name);
      assert.equal(u.searchParams.get('utm_source'), name);
      for (let i = 0; i < times; i++, n++) assert.equal((await srv.get(u.pathname + u.search)).status, 200);
    }
    // Visits that are not from a share: not counted.
    for (const p of ['/utm/dessert.html', '/utm/dessert.html?utm_source=newsletter&utm_medium=email']) {
      assert.equal((await srv.get(p)).status, 200);
      n++;
    }
    await settle(() => readLines(log).length, before + n);
    const dir = fs.mkdtempSync(path.join(srv.dir, 'recipe-'));
    fs.writeFileSync(path.join(dir, 'access.log'), readLines(log).slice(before).join('\n') + '\n');
    assert.deepEqual(uniqCounts(sh(recipe('visits from shares per network'), dir)), visits);
    assert.deepEqual(uniqCounts(sh(recipe('visits from shares per page and network'), dir)),
      { 'x /utm/dessert.html': 3, 'facebook /utm/dessert.html': 2, 'reddit /utm/dessert.html': 1 });
  });
});

describe('SMOShareUTM at configtest', () => {
  it('refuses what is not On, Off or name=value parameters, with the file and line', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = fs.mkdtempSync(path.join(srv.dir, 'ct-'));
    for (const bad of ['utm_source', 'a=1&&b=2', 'a={url}', 'a=<b>', 'a=1#x']) {
      const file = path.join(dir, 'httpd.conf');
      fs.writeFileSync(file, fs.readFileSync(path.join(srv.dir, 'httpd.conf'), 'utf8')
        .replace(/^Listen .*$/m, 'Listen 127.0.0.1:1') + `\nSMOShareUTM "${bad}"\n`);
      const r = spawnSync(process.env.SMO_HTTPD || '/usr/sbin/apache2', ['-t', '-f', file], { encoding: 'utf8' });
      assert.notEqual(r.status, 0, `${bad} accepted`);
      assert.match(r.stderr + r.stdout, /SMOShareUTM: .* is not On, Off or query parameters/, bad);
      assert.match(r.stderr + r.stdout, /line \d+ of .*httpd\.conf/, bad);
    }
  });
});
