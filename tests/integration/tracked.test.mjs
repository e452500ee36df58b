// Covers: with SMOTrackClicks On every share link the filter
// writes works (SPEC 5).  Each tracked link a page carries is followed
// through the real click handler and must be a 302 to its network; a link
// the handler would refuse (a network defined only in an inner section, or
// redefined there, a page whose own canonical is on another host) is
// written as a direct link to the network instead.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { start } from './lib/apache.mjs';

const CONF = `
SMOEngine On
<Location "/smo/click">
    SetHandler smo-click
</Location>
SMOShare x facebook
SMOTrackClicks On
SMONetwork everywhere "https://everywhere.example/share?u={url}" "Everywhere"
<Location "/blog/">
    SMONetwork digg "https://digg.com/submit?url={url}" "Digg"
    SMOShare digg x linkedin everywhere
</Location>
<Location "/redef/">
    SMONetwork x "https://share.example.org/post?u={url}" "Ex"
    SMOShare x facebook
</Location>
<Location "/mast/">
    SMOMastodonInstance mastodon.social
    SMOShare mastodon x
</Location>
<Location "/nohandler/">
    SMOClickURL /no/click/here
</Location>
`;

const page = (head = '') => `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Digging</title>${head}</head>
<body><p>Text.</p></body></html>
`;

const FILES = {
  'blog/post.html': page(),
  'blog/offsite.html': page('<link rel="canonical" href="https://elsewhere.example/story">'),
  'redef/post.html': page(),
  'mast/post.html': page(),
  'nohandler/post.html': page(),
};

// Where each network's share page is.
const HOSTS = {
  x: /^(www\.)?x\.com$/,
  facebook: /(^|\.)facebook\.com$/,
  linkedin: /(^|\.)linkedin\.com$/,
  everywhere: /^everywhere\.example$/,
  digg: /^digg\.com$/,
  mastodon: /./,
};

let srv;
before(async () => { srv = await start({ conf: CONF, files: FILES }); });
after(async () => { await srv?.stop(); });

// The share links of a page: [{name, href}].
async function shareLinks(p) {
  const res = await srv.get(p);
  assert.equal(res.status, 200);
  const text = res.body.toString();
  return [...text.matchAll(/<a class="smo-share-link smo-share-([\w-]+)" href="([^"]*)"/g)]
    .map((m) => ({ name: m[1], href: m[2].replace(/&amp;/g, '&') }));
}

// Follow every link: a tracked one through the handler (302 to the
// network), a direct one straight to the network.  Returns the names of
// the tracked and the direct ones.
async function followAll(p, hosts = {}) {
  const links = await shareLinks(p);
  assert.ok(links.length > 0, `${p}: no share links`);
  const tracked = [];
  const direct = [];
  for (const { name, href } of links) {
    let target;
    if (href.startsWith('/smo/click?')) {
      const res = await srv.get(href);
      assert.equal(res.status, 302, `${p}: ${name}: ${href} answered ${res.status} ${res.body}`);
      target = new URL(res.headers.location);
      tracked.push(name);
    } else {
      target = new URL(href);
      direct.push(name);
    }
    assert.match(target.hostname, hosts[name] || HOSTS[name], `${p}: ${name} goes to ${target}`);
  }
  return { tracked, direct };
}

describe('SMOTrackClicks On: every link the filter writes works', () => {
  it('a network defined only in an inner section gets a direct link; built-in ones and server-wide ones are tracked', async () => {
    const { tracked, direct } = await followAll('/blog/post.html');
    assert.deepEqual(direct, ['digg']);
    assert.deepEqual(tracked, ['x', 'linkedin', 'everywhere']);
    assert.match(srv.errorLog(), /share link digg goes direct.*unknown-network/);
  });

  it('a page whose own canonical is on another host gets direct links only', async () => {
    const links = await shareLinks('/blog/offsite.html');
    for (const { name, href } of links) {
      assert.ok(!href.startsWith('/smo/click'), `${name}: ${href}`);
      assert.ok(href.includes(encodeURIComponent('https://elsewhere.example/story')), href);
    }
    const { tracked } = await followAll('/blog/offsite.html');
    assert.deepEqual(tracked, []);
    assert.match(srv.errorLog(), /share link x goes direct.*foreign-host/);
  });

  it('a network redefined in an inner section is not sent to the handler\'s definition', async () => {
    const { tracked, direct } = await followAll('/redef/post.html', { x: /^share\.example\.org$/ });
    assert.deepEqual(direct, ['x']);
    assert.deepEqual(tracked, ['facebook']);
    const links = await shareLinks('/redef/post.html');
    assert.match(links[0].href, /^https:\/\/share\.example\.org\/post\?u=/);
  });

  it('mastodon on another instance than the handler\'s goes direct, to that instance', async () => {
    const { tracked, direct } = await followAll('/mast/post.html', { mastodon: /^mastodon\.social$/ });
    assert.deepEqual(direct, ['mastodon']);
    assert.deepEqual(tracked, ['x']);
    const links = await shareLinks('/mast/post.html');
    assert.equal(new URL(links[0].href).hostname, 'mastodon.social');
  });

  it('no smo-click handler at SMOClickURL: direct links', async () => {
    const { tracked, direct } = await followAll('/nohandler/post.html');
    assert.deepEqual(tracked, []);
    assert.deepEqual(direct, ['x', 'facebook']);
    assert.match(srv.errorLog(), /share links of \/nohandler\/post\.html go direct: no smo-click handler at SMOClickURL \/no\/click\/here/);
  });

  it('the handler knows the built-in networks and those defined at its location', async () => {
    const u = encodeURIComponent(`${srv.origin}/blog/post.html`);
    for (const n of ['linkedin', 'reddit', 'everywhere', 'twitter']) {
      const res = await srv.get(`/smo/click?n=${n}&u=${u}`);
      assert.equal(res.status, 302, n);
    }
    const res = await srv.get(`/smo/click?n=digg&u=${u}`);
    assert.equal(res.status, 400);
  });
});
