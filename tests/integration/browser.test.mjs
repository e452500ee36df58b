// Covers: the share bar in a real browser and the markup in a real
// validator: Debian's headless
// Chromium (driven by playwright-core) loads a sample article through
// Apache and mod_smo and checks the share bar as a reader meets it; the
// Nu Html Checker (vnu-jar, on the installed Java) checks that the module
// adds no markup error the page did not already have.
//
// Without Chromium or Java these tests are skipped, except under CI=true,
// where they fail: the issue requires them (scripts/deps.sh installs both).
// Screenshots go to tests/integration/output/.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { start } from './lib/apache.mjs';
import { CHROMIUM, CHROMIUM_ARGS, loadPlaywright, findValidator, unavailable, validate } from './lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const OUTPUT = path.join(here, 'output');
const SMO_CSS = path.join(here, '..', '..', 'conf', 'smo.css');

// The networks of the test, in the configured order, and how each one's
// link is recognised: where it points and what its name says.
const NETWORKS = [
  { name: 'x', host: /^(www\.)?x\.com$/, label: /\bX\b|twitter/i },
  { name: 'facebook', host: /(^|\.)facebook\.com$/, label: /facebook/i },
  { name: 'linkedin', host: /(^|\.)linkedin\.com$/, label: /linkedin/i },
  { name: 'reddit', host: /(^|\.)reddit\.com$/, label: /reddit/i },
  { name: 'bluesky', host: /^bsky\.app$/, label: /bluesky/i },
  { name: 'email', host: null, label: /e-?mail/i },
];

const SHARE_CONF = `
SMOEngine On
SMOShare ${NETWORKS.map((n) => n.name).join(' ')}
SMOShareStyle /smo.css
<Location "/plain/">
    SMOAutoMeta Off
    SMOCanonical Off
</Location>
<Location "/marker/">
    SMOShareAt marker
</Location>
<Location "/after/">
    SMOShareAt after h1
</Location>
`;

// A sample article as a small site would publish it: own styles for light
// and dark, a site menu, a figure, a footer.
const PAGE_STYLE = `
:root { color-scheme: light dark; }
body { margin: 0; font: 17px/1.6 system-ui, sans-serif; background: #fdfdfc; color: #1d1d1f; }
header, main, footer { max-width: 42rem; margin: 0 auto; padding: 1rem 1.25rem; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 1px solid #ddd; }
header nav a { margin-left: 1rem; color: inherit; }
.byline { color: #555; font-size: .9rem; }
figure { margin: 1.5rem 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #555; }
blockquote { margin: 1.5rem 0; padding-left: 1rem; border-left: 4px solid #c8a96a; font-style: italic; }
footer { border-top: 1px solid #ddd; font-size: .9rem; color: #555; }
@media (prefers-color-scheme: dark) {
  body { background: #16171a; color: #e6e6e6; }
  .byline, figcaption, footer { color: #aaa; }
  header, footer { border-color: #333; }
}`;

const FIGURE = `<figure>
<svg xmlns="http://www.w3.org/2000/svg" width="640" height="200" viewBox="0 0 640 200" role="img" aria-label="Three tea cups">
<rect width="640" height="200" fill="#e9e3d5"/>
<circle cx="160" cy="110" r="50" fill="#6b8e23"/>
<circle cx="320" cy="110" r="50" fill="#8b4513"/>
<circle cx="480" cy="110" r="50" fill="#c8a96a"/>
</svg>
<figcaption>Green, black and oolong, left to right.</figcaption>
</figure>`;

const BODY = (marker) => `<header>
<a href="/">The Leaf Journal</a>
<nav aria-label="Main"><a href="/news/">News</a><a href="/guides/">Guides</a><a href="/about/">About</a></nav>
</header>
<main>
<article>
<h1>Three teas for a rainy Sunday</h1>
<p class="byline">By Mei Lin · <time datetime="2026-11-22">22 November 2026</time></p>
${marker}<p>Rain on the window calls for a pot of something warm. Here are three teas
that reward a slow afternoon, from the grassy to the toasty, with a word on
how to brew each one without turning it bitter.</p>
${FIGURE}
<h2>Sencha</h2>
<p>A Japanese green tea with a clean, vegetal taste. Brew it at 70&nbsp;°C for
one minute; hotter water brings out its bitterness.</p>
<h2>Assam</h2>
<p>Malty and strong, it stands up to milk. Four minutes in water just off the boil.</p>
<blockquote><p>“Tea is nought but this: first you heat the water, then you make the tea.”</p></blockquote>
<h2>Tieguanyin</h2>
<p>An oolong between green and black, floral at first and creamy later. Rinse
the leaves once, then brew short and often: it gives five or six good cups.</p>
${marker}</article>
</main>
<footer>
<p>© 2026 The Leaf Journal · <a href="/contact/">Contact</a></p>
</footer>`;

const ARTICLE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Three teas for a rainy Sunday – The Leaf Journal</title>
<meta name="description" content="Sencha, Assam and Tieguanyin: what they taste like and how to brew them.">
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}
</style>
</head>
<body>
${BODY('')}
</body>
</html>
`;

// The same article with two share markers: after the byline, at the end.
const MARKED = ARTICLE.replace(BODY(''), BODY('<!-- smo:share -->\n'));

// XHTML served as application/xhtml+xml: browsers parse it as XML, so the
// inserted markup must be well-formed or the page does not render at all.
const XHTML = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" lang="en" xml:lang="en">
<head>
<meta charset="UTF-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>Three teas for a rainy Sunday – The Leaf Journal</title>
<meta name="description" content="Sencha, Assam and Tieguanyin."/>
<link rel="icon" href="data:,"/>
<style>${PAGE_STYLE}
</style>
</head>
<body>
<main>
<article>
<h1>Three teas for a rainy Sunday</h1>
<!-- smo:share -->
<p>Rain on the window calls for a pot of something warm.</p>
<p>Sencha at 70&#160;°C, Assam off the boil, Tieguanyin short and often.</p>
</article>
</main>
</body>
</html>
`;

// A page with errors of its own; the module must add none to them.
const FLAWED = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Flawed page</title>
</head>
<body>
<h1 id="top">Flawed</h1>
<span><div>A div inside a span.</div></span>
<p id="top">Duplicate id, <b>bold <i>crossed</b></i>.</p>
<img src="/pixel.png">
<center>Old markup</center>
</body>
</html>
`;

const files = {
  'article.html': ARTICLE,
  'plain/article.html': ARTICLE,
  'marker/article.html': MARKED,
  'marker/article.xhtml': XHTML,
  'after/article.html': ARTICLE,
  'flawed.html': FLAWED,
};

// ---------------------------------------------------------------------------
// What the environment provides.

// ---------------------------------------------------------------------------
// The browser.

/** Everything the page reads, as facts about the share bar (run in the page). */
function readShareBar() {
  // Any CSS colour as [r, g, b, a] in sRGB, via a canvas.
  const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3] / 255];
  };
  const over = (top, bottom) => top.slice(0, 3).map((c, i) => c * top[3] + bottom[i] * (1 - top[3]));
  // The colour behind an element: its and its ancestors' backgrounds.
  const behind = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none') return null; // a gradient or image: not measurable here
      const c = rgba(s.backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let color = [255, 255, 255];
    for (const c of layers.reverse()) color = over(c, color);
    return color;
  };
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      const s = v / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a, b) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };

  const navs = [...document.querySelectorAll('nav.smo-share')];
  const nav = navs[0];
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x, y: r.y, width: r.width, height: r.height };
  };
  const links = nav ? [...nav.querySelectorAll('a')].map((a) => {
    const s = getComputedStyle(a);
    // The label as drawn: each visible text node, its box, colour and size.
    const texts = [];
    const walker = document.createTreeWalker(a, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.data.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const r = range.getBoundingClientRect();
      const ps = getComputedStyle(n.parentElement);
      const fg = rgba(ps.color);
      const bg = behind(n.parentElement);
      texts.push({
        text: n.data.trim(),
        width: r.width,
        height: r.height,
        fontSize: parseFloat(ps.fontSize),
        fontWeight: Number(ps.fontWeight),
        contrast: bg ? contrast(over(fg, bg), bg) : null,
      });
    }
    const b = box(a);
    const hit = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
    return {
      className: a.className,
      href: a.getAttribute('href'),
      rel: a.getAttribute('rel'),
      target: a.getAttribute('target'),
      box: b,
      display: s.display,
      visibility: s.visibility,
      opacity: Number(s.opacity),
      onTop: !!hit && (hit === a || a.contains(hit)),
      texts,
      innerText: a.innerText.trim(),
    };
  }) : [];
  return {
    count: navs.length,
    navAriaLabel: nav ? nav.getAttribute('aria-label') : null,
    navNamespace: nav ? nav.namespaceURI : null,
    navDisplay: nav ? getComputedStyle(nav).display : null,
    viewport: { width: innerWidth, height: innerHeight },
    scrollWidth: document.documentElement.scrollWidth,
    styleSheets: [...document.styleSheets].map((sh) => {
      let rules = -1;
      try { rules = sh.cssRules.length; } catch { /* cross-origin */ }
      return { href: sh.href, rules };
    }),
    links,
  };
}

/** The accessible names of the share bar from Chromium's accessibility tree. */
async function accessibleNames(page) {
  const snap = await page.locator('nav.smo-share').first().ariaSnapshot();
  const nav = snap.match(/^\s*- navigation "([^"]*)"/m);
  const links = [...snap.matchAll(/^\s*- link "([^"]*)"/gm)].map((m) => m[1]);
  return { snap, nav: nav ? nav[1] : null, links };
}

describe('the share bar in headless Chromium', () => {
  let srv;
  let context;
  let userDataDir;
  let why = null;
  const leaving = []; // requests to anywhere but the test server

  before(async () => {
    const got = await loadPlaywright();
    if (!got.pw) { why = got.why; return; }
    const files2 = { ...files, 'smo.css': fs.readFileSync(SMO_CSS) };
    srv = await start({ conf: SHARE_CONF, files: files2 });
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-chromium-'));
    context = await got.pw.chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      serviceWorkers: 'block',
    });
    // Nothing may leave the machine; whatever tries is recorded.
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      leaving.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    fs.mkdirSync(OUTPUT, { recursive: true });
  });

  after(async () => {
    if (context) await context.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    if (srv) await srv.stop();
  });

  /** A fresh page on `urlPath` in `scheme`, at `viewport`. */
  async function open(urlPath, { scheme = 'light', viewport = { width: 1280, height: 800 } } = {}) {
    const page = await context.newPage();
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme: scheme });
    const res = await page.goto(`${srv.origin}${urlPath}`, { waitUntil: 'load' });
    assert.equal(res.status(), 200, `${urlPath}: HTTP ${res.status()}`);
    return page;
  }

  async function screenshot(page, name, opts = {}) {
    const file = path.join(OUTPUT, name);
    if (opts.locator) await opts.locator.screenshot({ path: file });
    else await page.screenshot({ path: file, fullPage: true });
    console.log(`# screenshot: ${file}`);
    return file;
  }

  /** Checks the bar of a loaded page; returns what was read. */
  async function checkBar(page, scheme) {
    const nav = page.locator('nav.smo-share').first();
    await nav.scrollIntoViewIfNeeded();
    const bar = await page.evaluate(readShareBar);
    const where = `${page.url()} (${scheme})`;
    assert.equal(bar.navAriaLabel, 'Share', `${where}: aria-label of the nav`);
    assert.deepEqual(bar.links.map((l) => l.className),
      NETWORKS.map((n) => `smo-share-link smo-share-${n.name}`), `${where}: links, classes and order`);

    for (const [i, l] of bar.links.entries()) {
      const net = NETWORKS[i];
      const what = `${where}: ${net.name} link`;
      assert.notEqual(l.display, 'none', `${what}: display none`);
      assert.equal(l.visibility, 'visible', `${what}: visibility`);
      assert.ok(l.opacity > 0.5, `${what}: opacity ${l.opacity}`);
      // A target a finger or a pointer can hit (WCAG 2.2 target size, 24 px).
      assert.ok(l.box.width >= 24 && l.box.height >= 24, `${what}: ${l.box.width}x${l.box.height} px`);
      assert.ok(l.box.x >= 0 && l.box.y >= 0 && l.box.x + l.box.width <= bar.viewport.width &&
        l.box.y + l.box.height <= bar.viewport.height,
      `${what}: ${JSON.stringify(l.box)} not inside the ${bar.viewport.width}x${bar.viewport.height} viewport`);
      assert.ok(l.onTop, `${what}: covered by another element at its centre`);
      // A visible text label, drawn, readable against what is behind it.
      assert.ok(l.texts.length > 0 && l.innerText, `${what}: no visible text label`);
      for (const t of l.texts) {
        assert.ok(t.width > 4 && t.height > 4, `${what}: label "${t.text}" drawn ${t.width}x${t.height} px`);
        assert.ok(t.fontSize >= 11, `${what}: label at ${t.fontSize} px`);
        if (t.contrast !== null) {
          const large = t.fontSize >= 24 || (t.fontSize >= 18.66 && t.fontWeight >= 700);
          const need = large ? 3 : 4.5;
          assert.ok(t.contrast >= need,
            `${what}: label "${t.text}" contrast ${t.contrast.toFixed(2)}:1, WCAG AA needs ${need}:1`);
        }
      }
      const rel = (l.rel || '').split(/\s+/);
      for (const token of ['nofollow', 'noopener', 'noreferrer']) {
        assert.ok(rel.includes(token), `${what}: rel="${l.rel}" lacks ${token}`);
      }
      const href = new URL(l.href);
      if (net.host) {
        assert.equal(href.protocol, 'https:', `${what}: ${l.href}`);
        assert.match(href.hostname, net.host, `${what}: ${l.href}`);
        assert.equal(l.target, '_blank', `${what}: target`);
      } else {
        // mailto: opens the mail program; a new tab would stay empty.
        assert.equal(href.protocol, 'mailto:', `${what}: ${l.href}`);
        assert.ok(l.target === null || l.target === '_blank', `${what}: target ${l.target}`);
      }
      // Every network gets the page's address (the canonical one).
      const pageUrl = new URL(page.url());
      const canonical = `${pageUrl.origin}${pageUrl.pathname}`;
      assert.ok(decodeURIComponent(l.href).includes(canonical), `${what}: ${l.href} does not carry ${canonical}`);
    }

    // The accessible names, as a screen reader announces them: naming the
    // network and containing the visible label (WCAG 2.5.3).
    const names = await accessibleNames(page);
    assert.equal(names.nav, 'Share', `${where}: navigation landmark name\n${names.snap}`);
    assert.equal(names.links.length, NETWORKS.length, `${where}: links in the accessibility tree\n${names.snap}`);
    for (const [i, name] of names.links.entries()) {
      assert.match(name, NETWORKS[i].label, `${where}: accessible name "${name}" of the ${NETWORKS[i].name} link`);
      const visible = bar.links[i].innerText;
      assert.ok(name.toLowerCase().includes(visible.toLowerCase()),
        `${where}: accessible name "${name}" does not contain the visible label "${visible}"`);
    }
    return bar;
  }

  it('shows the configured links, in order, visible and readable (light)', async (t) => {
    if (why) return unavailable(t, why);
    const page = await open('/article.html', { scheme: 'light' });
    await checkBar(page, 'light');
    await screenshot(page, 'share-light.png');
    await screenshot(page, 'share-bar-light.png', { locator: page.locator('nav.smo-share') });
    await page.close();
  });

  it('shows them visible and readable in dark mode', async (t) => {
    if (why) return unavailable(t, why);
    const page = await open('/article.html', { scheme: 'dark' });
    assert.ok(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches));
    await checkBar(page, 'dark');
    await screenshot(page, 'share-dark.png');
    await screenshot(page, 'share-bar-dark.png', { locator: page.locator('nav.smo-share') });
    await page.close();
  });

  it('applies the stylesheet of SMOShareStyle: one row on a wide screen', async (t) => {
    if (why) return unavailable(t, why);
    const page = await open('/article.html');
    const bar = await page.evaluate(readShareBar);
    const sheet = bar.styleSheets.find((s) => s.href === `${srv.origin}/smo.css`);
    assert.ok(sheet, `smo.css is not among the page's stylesheets: ${JSON.stringify(bar.styleSheets)}`);
    assert.ok(sheet.rules > 0, 'smo.css loaded empty');
    assert.match(bar.navDisplay, /^(inline-)?(flex|grid)$/, `nav.smo-share display: ${bar.navDisplay}`);
    const tops = bar.links.map((l) => Math.round(l.box.y));
    assert.ok(tops.every((y) => Math.abs(y - tops[0]) <= 2), `the links are not in one row at 1280 px: tops ${tops}`);
    const xs = bar.links.map((l) => l.box.x);
    assert.ok(xs.every((x, i) => i === 0 || x > xs[i - 1]), `the links are not left to right: ${xs}`);
    await page.close();
  });

  it('fits a phone screen: no sideways scrolling, every link reachable', async (t) => {
    if (why) return unavailable(t, why);
    const viewport = { width: 360, height: 740 };
    const page = await open('/article.html', { viewport });
    await checkBar(page, 'light, 360 px');
    const bar = await page.evaluate(readShareBar);
    assert.ok(bar.scrollWidth <= viewport.width, `the page scrolls sideways: ${bar.scrollWidth} px wide`);
    await screenshot(page, 'share-bar-phone.png', { locator: page.locator('nav.smo-share') });
    await page.close();
  });

  it('puts a bar at each marker, the comment kept before it', async (t) => {
    if (why) return unavailable(t, why);
    const page = await open('/marker/article.html');
    const found = await page.evaluate(() => {
      const out = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_COMMENT);
      for (let c = walker.nextNode(); c; c = walker.nextNode()) {
        if (c.data.trim() !== 'smo:share') continue;
        let next = c.nextSibling;
        while (next && next.nodeType === Node.TEXT_NODE && !next.data.trim()) next = next.nextSibling;
        out.push({ parent: c.parentNode.nodeName, nextIsBar: !!next && next.nodeType === 1 && next.matches('nav.smo-share') });
      }
      return { markers: out, bars: document.querySelectorAll('nav.smo-share').length };
    });
    assert.equal(found.markers.length, 2, `markers in the page: ${JSON.stringify(found)}`);
    assert.ok(found.markers.every((m) => m.nextIsBar), `a marker without its bar: ${JSON.stringify(found)}`);
    assert.equal(found.bars, 2, 'one bar per marker and no other');
    await checkBar(page, 'light, marker');
    await page.close();
  });

  it('puts the bar after the first h1 with SMOShareAt after h1', async (t) => {
    if (why) return unavailable(t, why);
    const page = await open('/after/article.html');
    const prev = await page.evaluate(() => {
      const navs = document.querySelectorAll('nav.smo-share');
      return { count: navs.length, prev: navs[0] && navs[0].previousElementSibling && navs[0].previousElementSibling.nodeName };
    });
    assert.deepEqual(prev, { count: 1, prev: 'H1' });
    await checkBar(page, 'light, after h1');
    await page.close();
  });

  it('renders an XHTML page (application/xhtml+xml) with the bar in the XHTML namespace', async (t) => {
    if (why) return unavailable(t, why);
    const page = await open('/marker/article.xhtml', { scheme: 'dark' });
    const info = await page.evaluate(() => ({
      contentType: document.contentType,
      parseErrors: document.getElementsByTagName('parsererror').length,
      h1: document.querySelector('h1') && document.querySelector('h1').textContent,
    }));
    assert.equal(info.contentType, 'application/xhtml+xml');
    assert.equal(info.parseErrors, 0, 'Chromium\'s XML parser rejected the page');
    assert.equal(info.h1, 'Three teas for a rainy Sunday');
    const bar = await checkBar(page, 'dark, XHTML');
    assert.equal(bar.navNamespace, 'http://www.w3.org/1999/xhtml');
    await screenshot(page, 'share-bar-xhtml-dark.png', { locator: page.locator('nav.smo-share') });
    await page.close();
  });

  it('sends no request anywhere but the site (no third-party script, style, font or image)', async (t) => {
    if (why) return unavailable(t, why);
    // Runs last: every page above has been loaded with the recorder on.
    const page = await open('/article.html');
    await page.close();
    assert.deepEqual(leaving, [], 'requests that would have left the machine');
  });
});

// ---------------------------------------------------------------------------
// The Nu Html Checker.

describe('the Nu Html Checker on served pages', () => {
  let srv;
  let dir;
  let results;
  const pairs = []; // { name, original, served }
  let why = null;

  const PAGES = [
    { name: 'share only (SMOAutoMeta Off)', url: '/plain/article.html', source: ARTICLE, ext: 'html' },
    { name: 'share and metadata', url: '/article.html', source: ARTICLE, ext: 'html' },
    { name: 'two markers', url: '/marker/article.html', source: MARKED, ext: 'html' },
    { name: 'after h1', url: '/after/article.html', source: ARTICLE, ext: 'html' },
    { name: 'page with errors of its own', url: '/flawed.html', source: FLAWED, ext: 'html' },
    { name: 'XHTML with a marker (XML parser)', url: '/marker/article.xhtml', source: XHTML, ext: 'xhtml' },
  ];

  before(async () => {
    const v = findValidator();
    if (!v.java) { why = v.why; return; }
    srv = await start({ conf: SHARE_CONF, files });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-vnu-'));
    const list = [];
    for (const [i, p] of PAGES.entries()) {
      const res = await srv.get(p.url);
      assert.equal(res.status, 200, `${p.url}: HTTP ${res.status}`);
      const original = path.join(dir, `page${i}.original.${p.ext}`);
      const served = path.join(dir, `page${i}.served.${p.ext}`);
      fs.writeFileSync(original, p.source);
      fs.writeFileSync(served, res.body);
      pairs.push({ ...p, original, served, body: res.body.toString('utf8') });
      list.push(original, served);
    }
    let css = null;
    if (fs.existsSync(SMO_CSS)) {
      css = path.join(dir, 'smo.css');
      fs.copyFileSync(SMO_CSS, css);
      list.push(css);
    }
    results = validate(v.java, v.jar, list);
    results.css = css;
  });

  after(async () => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    if (srv) await srv.stop();
  });

  it('finds errors where there are some (the checker works)', (t) => {
    if (why) return unavailable(t, why);
    const flawed = pairs.find((p) => p.url === '/flawed.html');
    assert.ok(results.get(flawed.original).size >= 3,
      `expected errors in the flawed page: ${[...results.get(flawed.original)]}`);
  });

  it('starts from valid sample pages (HTML and XHTML)', (t) => {
    if (why) return unavailable(t, why);
    for (const pair of pairs.filter((p) => p.source !== FLAWED)) {
      assert.deepEqual([...results.get(pair.original)], [], `${pair.url}: the sample page itself has errors`);
    }
  });

  for (const p of PAGES) {
    it(`adds no error: ${p.name}`, (t) => {
      if (why) return unavailable(t, why);
      const pair = pairs.find((x) => x.url === p.url);
      // The module did act: the comparison is about its markup.
      assert.match(pair.body, /<nav class="smo-share"/, `${p.url}: no share bar served:\n${pair.body}`);
      const before = results.get(pair.original);
      const added = [...results.get(pair.served)].filter((m) => !before.has(m));
      assert.deepEqual(added, [], `${p.url}: errors the module introduced\n--- served\n${pair.body}`);
    });
  }

  it('passes the CSS checker: conf/smo.css', (t) => {
    if (why) return unavailable(t, why);
    assert.ok(results.css, `${SMO_CSS} does not exist`);
    assert.deepEqual([...results.get(results.css)], [], 'CSS errors in conf/smo.css');
  });
});
