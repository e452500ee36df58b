// Covers: SMOImageInfo (SPEC 8).  The og:image of a page, when it is a
// file this server serves, gives og:image:width, og:image:height and
// og:image:type read from the image (real PNG, JPEG, GIF and WebP files:
// the demo's 1200x630 share picture and CPython's test images), only
// where the page does not declare them, right after the image they
// describe; a remote, missing, refused or unreadable image gets nothing
// invented and one info line per file; the header is read once per file,
// not once per request; og:image:alt also gives twitter:image:alt.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { start, MPM } from './lib/apache.mjs';
import { judgeInsertions } from './lib/insertions.mjs';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (...p) => fs.readFileSync(path.join(TOP, ...p));
const IMAGES = {
  'img/share.png': read('demo', 'site', 'img', 'share.png'),
  'img/python.png': read('tests', 'data', 'images', 'python.png'),
  'img/python.jpg': read('tests', 'data', 'images', 'python.jpg'),
  'img/python.gif': read('tests', 'data', 'images', 'python.gif'),
  'img/python.webp': read('tests', 'data', 'images', 'python.webp'),
  'img/not-an-image.png': Buffer.from('<html>an error page saved as .png</html>\n'),
  'private/share.png': read('demo', 'site', 'img', 'share.png'),
};

const page = (head = '') => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tea</title>
${head}</head><body><p>Leaves.</p></body></html>
`;
const own = (src, more = '') => page(`<meta property="og:image" content="${src}">${more}`);

// One child process: each child keeps its own cache, and these tests
// count what one cache read.
const ONE_CHILD = MPM === 'prefork'
  ? ['StartServers 1', 'MinSpareServers 1', 'MaxSpareServers 1', 'ServerLimit 1', 'MaxRequestWorkers 1']
  : ['StartServers 1', 'ServerLimit 1', 'MaxRequestWorkers 16', 'MinSpareThreads 1', 'MaxSpareThreads 16'];

let aliasDir;
const conf = (srv) => `
${ONE_CHILD.join('\n')}
SMOEngine On
<Directory "${srv.dir}/htdocs/private">
    Require all denied
</Directory>
Alias /media/ "${aliasDir}/"
<Directory "${aliasDir}">
    Require all granted
</Directory>
<Location "/configured/">
    SMOMeta og:image /img/share.png
    SMOMeta og:image:alt "A teapot on a wooden table"
</Location>
<Location "/off/">
    SMOImageInfo Off
</Location>
`;

const FILES = {
  ...IMAGES,
  'configured/page.html': page(),
  'configured/own-alt.html': page('<meta name="twitter:image:alt" content="Our own words">'),
  'own/png.html': own('/img/python.png'),
  'own/jpg.html': own('/img/python.jpg'),
  'own/gif.html': own('/img/python.gif'),
  'own/webp.html': own('/img/python.webp'),
  'own/share.html': own('/img/share.png'),
  'own/relative.html': own('../img/share.png?v=3'),
  'own/width-given.html': own('/img/share.png', '\n<meta property="og:image:width" content="1200">'),
  'own/remote.html': own('https://cdn.example.com/share.png'),
  'own/missing.html': own('/img/gone.png'),
  'own/denied.html': own('/private/share.png'),
  'own/garbage.html': own('/img/not-an-image.png'),
  'own/alias.html': own('/media/share.png'),
  'own/cached.html': own('/img/share.png'),
  'off/page.html': own('/img/share.png'),
};

let srv;
before(async () => {
  aliasDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'smo-media-'));
  fs.chmodSync(aliasDir, 0o755);
  fs.writeFileSync(path.join(aliasDir, 'share.png'), IMAGES['img/share.png']);
  fs.chmodSync(path.join(aliasDir, 'share.png'), 0o644);
  srv = await start({ conf, files: FILES, modules: ['alias'] });
});
after(async () => {
  await srv?.stop();
  fs.rmSync(aliasDir, { recursive: true, force: true });
});

// The page as served, with its declarations in order.
async function get(p) {
  const res = await srv.get(p);
  assert.equal(res.status, 200, p);
  const html = res.body.toString('latin1');
  const props = [...html.matchAll(/<meta (?:property|name)="([^"]+)" content="([^"]*)"/g)]
    .map((m) => [m[1], m[2]]);
  return { res, html, props };
}
const value = (props, name) => props.filter(([n]) => n === name).map(([, v]) => v);
const facts = (props) => ['og:image:width', 'og:image:height', 'og:image:type'].map((n) => value(props, n));

describe('SMOImageInfo: the facts of a local og:image', () => {
  it('a configured og:image, the demo\'s 1200x630 PNG: width, height and type right after it', async () => {
    const { props, html, res } = await get('/configured/page.html');
    assert.deepEqual(facts(props), [['1200'], ['630'], ['image/png']]);
    const names = props.map(([n]) => n);
    const at = names.indexOf('og:image');
    assert.deepEqual(names.slice(at, at + 4), ['og:image', 'og:image:width', 'og:image:height', 'og:image:type']);
    const r = judgeInsertions(Buffer.from(FILES['configured/page.html']), res.body);
    assert.equal(r.bytes, '');
    assert.deepEqual(r.placement, []);
    assert.ok(html.includes('<meta property="og:image" content="http://127.0.0.1:'), html);
  });

  for (const [kind, type] of [['png', 'image/png'], ['jpg', 'image/jpeg'], ['gif', 'image/gif'], ['webp', 'image/webp']]) {
    it(`the page's own ${kind} og:image: the facts right after its tag`, async () => {
      const { props, res, html } = await get(`/own/${kind}.html`);
      assert.deepEqual(facts(props), [['16'], ['16'], [type]]);
      assert.match(html, new RegExp(`<meta property="og:image" content="/img/python\\.${kind}"><meta property="og:image:width" content="16">`));
      const r = judgeInsertions(Buffer.from(FILES[`own/${kind}.html`]), res.body);
      assert.equal(r.bytes, '');
      assert.deepEqual(r.placement, []);
      assert.equal(r.tree, '');
    });
  }

  it('a relative og:image with a query: resolved, mapped, read', async () => {
    assert.deepEqual(facts((await get('/own/relative.html')).props), [['1200'], ['630'], ['image/png']]);
  });

  it('the page\'s own og:image:width is kept: only what is missing is added', async () => {
    const { props } = await get('/own/width-given.html');
    assert.deepEqual(facts(props), [['1200'], ['630'], ['image/png']]);
    assert.equal(value(props, 'og:image:width').length, 1);
  });

  it('through an Alias: mapped as Apache serves it', async () => {
    assert.deepEqual(facts((await get('/own/alias.html')).props), [['1200'], ['630'], ['image/png']]);
  });

  it('SMOImageInfo Off: nothing read, nothing added', async () => {
    const { props } = await get('/off/page.html');
    assert.deepEqual(facts(props), [[], [], []]);
  });
});

describe('SMOImageInfo: nothing invented', () => {
  const cases = {
    remote: [/og:image https:\/\/cdn\.example\.com\/share\.png is not a URL of this server/, 'debug'],
    missing: [/og:image \S+\/img\/gone\.png is no file this server serves \(no such file\)/, 'info'],
    denied: [/og:image \S+\/private\/share\.png is no file this server serves \(status 403\)/, 'info'],
    garbage: [/og:image \S+\/img\/not-an-image\.png \(\S+\): not a PNG, JPEG, GIF or WebP image/, 'info'],
  };
  for (const [name, [line, level]] of Object.entries(cases)) {
    it(`${name}: no width, height or type; logged at ${level}, once per file`, async () => {
      for (let i = 0; i < 3; i++) {
        const { props } = await get(`/own/${name}.html`);
        assert.deepEqual(facts(props), [[], [], []]);
      }
      const lines = srv.errorLog().split('\n').filter((l) => line.test(l));
      // A remote image is judged at each parse (the plan cache may spare
      // the next ones: the answer does not depend on a file).
      if (level === 'info') assert.equal(lines.length, 1, lines.join('\n'));
      else assert.ok(lines.length >= 1, 'no debug line');
      assert.ok(lines.every((l) => l.includes(`[smo:${level}]`)), lines.join('\n'));
    });
  }

  it('an image the crawlers refuse (16x16) keeps its true size and is named at info once', async () => {
    await get('/own/png.html');
    await get('/own/png.html');
    const lines = srv.errorLog().split('\n').filter((l) => /python\.png is smaller than 200x200 \(16x16\): crawlers will refuse it/.test(l));
    assert.equal(lines.length, 1);
    assert.match(lines[0], /\[smo:info\]/);
  });
});

describe('SMOImageInfo: once per file', () => {
  it('twenty requests read the image header once; a changed file is read again', async () => {
    const readLines = () => srv.errorLog().split('\n').filter((l) => /og:image \S+\/img\/share\.png read from /.test(l)).length;
    const before = readLines();
    for (let i = 0; i < 20; i++) await get('/own/cached.html');
    assert.ok(readLines() - before <= 1, `${readLines() - before} reads`);
    assert.ok(srv.errorLog().split('\n').filter((l) => /img\/share\.png: facts from the cache/.test(l)).length >= 19);

    // A new picture under the same name: other size, other facts.
    const file = srv.docPath('img/share.png');
    fs.copyFileSync(srv.docPath('img/python.png'), file);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(file, later, later);
    assert.deepEqual(facts((await get('/own/cached.html')).props), [['16'], ['16'], ['image/png']]);
    fs.writeFileSync(file, IMAGES['img/share.png']);
    const latest = new Date(Date.now() + 10000);
    fs.utimesSync(file, latest, latest);
  });
});

describe('og:image:alt and twitter:image:alt (SPEC 8)', () => {
  it('an SMOMeta og:image:alt gives twitter:image:alt too', async () => {
    const { props } = await get('/configured/page.html');
    assert.deepEqual(value(props, 'og:image:alt'), ['A teapot on a wooden table']);
    assert.deepEqual(value(props, 'twitter:image:alt'), ['A teapot on a wooden table']);
  });

  it('the page\'s own twitter:image:alt is kept, none added', async () => {
    const { props } = await get('/configured/own-alt.html');
    assert.deepEqual(value(props, 'twitter:image:alt'), ['Our own words']);
  });
});
