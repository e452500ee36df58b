// Covers: SMOCard (SPEC 9).  A page that ends up with no og:image gets a
// generated 1200x630 PNG card as og:image, with its size and type and
// twitter:card summary_large_image; a page with an image gets none.  The
// smo-card handler serves the card with an immutable Cache-Control, an
// ETag (304 on If-None-Match) and a Content-Length; renders each card
// once (then from memory, or from the card directory); refuses with 403,
// before rendering anything, a URL its filter did not make; and a second
// server sharing the card directory signs alike and serves the kept card
// without rendering it.  The cards of a short, a long, a Japanese and an
// Arabic title are saved under the build directory's
// tests/integration/cards/ for people to look at.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { start } from './lib/apache.mjs';
import { judgeInsertions } from './lib/insertions.mjs';

const SAVE_DIR = process.env.SMO_CARD_SAVE_DIR ||
  path.join(path.resolve(process.env.SMO_BUILDDIR || process.cwd()), 'tests', 'integration', 'cards');

const page = (title, head = '') => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
${head}</head><body><p>Leaves.</p></body></html>
`;

const TITLES = {
  short: 'Brewing green tea: why the water temperature matters',
  long: 'The complete, unabridged and very long guide to brewing green tea at home: ' +
    'water temperature, steeping times, leaf grades, teapots, cups and what the ' +
    'old tea masters of Uji and Shizuoka would say about all of it, in one page',
  japanese: '緑茶の淹れ方',
  arabic: 'كيفية تحضير الشاي الأخضر',
};

const FILES = {
  'tea/short.html': page(TITLES.short),
  'tea/long.html': page(TITLES.long),
  'tea/japanese.html': page(TITLES.japanese).replace('lang="en"', 'lang="ja"'),
  'tea/arabic.html': page(TITLES.arabic).replace('lang="en"', 'lang="ar" dir="rtl"'),
  'tea/own-title.html': page('Page title', '<meta property="og:title" content="Sencha &amp; matcha">\n' +
    '<meta property="og:site_name" content="Leaf Journal">'),
  'tea/with-image.html': page('Has a picture', '<meta property="og:image" content="https://cdn.example.com/a.png">'),
  'tea/no-title.html': '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>x</p></body></html>\n',
  'off/page.html': page('Cards are off here'),
};
// Pages whose cards are first asked for all at once.
for (let i = 1; i <= 5; i++) FILES[`burst/${i}.html`] = page(`Burst ${i}: oolong, sencha and gyokuro compared`);

let cardDir;
const conf = () => `
SMOEngine On
SMOCard On
SMOCardCache "${cardDir}" 2M
SMOMeta og:site_name "The Tea Journal"
LogLevel smo:debug
<Location "/smo/card">
    SetHandler smo-card
</Location>
<Location "/off/">
    SMOCard Off
</Location>
`;

let srv;
before(async () => {
  cardDir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'smo-cards-'));
  fs.chmodSync(cardDir, 0o755);
  srv = await start({ conf, files: FILES });
});
after(async () => {
  await srv?.stop();
  fs.rmSync(cardDir, { recursive: true, force: true });
});

async function get(p) {
  const res = await srv.get(p);
  assert.equal(res.status, 200, p);
  const html = res.body.toString('utf8');
  const props = [...html.matchAll(/<meta (?:property|name)="([^"]+)" content="([^"]*)"/g)]
    .map((m) => [m[1], m[2].replace(/&amp;/g, '&')]);
  return { res, html, props };
}
const value = (props, name) => props.filter(([n]) => n === name).map(([, v]) => v);

// The card URL of a page, as a path on this server.
async function cardOf(p) {
  const { props } = await get(p);
  const [img] = value(props, 'og:image');
  assert.ok(img, `no og:image on ${p}`);
  const u = new URL(img);
  assert.equal(u.origin, srv.origin, img);
  return { url: img, path: u.pathname + u.search, props };
}

// A PNG's width and height, from its IHDR chunk.
function pngSize(buf) {
  assert.equal(buf.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'not a PNG');
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR');
  return [buf.readUInt32BE(16), buf.readUInt32BE(20)];
}

const idOf = (p) => /\/smo\/card\/([A-Za-z0-9_-]{22})\.png\?/.exec(p)[1];
const count = (log, re) => (log.match(re) || []).length;

describe('SMOCard: the og:image of a page without one', () => {
  it('a page without og:image gets the card, 1200x630 image/png, and the large card on X', async () => {
    const { res, props, html } = await get('/tea/short.html');
    const [img] = value(props, 'og:image');
    assert.match(img, new RegExp(`^${srv.origin}/smo/card/[A-Za-z0-9_-]{22}\\.png\\?t=Brewing%20green%20tea%3A%20why%20the%20water%20temperature%20matters&s=The%20Tea%20Journal&h=127\\.0\\.0\\.1$`));
    assert.deepEqual(value(props, 'og:image:width'), ['1200']);
    assert.deepEqual(value(props, 'og:image:height'), ['630']);
    assert.deepEqual(value(props, 'og:image:type'), ['image/png']);
    assert.deepEqual(value(props, 'twitter:card'), ['summary_large_image']);
    // Inserted only: the page is otherwise the page.
    const r = judgeInsertions(Buffer.from(FILES['tea/short.html']), res.body);
    assert.equal(r.bytes, '', html);
  });

  it('the card shows og:title and og:site_name as the page declares them', async () => {
    const { path: p } = await cardOf('/tea/own-title.html');
    assert.match(p, /\?t=Sencha%20%26%20matcha&s=Leaf%20Journal&h=/);
  });

  it('a page with its own og:image, a page without a title and SMOCard Off get no card', async () => {
    for (const p of ['/tea/with-image.html', '/tea/no-title.html', '/off/page.html']) {
      const { props, html } = await get(p);
      assert.ok(!html.includes('/smo/card/'), `${p}: ${html}`);
      assert.ok(value(props, 'og:image:width').length === 0, p);
    }
    assert.deepEqual(value((await get('/tea/with-image.html')).props, 'twitter:card'), ['summary_large_image']);
    assert.deepEqual(value((await get('/off/page.html')).props, 'twitter:card'), ['summary']);
    assert.match(srv.errorLog(), /SMO: no card for \/tea\/no-title\.html: the page has no title/);
  });

  it('the same page gives the same card URL every time (the plan cache replays it)', async () => {
    const a = (await cardOf('/tea/short.html')).url;
    const b = (await cardOf('/tea/short.html')).url;
    const c = (await cardOf('/tea/short.html')).url;
    assert.equal(a, b);
    assert.equal(b, c);
  });
});

describe('the smo-card handler', () => {
  const saved = {};

  it('serves each card as a 1200x630 PNG, immutable, with ETag and Content-Length', async () => {
    fs.mkdirSync(SAVE_DIR, { recursive: true });
    for (const name of Object.keys(TITLES)) {
      const { path: p } = await cardOf(`/tea/${name}.html`);
      const res = await srv.get(p);
      assert.equal(res.status, 200, `${name}: ${res.body}`);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
      assert.equal(res.headers.etag, `"${idOf(p)}"`);
      assert.equal(Number(res.headers['content-length']), res.body.length);
      assert.deepEqual(pngSize(res.body), [1200, 630]);
      fs.writeFileSync(path.join(SAVE_DIR, `${name}.png`), res.body);
      saved[name] = { p, body: res.body };
    }
    // Different titles, different cards; the Japanese one is no blank
    // or tofu copy of another (its size differs from all of them).
    const bodies = Object.values(saved).map((s) => s.body.toString('base64'));
    assert.equal(new Set(bodies).size, bodies.length);
    const log = srv.errorLog();
    for (const name of Object.keys(TITLES)) {
      const id = idOf(saved[name].p);
      assert.match(log, new RegExp(`SMO: card ${id} rendered in [0-9.]+ ms`), name);
    }
    assert.match(log, new RegExp(`SMO: card ${idOf(saved.long.p)} rendered in [0-9.]+ ms \\(\\d+ bytes, [1-4] lines at \\d+ px, ellipsised\\)`));
    assert.doesNotMatch(log, /characters of its text are in no installed font/);
  });

  it('renders a card once: the next requests are served from memory or the card directory', async () => {
    const { p, body } = saved.short;
    const id = idOf(p);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) {
      const res = await srv.get(p);
      assert.equal(res.status, 200);
      assert.ok(res.body.equals(body), 'the same bytes every time');
    }
    const perServe = (performance.now() - t0) / 20;
    const log = srv.errorLog();
    assert.equal(count(log, new RegExp(`SMO: card ${id} rendered`, 'g')), 1, 'rendered more than once');
    assert.ok(count(log, new RegExp(`SMO: card ${id} (served from memory|read from )`, 'g')) >= 20);
    const ms = Number(new RegExp(`SMO: card ${id} rendered in ([0-9.]+) ms`).exec(log)[1]);
    // The figures, for the closing note (not a timed test).
    console.log(`# card render ${ms.toFixed(1)} ms; cached serve ${perServe.toFixed(2)} ms per request (HTTP round trip included)`);
    // Kept on disk, whole, under its id; the key file is the parent's only.
    const kept = fs.readFileSync(path.join(cardDir, `${id}.png`));
    assert.ok(kept.equals(body));
    const key = fs.statSync(path.join(cardDir, 'card.key'));
    assert.equal(key.mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(cardDir).filter((f) => f.startsWith('.')), [], 'temporary files left');
  });

  it('a burst of requests for new cards: each rendered at most once per child, every answer the same PNG', async () => {
    const paths = [];
    for (let i = 1; i <= 5; i++) paths.push((await cardOf(`/burst/${i}.html`)).path);
    // 8 requests for each card at once, across the threads of both children.
    const answers = await Promise.all(paths.flatMap((p) => Array.from({ length: 8 }, () => srv.get(p))));
    answers.forEach((a) => assert.equal(a.status, 200));
    const log = srv.errorLog();
    paths.forEach((p, i) => {
      const mine = answers.slice(i * 8, i * 8 + 8);
      mine.forEach((a) => assert.ok(a.body.equals(mine[0].body), 'two answers for one card differ'));
      assert.deepEqual(pngSize(mine[0].body), [1200, 630]);
      const renders = count(log, new RegExp(`SMO: card ${idOf(p)} rendered`, 'g'));
      // Two child processes (lib/apache.mjs): one render each at most;
      // the threads of a child wait for its render.
      assert.ok(renders >= 1 && renders <= 2, `card ${i + 1} rendered ${renders} times`);
    });
  });

  it('answers If-None-Match with 304 and HEAD without a body', async () => {
    const { p } = saved.short;
    const etag = `"${idOf(p)}"`;
    const nm = await srv.get(p, { headers: { 'If-None-Match': etag } });
    assert.equal(nm.status, 304);
    assert.equal(nm.headers.etag, etag);
    assert.equal(nm.body.length, 0);
    const head = await srv.get(p, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], 'image/png');
    assert.equal(Number(head.headers['content-length']), saved.short.body.length);
    assert.equal(head.body.length, 0);
    const post = await srv.get(p, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  it('refuses with 403, rendering nothing, a card URL its filter did not make', async () => {
    const { p } = saved.short;
    const before = count(srv.errorLog(), /SMO: card \S+ rendered/g);
    const other = idOf(saved.japanese.p);
    const tampered = [
      p.replace('t=Brewing', 't=Buying'),                       // another title
      p.replace('s=The%20Tea%20Journal', 's=Evil%20Corp'),      // another site
      p.replace(/&h=[^&]*$/, ''),                               // host removed
      p.replace(idOf(p), other),                                // another card's id
      p.replace(idOf(p), `${idOf(p).slice(0, 21)}${idOf(p)[21] === 'A' ? 'B' : 'A'}`),
      `${p}&x=1`,                                               // an extra parameter
      p.replace('.png?', '.jpg?'),
      '/smo/card/',
      '/smo/card/AAAAAAAAAAAAAAAAAAAAAA.png?t=Free%20money',
    ];
    for (const u of tampered) {
      const res = await srv.get(u);
      assert.equal(res.status, 403, u);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', u);
      assert.equal(res.headers['cache-control'], 'no-store', u);
    }
    const log = srv.errorLog();
    assert.equal(count(log, /SMO: card \S+ rendered/g), before, 'a refused URL was rendered');
    assert.ok(count(log, /SMO: card refused: /g) >= tampered.length);
    assert.match(log, /SMO: card refused: the id does not match the texts/);
    assert.doesNotMatch(log, /Buying|Evil|Free money/, 'refused texts are not logged');
  });
});

describe('a second server sharing the card directory', () => {
  let other;
  before(async () => { other = await start({ conf, files: FILES }); });
  after(async () => { await other?.stop(); });

  it('signs alike and serves the kept card without rendering it', async () => {
    const mine = await cardOf('/tea/short.html');
    const res = await other.get('/tea/short.html');
    const theirs = /<meta property="og:image" content="([^"]+)"/.exec(res.body.toString("utf8"))[1].replace(/&amp;/g, "&");
    const p = new URL(theirs).pathname + new URL(theirs).search;
    assert.equal(p, mine.path, 'same key, same look, same URL');
    const card = await other.get(p);
    assert.equal(card.status, 200);
    assert.ok(card.body.equals(fs.readFileSync(path.join(cardDir, `${idOf(p)}.png`))));
    const log = other.errorLog();
    assert.match(log, new RegExp(`SMO: card ${idOf(p)} read from .* in [0-9.]+ ms`));
    assert.doesNotMatch(log, /SMO: card \S+ rendered/);
  });
});
