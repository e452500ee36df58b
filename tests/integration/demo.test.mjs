// Covers: the demo site (demo/smo-demo.conf, the configuration
// scripts/demo.sh runs) read by real clients, and the shipped example
// configurations (conf/examples/) accepted by `apache2 -t`.
//
// * open-graph-scraper reads every page's preview: title, description,
//   absolute og:url and og:image, site name, Twitter card.
// * parse5 parses every page before (the file, or the backend's answer)
//   and after (served): the tree after is the tree before plus the nodes
//   mod_smo inserted, and those are metadata in the head and the share
//   bar in its configured place, nothing else.
// * The Nu Html Checker finds no error in a served page that the page did
//   not already have.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parse, serialize } from 'parse5';
import ogs from 'open-graph-scraper';

import { start } from './lib/apache.mjs';
import { missing } from './lib/tools.mjs';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEMO = path.join(TOP, 'demo');
const HTTPD = process.env.SMO_HTTPD || '/usr/sbin/apache2';
const MODULES_DIR = process.env.SMO_MODULES_DIR || '/usr/lib/apache2/modules';
const MOD_SMO = path.join(path.resolve(process.env.SMO_BUILDDIR || process.cwd()), '.libs', 'mod_smo.so');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Every file under `dir`, as {relative path: Buffer}. */
function readTree(dir, base = dir, out = {}) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) readTree(p, base, out);
    else out[path.relative(base, p)] = fs.readFileSync(p);
  }
  return out;
}

function tmpDir(tag) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `smo-demo-${tag}-`));
  fs.chmodSync(d, 0o755);
  return d;
}

function fetchRaw(port, urlPath) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

function charsetOf(contentType) {
  const m = /;\s*charset="?([^";\s]+)/i.exec(contentType || '');
  return m ? m[1].toLowerCase() : 'utf-8';
}
const decode = (buf, charset) => buf.toString(/^(iso-8859-1|latin1|windows-1252)$/.test(charset) ? 'latin1' : 'utf8');

// The pages of the demo.  `source`: the file under demo/site/, or the path
// on the backend.  `place`: where the share bar must be.
const PAGES = [
  { path: '/', source: 'index.html', title: 'The mod_smo tea shop (demo)', place: 'body-end' },
  {
    path: '/article.html?utm_source=demo&id=42', source: 'article.html', canonical: '/article.html?id=42',
    title: 'Brewing green tea & why the water temperature matters',
    description: 'Green tea turns bitter in boiling water: 70 to 80 °C brings out its sweetness.',
    place: 'body-end', image: 'card',
  },
  {
    path: '/product.html', source: 'product.html', title: 'Cast-iron teapot, 0.8 l', type: 'product',
    image: '/img/teapot.png', place: 'after .price',
  },
  {
    path: '/og.html', source: 'og.html', title: 'Oolong: between green and black', type: 'article',
    url: 'https://tea.example.org/oolong', image: 'https://tea.example.org/img/oolong.jpg',
    description: 'Half-oxidised, rolled by hand, brewed many times.', place: 'body-end',
  },
  {
    path: '/latin1.html', source: 'latin1.html', charset: 'iso-8859-1',
    title: 'Crème brûlée au thé vert & à la vanille', place: 'body-end',
  },
  { path: '/marker.html', source: 'marker.html', title: 'Tea and water: a short guide', place: 'marker', navs: 2 },
  { path: '/shop/', backend: '/', title: 'Tea of the month: Darjeeling first flush', place: 'body-end' },
];

let srv;
let backendPort;
let dirs = [];
const served = new Map(); // page path -> {before, after, charset}

function demoConf({ backendRoot, logs, css }) {
  const values = {
    BACKEND_ROOT: backendRoot, BACKEND_PORT: String(backendPort),
    LOGS: logs, SMO_CSS: css, SMO_CLICK: path.join(TOP, 'conf', 'smo-click.conf'),
    SMO_INSPECT: path.join(TOP, 'conf', 'smo-inspect.conf'), MODULES: MODULES_DIR,
  };
  let conf = fs.readFileSync(path.join(DEMO, 'smo-demo.conf'), 'utf8');
  for (const [k, v] of Object.entries(values)) conf = conf.replaceAll(`@${k}@`, v);
  assert.doesNotMatch(conf, /@[A-Z_]+@/, 'a placeholder of demo/smo-demo.conf is not filled in');
  return conf;
}

before(async () => {
  const backendRoot = tmpDir('backend');
  const logs = tmpDir('logs');
  const cssDir = tmpDir('css');
  dirs = [backendRoot, logs, cssDir];
  for (const [rel, data] of Object.entries(readTree(path.join(DEMO, 'backend')))) {
    fs.mkdirSync(path.dirname(path.join(backendRoot, rel)), { recursive: true });
    fs.writeFileSync(path.join(backendRoot, rel), data);
  }
  fs.chmodSync(logs, 0o777); // the children (www-data when root) write the click log
  const css = path.join(cssDir, 'smo.css');
  fs.copyFileSync(path.join(TOP, 'conf', 'smo.css'), css);
  backendPort = await freePort();
  const conf = demoConf({ backendRoot, logs, css });
  srv = await start({ conf, files: readTree(path.join(DEMO, 'site')) });
  for (const p of PAGES) {
    const res = await srv.get(p.path);
    assert.equal(res.status, 200, `${p.path}: HTTP ${res.status}\n${srv.errorLog()}`);
    const charset = charsetOf(res.headers['content-type']);
    const orig = p.backend
      ? (await fetchRaw(backendPort, p.backend)).body
      : fs.readFileSync(path.join(DEMO, 'site', p.source));
    served.set(p.path, { before: orig, after: res.body, charset });
  }
});

after(async () => {
  await srv?.stop();
  if (!process.env.SMO_KEEP_TMP) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

// --------------------------------------------------------------------------
describe('open-graph-scraper reads the preview of every demo page', () => {
  for (const p of PAGES) {
    it(p.path, async () => {
      const { result } = await ogs({ url: srv.origin + p.path, onlyGetOpenGraphInfo: true, timeout: 10 });
      assert.equal(result.success, true);
      assert.equal(result.ogTitle, p.title);
      if (p.description) assert.equal(result.ogDescription, p.description);
      else assert.ok(result.ogDescription, 'no og:description');
      const url = p.url || srv.origin + (p.canonical || p.path);
      assert.equal(result.ogUrl, url);
      if (p.image === 'card') {
        // A generated card (SMOCard): its URL names the title and site.
        const u = result.ogImage?.[0]?.url;
        assert.match(u, new RegExp(`^${srv.origin.replace(/\./g, '\\.')}/smo/card/[A-Za-z0-9_-]{22}\\.png\\?t=Brewing%20green%20tea%20%26%20why`));
        assert.equal(result.ogImage[0].width, '1200');
        assert.equal(result.ogImage[0].height, '630');
        const card = await srv.get(new URL(u).pathname + new URL(u).search);
        assert.equal(card.status, 200);
        assert.equal(card.headers['content-type'], 'image/png');
        assert.equal(card.body.readUInt32BE(16), 1200);
        assert.equal(card.body.readUInt32BE(20), 630);
      } else {
        const image = p.image?.startsWith('http') ? p.image : srv.origin + (p.image || '/img/share.png');
        assert.equal(result.ogImage?.[0]?.url, image);
      }
      assert.equal(result.ogType, p.type || 'website');
      assert.equal(result.ogSiteName, 'The mod_smo tea shop');
      assert.equal(result.twitterCard, 'summary_large_image');
      assert.equal(result.twitterSite, '@modsmo_demo');
    });
  }

  it('the picture it names is served', async () => {
    for (const img of ['/img/share.png', '/img/teapot.png']) {
      const res = await srv.get(img);
      assert.equal(res.status, 200, img);
      assert.equal(res.headers['content-type'], 'image/png');
    }
  });
});

// --------------------------------------------------------------------------
// The DOM before and after.

function attrsKey(n) {
  return JSON.stringify((n.attrs || []).map((a) => [a.name, a.value]));
}

/** Same node, same subtree (shallow check here; children in align()). */
function sameShallow(a, b) {
  if (a.nodeName !== b.nodeName) return false;
  if (a.nodeName === '#text') return a.value === b.value;
  if (a.nodeName === '#comment') return a.data === b.data;
  if (a.nodeName === '#documentType') return a.name === b.name;
  return attrsKey(a) === attrsKey(b);
}

function kids(n) { return n.content ? n.content.childNodes : n.childNodes || []; }

/**
 * Align `after`'s children with `before`'s: each child of `before` must
 * appear in `after`, in order, equal in depth; what else `after` holds
 * is returned as inserted [{node, parent}].
 */
function align(b, a, where, inserted) {
  const bk = kids(b);
  const ak = kids(a);
  let i = 0;
  for (const node of ak) {
    if (i < bk.length && sameShallow(bk[i], node)) {
      align(bk[i], node, `${where} > ${node.nodeName}`, inserted);
      i++;
    } else {
      inserted.push({ node, parent: a });
    }
  }
  assert.equal(i, bk.length,
    `${where}: the served page lost or changed ${bk[i]?.nodeName} ${bk[i] ? serialize({ nodeName: '#document-fragment', childNodes: [bk[i]] }).slice(0, 200) : ''}`);
}

const attr = (n, name) => n.attrs?.find((x) => x.name === name)?.value;
const isWs = (n) => n.nodeName === '#text' && /^[ \t\n\f\r]*$/.test(n.value);
const elementSiblings = (n) => kids(n.parentNode).filter((c) => c.tagName);

function checkPlace(nav, place) {
  const sibs = kids(nav.parentNode).filter((c) => !isWs(c));
  const at = sibs.indexOf(nav);
  switch (place) {
    case 'body-end':
      assert.equal(nav.parentNode.nodeName, 'body', 'share bar not in <body>');
      assert.equal(elementSiblings(nav).at(-1), nav, 'share bar is not the last element of <body>');
      break;
    case 'after .price':
      assert.match(attr(sibs[at - 1], 'class') || '', /\bprice\b/, 'share bar does not follow .price');
      break;
    case 'marker':
      assert.equal(sibs[at - 1]?.nodeName, '#comment', 'share bar does not follow a comment');
      assert.equal(sibs[at - 1].data.trim(), 'smo:share');
      break;
    default:
      assert.fail(`unknown place ${place}`);
  }
}

describe('parse5: the served DOM is the original DOM plus the inserted nodes', () => {
  for (const p of PAGES) {
    it(`${p.path}: metadata in the head, share bar ${p.place}`, () => {
      const { before: orig, after: out, charset } = served.get(p.path);
      assert.equal(charset, p.charset || 'utf-8', 'Content-Type charset');
      const docBefore = parse(decode(orig, charset));
      const docAfter = parse(decode(out, charset));
      const inserted = [];
      align(docBefore, docAfter, 'document', inserted);

      const head = kids(kids(docAfter).find((n) => n.nodeName === 'html')).find((n) => n.nodeName === 'head');
      const navs = [];
      const metas = [];
      for (const { node, parent } of inserted) {
        if (isWs(node)) continue;
        if (parent === head && node.nodeName === 'meta' && (attr(node, 'property') || attr(node, 'name'))) {
          metas.push(attr(node, 'property') || attr(node, 'name'));
        } else if (parent === head && node.nodeName === 'link' &&
                   ['canonical', 'stylesheet'].includes(attr(node, 'rel'))) {
          metas.push(`link:${attr(node, 'rel')}`);
        } else if (node.nodeName === 'nav' && attr(node, 'class') === 'smo-share') {
          navs.push(node);
        } else {
          assert.fail(`unexpected insertion into <${parent.nodeName}>: ${serialize({ nodeName: '#document-fragment', childNodes: [node] })}`);
        }
      }
      assert.equal(navs.length, p.navs || 1, 'number of share bars');
      for (const nav of navs) {
        checkPlace(nav, p.place);
        const links = kids(nav).filter((c) => c.tagName === 'a');
        assert.deepEqual(links.map((a) => attr(a, 'class')),
          ['x', 'facebook', 'linkedin', 'mastodon', 'email', 'digg'].map((n) => `smo-share-link smo-share-${n}`));
        for (const a of links) assert.match(attr(a, 'href'), /^\/smo\/click\?n=[a-z]+&u=http/);
        assert.equal(links.at(-1).childNodes[0].value, 'digg this');
      }
      for (const want of ['og:url', 'og:site_name', 'twitter:card', 'link:stylesheet']) {
        assert.ok(metas.includes(want), `${want} not inserted (inserted: ${metas})`);
      }
      assert.equal(new Set(metas).size, metas.length, `a property inserted twice: ${metas}`);
      if (p.url) {
        // The page's own values are kept: nothing it declares is added again.
        for (const own of ['link:canonical', 'og:title', 'og:description', 'og:image', 'og:type']) {
          assert.ok(!metas.includes(own), `${own} inserted although the page declares it`);
        }
      } else {
        assert.ok(metas.includes('link:canonical') && metas.includes('og:title'), `inserted: ${metas}`);
      }

      // Removing the inserted nodes gives back the original tree, serialized.
      for (const { node, parent } of inserted) {
        const list = kids(parent);
        list.splice(list.indexOf(node), 1);
      }
      assert.equal(serialize(docAfter), serialize(docBefore));
    });
  }
});

// --------------------------------------------------------------------------
describe('the click through the handler lands in the click log', () => {
  it('clicking the X link of the article: 302 to x.com, one line in smo_click.log', async () => {
    const page = served.get('/article.html?utm_source=demo&id=42').after.toString('utf8');
    const m = /href="(\/smo\/click\?n=x&amp;[^"]+)"/.exec(page);
    assert.ok(m, 'no tracked X link in the article');
    const href = m[1].replaceAll('&amp;', '&');
    const res = await srv.get(href, { headers: { Referer: `${srv.origin}/article.html` } });
    assert.equal(res.status, 302);
    assert.match(res.headers.location, /^https:\/\/x\.com\/intent\/tweet\?/);
    const log = path.join(dirs[1], 'smo_click.log');
    let lines = [];
    for (let i = 0; i < 50 && lines.length === 0; i++) {
      if (fs.existsSync(log)) lines = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
      if (lines.length === 0) await sleep(100);
    }
    assert.equal(lines.length, 1, `click log: ${lines}`);
    assert.match(lines[0], new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+ x "${srv.origin.replace(/\./g, '\\.')}/article\\.html\\?id=42" "${srv.origin.replace(/\./g, '\\.')}/article\\.html" "`));
  });

  it('the share bar\'s style sheet is served', async () => {
    const res = await srv.get('/smo/smo.css');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/css/);
    assert.ok(res.body.includes('.smo-share'));
  });
});

// --------------------------------------------------------------------------
describe('the inspector of every demo page (conf/smo-inspect.conf)', () => {
  it('the index links to the inspector of each page it lists', async () => {
    const index = served.get('/').after.toString('utf8');
    const links = [...index.matchAll(/href="\/smo\/inspect\?u=([^"]+)"/g)].map((m) => decodeURIComponent(m[1]));
    assert.deepEqual(links, ['/article.html?id=42', '/product.html', '/og.html', '/latin1.html', '/marker.html', '/shop/']);
  });

  for (const p of PAGES.filter((x) => x.path !== '/')) {
    it(`${p.path}: eight previews with its title, its checks, the origin of each value`, async () => {
      const u = p.path.replace('utm_source=demo&', '');
      const res = await srv.get(`/smo/inspect?u=${encodeURIComponent(u)}&format=json`);
      assert.equal(res.status, 200, res.body.toString());
      const rep = JSON.parse(res.body.toString('utf8'));
      assert.equal(rep.previews.length, 8);
      for (const pv of rep.previews) assert.equal(pv.title.replace(/…$/, ''), p.title.slice(0, pv.title.replace(/…$/, '').length), pv.network);
      const verdict = (id) => rep.checks.find((c) => c.id === id)?.verdict;
      assert.equal(verdict('title'), 'pass');
      // A remote image (og.html's) cannot be measured: a warning.
      assert.equal(verdict('image'), p.image?.startsWith('https://') ? 'warn' : 'pass');
      assert.equal(verdict('no-duplicates'), 'pass');
      const origins = Object.fromEntries(rep.properties.map((x) => [x.name, x.origin]));
      assert.equal(origins['og:site_name'], 'smometa');
      if (p.image === 'card') assert.equal(origins['og:image'], 'generated');
      if (p.path === '/og.html') assert.equal(origins['og:title'], 'page');
      else assert.equal(origins['og:title'], 'derived');
    });
  }

  it('the HTML page, for people', async () => {
    const res = await srv.get('/smo/inspect?u=/article.html');
    assert.equal(res.status, 200);
    const html = res.body.toString('utf8');
    for (const n of ['Facebook', 'LinkedIn', 'Slack', 'WhatsApp', 'Discord', 'Mastodon', 'Bluesky']) assert.ok(html.includes(n), n);
    assert.doesNotMatch(html, /<script/i);
  });
});

// --------------------------------------------------------------------------
// The Nu Html Checker: errors in a served page that its original lacks.

function findValidator() {
  let jar;
  try {
    jar = String(createRequire(import.meta.url)('vnu-jar'));
  } catch (err) {
    return { why: `vnu-jar not installed (npm ci in tests/integration): ${err.message}` };
  }
  const java = process.env.JAVA || 'java';
  const v = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (v.error || v.status !== 0) return { why: `${java} not runnable (apt-get install default-jre-headless)` };
  return { java, jar };
}

describe('the Nu Html Checker finds no error mod_smo introduced', { skip: findValidator().why || false }, () => {
  let results;
  let files;
  let vdir;

  before(() => {
    const v = findValidator();
    assert.ok(v.java, v.why);
    vdir = tmpDir('vnu');
    files = new Map();
    const list = [];
    PAGES.forEach((p, i) => {
      const { before: orig, after: out } = served.get(p.path);
      const o = path.join(vdir, `page${i}.original.html`);
      const s = path.join(vdir, `page${i}.served.html`);
      fs.writeFileSync(o, orig);
      fs.writeFileSync(s, out);
      files.set(p.path, { o, s });
      list.push(o, s);
    });
    const r = spawnSync(v.java, ['-jar', v.jar, '--format', 'json', '--errors-only', '--stdout',
      '--exit-zero-always', ...list], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `vnu failed (${r.status}):\n${r.stderr}`);
    results = new Map(list.map((f) => [f, new Set()]));
    for (const m of JSON.parse(r.stdout).messages) {
      const f = fileURLToPath(m.url);
      assert.ok(results.has(f), `vnu reported on an unknown file: ${JSON.stringify(m)}`);
      results.get(f).add(`${m.type}${m.subType ? `/${m.subType}` : ''}: ${m.message}`);
    }
  });

  after(() => { if (vdir) fs.rmSync(vdir, { recursive: true, force: true }); });

  for (const p of PAGES) {
    it(p.path, () => {
      const { o, s } = files.get(p.path);
      const introduced = [...results.get(s)].filter((msg) => !results.get(o).has(msg));
      assert.deepEqual(introduced, [], `errors in the served page that the original lacks`);
    });
  }
});

// --------------------------------------------------------------------------
// conf/: every example, and the Debian snippets, pass `apache2 -t`.

const EXAMPLE_MODULES = ['mpm_event', 'authz_core', 'mime', 'dir', 'alias', 'log_config', 'env',
  'setenvif', 'headers', 'deflate', 'filter', 'proxy', 'proxy_http', 'unixd'];

function configtest(body) {
  const dir = tmpDir('configtest');
  try {
    const builtIn = new Set([...spawnSync(HTTPD, ['-l'], { encoding: 'utf8' }).stdout.matchAll(/mod_(\w+)\.c/g)].map((m) => m[1]));
    const load = EXAMPLE_MODULES.filter((m) => !builtIn.has(m))
      .map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`);
    const conf = path.join(dir, 'httpd.conf');
    fs.writeFileSync(conf, [
      `ServerRoot "${dir}"`, `DefaultRuntimeDir "${dir}"`, `PidFile "${dir}/httpd.pid"`,
      ...load, `LoadModule smo_module "${MOD_SMO}"`,
      'Listen 127.0.0.1:1', 'ServerName 127.0.0.1', `ErrorLog "${dir}/error.log"`,
      `Define APACHE_LOG_DIR "${dir}"`, body, '',
    ].join('\n'));
    const r = spawnSync(HTTPD, ['-t', '-f', conf], { encoding: 'utf8', env: { PATH: process.env.PATH, LANG: 'C' } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A conf/ file, with the Debian paths it names pointing into this tree. */
function confFile(rel) {
  const text = fs.readFileSync(path.join(TOP, 'conf', rel), 'utf8')
    .replaceAll('/etc/apache2/conf-available/smo-click.conf', path.join(TOP, 'conf', 'smo-click.conf'));
  const dir = tmpDir('example');
  dirs.push(dir);
  const file = path.join(dir, path.basename(rel));
  fs.writeFileSync(file, text);
  return file;
}

describe('apache2 -t accepts every shipped configuration file', () => {
  const examples = fs.readdirSync(path.join(TOP, 'conf', 'examples')).filter((f) => f.endsWith('.conf')).sort();

  it('there is one example per use case', () => {
    for (const want of ['static-site.conf', 'reverse-proxy.conf', 'marketing.conf']) {
      assert.ok(examples.includes(want), `conf/examples/${want} missing`);
    }
  });

  for (const ex of examples) {
    it(`conf/examples/${ex} (with smo.conf and smo-click.conf)`, () => {
      const r = configtest([
        `Include "${path.join(TOP, 'conf', 'smo.conf')}"`,
        `Include "${path.join(TOP, 'conf', 'smo-click.conf')}"`,
        `Include "${confFile(`examples/${ex}`)}"`,
      ].join('\n'));
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /Syntax OK/);
    });
  }

  it('a mistake in an example is caught (the check can fail)', () => {
    const r = configtest(`Include "${confFile('examples/static-site.conf')}"\nSMOShareAt nowhere-in-particular`);
    assert.notEqual(r.status, 0);
    assert.match(r.out, /SMOShareAt/);
  });

  it('demo/smo-demo.conf, filled in', () => {
    const r = configtest(demoConf({ backendRoot: os.tmpdir(), logs: os.tmpdir(), css: path.join(TOP, 'conf', 'smo.css') })
      .replace(/^Listen .*$/m, ''));
    assert.equal(r.status, 0, r.out);
  });
});
