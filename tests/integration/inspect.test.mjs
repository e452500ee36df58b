// Covers: the smo-inspect handler (SPEC 10).  GET /smo/inspect?u=PAGE
// fetches the page through the SMO filter by a subrequest (and once
// without it, to tell the page's own values from mod_smo's) and shows
// its metadata with the origin of each value, the previews of eight
// networks, the checks with their verdicts and the share links; as JSON
// with format=json.  Pages with everything, with nothing, with a
// property declared twice, with a tiny image, with a generated card; a
// foreign or malformed u gets 400.  The HTML page has no script, asks
// for nothing but the og:image (Content-Security-Policy), passes the Nu
// Html Checker, and is photographed in Chromium in light and dark mode
// at desktop and phone widths (under the build directory's
// tests/integration/inspector/).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { start } from './lib/apache.mjs';
import { CHROMIUM, CHROMIUM_ARGS, loadPlaywright, findValidator, unavailable, validate } from './lib/browser.mjs';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUTPUT = process.env.SMO_INSPECT_SAVE_DIR ||
  path.join(path.resolve(process.env.SMO_BUILDDIR || process.cwd()), 'tests', 'integration', 'inspector');
const SHARE_PNG = fs.readFileSync(path.join(TOP, 'demo', 'site', 'img', 'share.png'));
const TINY_PNG = fs.readFileSync(path.join(TOP, 'tests', 'data', 'images', 'python.png')); // 16x16

const page = (head, body = '<p>Leaves.</p>') => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
${head}</head><body><main>${body}</main></body></html>
`;

const FILES = {
  'img/share.png': SHARE_PNG,
  'img/tiny.png': TINY_PNG,
  // A real PNG header and 6 MB after it: an image too large to share.
  'img/huge.png': Buffer.concat([SHARE_PNG, Buffer.alloc(6 * 1024 * 1024)]),
  // Everything a preview needs: the page's own description and image,
  // the rest derived or configured.
  'full.html': page('<title>Brewing green tea: why the water temperature matters</title>\n' +
    '<meta name="description" content="Green tea turns bitter in boiling water: 70 to 80 °C brings out its sweetness.">\n' +
    '<meta property="og:image" content="/img/share.png">'),
  // Nothing at all, and mod_smo told to add nothing.
  'bare/page.html': '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>x</p></body></html>\n',
  'dup.html': page('<title>Twice</title>\n<meta property="og:title" content="One">\n' +
    '<meta property="og:title" content="Two">\n<meta name="description" content="d">\n' +
    '<meta property="og:image" content="/img/share.png">'),
  'tiny.html': page('<title>A tiny picture</title>\n<meta name="description" content="d">\n' +
    '<meta property="og:image" content="/img/tiny.png">'),
  'gone.html': page('<title>A picture that is not there</title>\n<meta name="description" content="d">\n' +
    '<meta property="og:image" content="/img/gone.png">\n<meta property="og:image:width" content="1200">\n' +
    '<meta property="og:image:height" content="630">'),
  'huge.html': page('<title>A picture too large</title>\n<meta name="description" content="d">\n' +
    '<meta property="og:image" content="/img/huge.png">'),
  'cards/page.html': page('<title>A page without a picture</title>\n<meta name="description" content="d">'),
  'hostile.html': page('<title>&lt;script&gt;alert(1)&lt;/script&gt; "quoted" &amp; more</title>\n' +
    '<meta name="description" content="&lt;img src=x onerror=alert(2)&gt;">'),
  'late.html': page(`<title>Late</title>\n<script>/*${'x'.repeat(40 * 1024)}*/</script>\n` +
    '<meta property="og:title" content="Declared after 40 KiB of script">'),
  // 3 MB: the inspector keeps its first MiB, which holds the head.
  'big.html': page('<title>A very long page</title>\n<meta name="description" content="d">',
    '<p>Paragraph of a long page.</p>\n'.repeat(100000)),
};
// Pages that name their image by its absolute URL, as they should: the
// port is known once the server runs (written then, see before()).
const ABSOLUTE = ['full.html', 'dup.html', 'tiny.html', 'gone.html', 'huge.html'];

const conf = () => `
SMOEngine On
SMOMeta og:site_name "The Tea Journal"
SMOShare x linkedin email
LogLevel smo:debug
<Location "/smo/inspect">
    SetHandler smo-inspect
    Require local
</Location>
<Location "/smo/card">
    SetHandler smo-card
</Location>
<Location "/bare/">
    SMOAutoMeta Off
    SMOCanonical Off
    SMOShare none
    SMOMeta og:site_name ""
</Location>
<Location "/cards/">
    SMOCard On
</Location>
`;

let srv;
before(async () => {
  srv = await start({ conf, files: FILES, modules: ['authz_host'] });
  for (const f of ABSOLUTE) {
    fs.writeFileSync(srv.docPath(f), FILES[f].replace(/content="\/img\//g, `content="${srv.origin}/img/`));
  }
});
after(async () => { await srv?.stop(); });

const inspectUrl = (u, json = true) => `/smo/inspect?u=${encodeURIComponent(u)}${json ? '&format=json' : ''}`;

async function report(u) {
  const res = await srv.get(inspectUrl(u));
  assert.equal(res.status, 200, `${u}: ${res.body}`);
  assert.match(res.headers['content-type'], /^application\/json/);
  return JSON.parse(res.body.toString('utf8'));
}
const check = (rep, id) => {
  const c = rep.checks.find((x) => x.id === id);
  assert.ok(c, `no check ${id} in ${JSON.stringify(rep.checks.map((x) => x.id))}`);
  return c;
};
const prop = (rep, name) => rep.properties.filter((p) => p.name === name);

describe('the inspector\'s facts (format=json)', () => {
  it('a page with everything: the values, their origins, the checks passed', async () => {
    const rep = await report('/full.html');
    assert.equal(rep.url, `${srv.origin}/full.html`);
    const origin = (n) => prop(rep, n).map((p) => p.origin);
    assert.deepEqual(origin('description'), ['page']);
    assert.deepEqual(origin('og:image'), ['page']);
    assert.deepEqual(origin('og:title'), ['derived']);
    assert.deepEqual(origin('og:site_name'), ['smometa']);
    assert.deepEqual(origin('og:image:width'), ['image']);
    assert.deepEqual(origin('canonical'), ['derived']);
    assert.equal(prop(rep, 'og:title')[0].value, 'Brewing green tea: why the water temperature matters');
    assert.equal(prop(rep, 'og:image:height')[0].value, '630');
    for (const id of ['title', 'description', 'og-url-absolute', 'canonical-absolute', 'image', 'image-file',
      'in-first-32k', 'no-duplicates', 'twitter-card-matches', 'image-size-facebook', 'image-size-linkedin']) {
      assert.equal(check(rep, id).verdict, 'pass', `${id}: ${check(rep, id).message}`);
    }
    assert.equal(rep.checks.filter((c) => c.verdict === 'fail').length, 0, JSON.stringify(rep.checks));
    // Eight previews, each with the title and the image.
    assert.deepEqual(rep.previews.map((p) => p.network).sort(),
      ['bluesky', 'discord', 'facebook', 'linkedin', 'mastodon', 'slack', 'whatsapp', 'x']);
    for (const p of rep.previews) assert.equal(p.image, `${srv.origin}/img/share.png`, p.network);
    assert.deepEqual(prop(rep, 'og:image').map((p) => p.value), [`${srv.origin}/img/share.png`]);
    // The share links the page carries.
    assert.deepEqual(rep.links.map((l) => l.network), ['x', 'linkedin', 'email']);
    assert.match(rep.links[0].href, /^https:\/\/x\.com\/intent\/tweet\?/);
  });

  it('a page with nothing: every missing piece fails, with its reason', async () => {
    const rep = await report('/bare/page.html');
    assert.deepEqual(rep.properties.filter((p) => p.name.startsWith('og:')), []);
    for (const id of ['title', 'description', 'image', 'og-url-absolute', 'canonical-absolute']) {
      const c = check(rep, id);
      assert.equal(c.verdict, 'fail', `${id}: ${c.message}`);
      assert.ok(c.message.length > 10, id);
    }
    assert.deepEqual(rep.links, []);
  });

  it('a property declared twice fails no-duplicates, naming it', async () => {
    const rep = await report('/dup.html');
    const c = check(rep, 'no-duplicates');
    assert.equal(c.verdict, 'fail');
    assert.match(c.message, /og:title/);
    assert.equal(prop(rep, 'og:title').length, 2);
  });

  it('a 16x16 image: the size checks say which networks will not show it', async () => {
    const rep = await report('/tiny.html');
    assert.deepEqual(prop(rep, 'og:image:width').map((p) => [p.value, p.origin]), [['16', 'image']]);
    const fb = check(rep, 'image-size-facebook');
    assert.notEqual(fb.verdict, 'pass', fb.message);
    assert.match(fb.message, /16\s*[x×]\s*16/);
    assert.ok(rep.checks.filter((c) => c.id.startsWith('image-size-') && c.verdict === 'fail').length >= 1);
  });

  it('an image the crawlers will refuse (SPEC 8): not there, or over 5 MB', async () => {
    const gone = await report('/gone.html');
    assert.equal(check(gone, 'image').verdict, 'pass', 'its size is declared');
    assert.equal(check(gone, 'image-file').verdict, 'fail');
    assert.match(check(gone, 'image-file').message, /no image can be read there/);
    const huge = await report('/huge.html');
    assert.equal(check(huge, 'image-file').verdict, 'fail');
    assert.match(check(huge, 'image-file').message, /6\.0 MB/);
    // A generated card is not read from a file: no such check.
    const og = await report('/cards/page.html');
    assert.equal(og.checks.filter((c) => c.id === 'image-file').length, 0);
  });

  it('a page without a picture under SMOCard On: the card is the image, generated', async () => {
    const rep = await report('/cards/page.html');
    const [img] = prop(rep, 'og:image');
    assert.equal(img.origin, 'generated');
    assert.match(img.value, new RegExp(`^${srv.origin}/smo/card/[A-Za-z0-9_-]{22}\\.png\\?t=`));
    assert.deepEqual(prop(rep, 'og:image:width').map((p) => [p.value, p.origin]), [['1200', 'generated']]);
    assert.equal(check(rep, 'image-size-facebook').verdict, 'pass');
    assert.equal(check(rep, 'twitter-card-matches').verdict, 'pass');
  });

  it('a 3 MB page is read from its first MiB (both fetches), and the report is whole', async () => {
    const rep = await report('/big.html');
    assert.equal(prop(rep, 'og:title')[0].value, 'A very long page');
    assert.equal(check(rep, 'title').verdict, 'pass');
    assert.match(srv.errorLog(), /SMO: inspected \/big\.html \(1048576 bytes through SMO, 1048576 without\)/);
  });

  it('metadata after the first 32 KiB fails in-first-32k', async () => {
    const rep = await report('/late.html');
    assert.equal(check(rep, 'in-first-32k').verdict, 'fail', check(rep, 'in-first-32k').message);
  });

  it('u may be a URL of this server; a foreign or malformed u gets 400, logged', async () => {
    const abs = await report(`${srv.origin}/full.html`);
    assert.equal(abs.url, `${srv.origin}/full.html`);
    for (const u of ['https://evil.example/full.html', '//evil.example/x', 'javascript:alert(1)', 'full.html', '']) {
      const res = await srv.get(inspectUrl(u));
      assert.equal(res.status, 400, `${u}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
      assert.ok(!res.body.toString().includes('evil'), 'the refused URL is echoed');
    }
    assert.equal((await srv.get('/smo/inspect')).status, 400);
    assert.equal((await srv.get('/smo/inspect?u=/full.html&u=/dup.html')).status, 400);
    assert.equal((await srv.get('/smo/inspect?u=/full.html&format=xml')).status, 400);
    assert.equal((await srv.get('/smo/inspect?u=/full.html', { method: 'POST' })).status, 405);
    // The inspector of the inspector: refused at the first level, not
    // a recursion of subrequests.
    const self = await srv.get(inspectUrl('/smo/inspect?u=/full.html'));
    assert.equal(self.status, 502);
    assert.match(srv.errorLog(), /SMO: inspect refused: the inspector itself/);
    const missing = await srv.get(inspectUrl('/nowhere.html'));
    assert.equal(missing.status, 502);
    assert.match(srv.errorLog(), /SMO: inspect refused: u is not a page of this server \(foreign-host\)/);
    assert.doesNotMatch(srv.errorLog(), /evil\.example/);
  });

  it('the inspected page is fetched as a subrequest: no request reaches the access log for it', async () => {
    const log = () => fs.readFileSync(path.join(srv.dir, 'logs', 'access.log'), 'utf8').split('\n').filter(Boolean);
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    // Apache writes a request's line after its answer: wait for the
    // earlier requests' lines to settle, then for this one's.
    let before = log().length;
    for (let i = 0; i < 20; i++) { await sleep(50); if (log().length === before) break; before = log().length; }
    await report('/full.html');
    let lines = log();
    for (let i = 0; i < 40 && lines.length === before; i++) { await sleep(50); lines = log(); }
    await sleep(200);
    lines = log();
    assert.equal(lines.length, before + 1, 'one line: the inspector request itself');
    assert.match(lines[lines.length - 1], /GET \/smo\/inspect\?u=/);
  });
});

describe('the inspector\'s page (HTML)', () => {
  let html;
  before(async () => {
    const res = await srv.get(inspectUrl('/full.html', false));
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    const csp = res.headers['content-security-policy'];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, new RegExp(`img-src ${srv.origin.replace(/[.:/]/g, (c) => `\\${c}`)}(;|$)`));
    assert.equal(res.headers['cache-control'], 'no-store');
    html = res.body.toString('utf8');
  });

  it('no script, no SMO of its own, the previews of eight networks and the checks', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /smo-share/, 'the inspector page got a share bar');
    for (const n of ['Facebook', 'X', 'LinkedIn', 'Slack', 'WhatsApp', 'Discord', 'Mastodon', 'Bluesky']) {
      assert.ok(html.includes(n), n);
    }
    assert.match(html, /Brewing green tea: why the water temperature matters/);
    // The only thing loaded is the page's image.
    const srcs = [...html.matchAll(/\ssrc="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(srcs.length > 0);
    for (const s of srcs) assert.equal(s, `${srv.origin}/img/share.png`);
    assert.doesNotMatch(html, /<link[^>]+rel="?stylesheet/i);
  });

  it('text from the page is text: a hostile title cannot inject markup', async () => {
    const res = await srv.get(inspectUrl('/hostile.html', false));
    const h = res.body.toString('utf8');
    assert.doesNotMatch(h, /<script>alert|<img src=x/);
    assert.match(h, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  });

  it('passes the Nu Html Checker', async (t) => {
    const v = findValidator();
    if (!v.java) return unavailable(t, v.why);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-inspect-vnu-'));
    try {
      const files = [];
      for (const [name, u] of [['full', '/full.html'], ['bare', '/bare/page.html'], ['hostile', '/hostile.html'], ['card', '/cards/page.html']]) {
        const f = path.join(dir, `${name}.html`);
        fs.writeFileSync(f, (await srv.get(inspectUrl(u, false))).body);
        files.push(f);
      }
      const byFile = validate(v.java, v.jar, files);
      for (const [f, errs] of byFile) assert.deepEqual([...errs], [], path.basename(f));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in Chromium: light and dark, desktop and phone, nothing loaded but the image (screenshots)', async (t) => {
    const got = await loadPlaywright();
    if (!got.pw) return unavailable(t, got.why);
    const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-chromium-'));
    const context = await got.pw.chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, serviceWorkers: 'block',
    });
    const requests = [];
    context.on('request', (req) => requests.push(req.url()));
    const blocked = [];
    context.on('console', (m) => { if (/Content Security Policy/.test(m.text())) blocked.push(m.text()); });
    try {
      fs.mkdirSync(OUTPUT, { recursive: true });
      for (const [scheme, width, height] of [['light', 1280, 900], ['dark', 1280, 900], ['light', 390, 844], ['dark', 390, 844]]) {
        const p = await context.newPage();
        await p.setViewportSize({ width, height });
        await p.emulateMedia({ colorScheme: scheme });
        await p.goto(srv.origin + inspectUrl('/full.html', false));
        // The previews' images may load lazily: bring each into view.
        for (const img of await p.locator('img').all()) await img.scrollIntoViewIfNeeded();
        await p.waitForFunction(() => [...document.images].every((i) => i.complete));
        await p.evaluate(() => window.scrollTo(0, 0));
        const facts = await p.evaluate(() => ({
          scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
          bg: getComputedStyle(document.body).backgroundColor,
          imgs: [...document.images].map((i) => i.complete && i.naturalWidth),
        }));
        // Fits the phone: no sideways scrolling.
        assert.ok(facts.scroll <= facts.client + 1, `${scheme} ${width}: ${facts.scroll} > ${facts.client}`);
        assert.ok(facts.imgs.length >= 8 && facts.imgs.every((w) => w === 1200), JSON.stringify(facts.imgs));
        const rgb = facts.bg.match(/\d+/g).slice(0, 3).map(Number);
        const light = rgb.reduce((a, b) => a + b, 0) / 3;
        if (scheme === 'dark') assert.ok(light < 80, `dark background is ${facts.bg}`);
        else assert.ok(light > 200, `light background is ${facts.bg}`);
        const file = path.join(OUTPUT, `inspector-${width < 600 ? 'phone' : 'desktop'}-${scheme}.png`);
        await p.screenshot({ path: file, fullPage: true });
        console.log(`# screenshot: ${file}`);
        await p.close();
      }
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
    const others = requests.filter((u) => !u.startsWith(`${srv.origin}/smo/inspect?`) && u !== `${srv.origin}/img/share.png`);
    assert.deepEqual(others, [], 'requests other than the page and its image');
    assert.deepEqual(blocked, [], 'the page tried something its CSP refused');
  });
});
