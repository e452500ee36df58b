// Covers: the click log (SPEC section 5).  A real apache2 with mod_smo and
// the shipped conf/smo-click.conf: every refusal is a 400 that never
// reaches the click log; the log's quoted fields read back byte for byte;
// nothing is lost under load or across a graceful restart; and every
// recipe of the click-log documentation (awk/sort/uniq, GoAccess, %a,
// rotatelogs, shipping to a central rsyslog) is run as written against a
// log the server just wrote.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

import { start } from './lib/apache.mjs';
import { parseClickLine, readLines, settle, runAb } from './lib/clicklog.mjs';
import { missing } from './lib/tools.mjs';
import { recipe, sh, uniqCounts } from './lib/recipes.mjs';

const TOP = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHIPPED_CONF = path.join(TOP, 'conf', 'smo-click.conf');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tally(keys) {
  const counts = {};
  for (const k of keys) counts[k] = (counts[k] || 0) + 1;
  return counts;
}

function tmpDir(tag) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `smo-click-${tag}-`));
  fs.chmodSync(d, 0o755);
  return d;
}
function rmTmp(d) {
  if (d && !process.env.SMO_KEEP_TMP) fs.rmSync(d, { recursive: true, force: true });
}

// The site: own hosts www.example.com and example.com, one allowed host.
const OWN = 'https://www.example.com';
function siteConf(logDir, extra = '') {
  return `
Define APACHE_LOG_DIR ${logDir}
LogLevel warn smo:info
<VirtualHost *>
    ServerName www.example.com
    ServerAlias example.com
</VirtualHost>
SMOShare x facebook linkedin
SMOClickAllowHost blog.example.org
Include ${SHIPPED_CONF}
${extra}
`;
}

const enc = encodeURIComponent;
const click = (n, u) => `/smo/click?n=${enc(n)}&u=${enc(u)}`;

// Raw bytes to the server (headers Node's client refuses to send).
function rawRequest(port, head) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const s = net.connect({ port, host: '127.0.0.1' }, () => s.write(head));
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), text });
    });
    s.on('error', reject);
    s.setTimeout(10000, () => s.destroy(new Error('no answer')));
  });
}

describe('refused clicks: 400 (405 for POST), the reason in the error log, nothing in the click log', () => {
  let srv;
  let logs;
  const clickLog = () => path.join(logs, 'smo_click.log');
  const accessCount = () => readLines(path.join(srv.dir, 'logs', 'access.log')).length;
  let requests = 0;

  before(async () => {
    logs = tmpDir('refuse');
    srv = await start({ conf: siteConf(logs, recipe('log of refused clicks')) });
  });
  after(async () => { await srv?.stop(); rmTmp(logs); });

  const LONG_PATH = '/' + 'a'.repeat(2100);
  const cases = [
    ['unknown network', `/smo/click?n=myspace&u=${enc(OWN + '/')}`, 'unknown-network'],
    ['network no section applying to the handler defines', click('digg', OWN + '/'), 'unknown-network'],
    ['foreign host', click('x', 'https://evil.example/'), 'foreign-host'],
    ['foreign host ending like an own host', click('x', 'https://evilwww.example.com/'), 'foreign-host'],
    ['javascript:', click('x', 'javascript:alert(1)'), 'bad-scheme'],
    ['data:', click('x', 'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='), 'bad-scheme'],
    ['ftp:', click('x', 'ftp://www.example.com/'), 'bad-scheme'],
    ['scheme-relative //host', click('x', '//evil.example/'), 'bad-scheme'],
    ['relative path', click('x', '/boots.html'), 'not-absolute'],
    ['userinfo own@evil', click('x', 'https://www.example.com@evil.example/'), 'userinfo'],
    ['userinfo evil@own', click('x', 'https://evil.example@www.example.com/'), 'userinfo'],
    ['%40 userinfo', click('x', 'https://www.example.com%40evil.example/'), 'userinfo'],
    ['backslash (encoded)', click('x', 'https://evil.example\\@www.example.com/'), 'bad-char'],
    ['backslash in the path', click('x', 'https://www.example.com\\evil.example/'), 'bad-char'],
    ['IDN look-alike, raw UTF-8 host', click('x', 'https://www.ex\u0430mple.com/'), 'bad-host'],
    ['IDN look-alike, xn-- host', click('x', 'https://www.xn--exmple-4nf.com/'), 'foreign-host'],
    ['encoded LF', `/smo/click?n=x&u=${enc(OWN + '/a')}%0AX-Evil:%201`, 'bad-char'],
    ['encoded CR', `/smo/click?n=x&u=${enc(OWN + '/a')}%0D%0A`, 'bad-char'],
    ['encoded NUL', `/smo/click?n=x&u=${enc(OWN + '/a')}%00`, 'bad-char'],
    ['encoded quote', click('x', OWN + '/"onmouseover="x'), 'bad-char'],
    ['encoded space', click('x', OWN + '/a b'), 'bad-char'],
    ['overlong u', click('x', OWN + LONG_PATH), 'too-long'],
    ['overlong query', `/smo/click?n=x&u=${enc(OWN + '/')}&pad=${'p'.repeat(4100)}`, 'too-long'],
    ['overlong n', click('x'.repeat(40), OWN + '/'), 'too-long'],
    ['bad percent-encoding %zz', `/smo/click?n=x&u=${enc(OWN + '/')}%zz`, 'bad-encoding'],
    ['truncated percent-encoding', `/smo/click?n=x&u=${enc(OWN + '/')}%4`, 'bad-encoding'],
    ['missing n', `/smo/click?u=${enc(OWN + '/')}`, 'missing-n'],
    ['empty n', `/smo/click?n=&u=${enc(OWN + '/')}`, 'missing-n'],
    ['missing u', '/smo/click?n=x', 'missing-u'],
    ['no query at all', '/smo/click', 'missing-n'],
    ['u given twice', `/smo/click?n=x&u=${enc(OWN + '/')}&u=${enc('https://evil.example/')}`, 'duplicate-param'],
  ];

  for (const [name, url, reason] of cases) {
    it(`${name}: 400 ${reason}`, async () => {
      const before = srv.errorLog().length;
      const res = await srv.get(url);
      requests++;
      assert.equal(res.status, 400, `${url}: ${res.status} ${res.headers.location ?? ''}`);
      assert.match(res.headers['content-type'], /^text\/plain\b/);
      assert.equal(res.headers.location, undefined);
      assert.ok(res.body.length > 0 && !res.body.includes('evil'), `body: ${res.body}`);
      const added = srv.errorLog().slice(before);
      assert.match(added, new RegExp(`\\[smo:info\\].*click refused: ${reason}\\b`), added);
      // The error log never holds the refused URL either.
      assert.ok(!/evil\.example|alert|xn--/.test(added), added);
    });
  }

  it('POST: 405 with Allow, reason "method"', async () => {
    const before = srv.errorLog().length;
    const res = await srv.get(click('x', OWN + '/'), { method: 'POST' });
    requests++;
    assert.equal(res.status, 405);
    assert.match(res.headers.allow, /GET/);
    assert.match(res.headers['content-type'], /^text\/plain\b/);
    assert.match(srv.errorLog().slice(before), /\[smo:info\].*click refused: method/);
  });

  it('HEAD of a valid click: 302 but no click logged', async () => {
    const res = await srv.get(click('x', OWN + '/head.html'), { method: 'HEAD' });
    requests++;
    assert.equal(res.status, 302);
  });

  it('none of them is in the click log; each is in the refusal log with its reason', async () => {
    // A valid click last: once the access log has every request, the click
    // log holds exactly the clicks that were logged.
    const res = await srv.get(click('facebook', OWN + '/ok.html'));
    requests++;
    assert.equal(res.status, 302);
    assert.equal(await settle(accessCount, requests), requests);
    const lines = readLines(clickLog());
    assert.equal(lines.length, 1, lines.join('\n'));
    const c = parseClickLine(lines[0]);
    assert.equal(c.network, 'facebook');
    assert.equal(c.url, `${OWN}/ok.html`);

    const refused = readLines(path.join(logs, 'smo_click_refused.log'));
    // Each request logs after its answer has gone: compare as multisets.
    const reasons = refused.map((l) => l.split(' ')[2]);
    assert.deepEqual(reasons.sort(), [...cases.map((c) => c[2]), 'method'].sort());
  });
});

describe('log escaping: one line per click, fields read back byte for byte', () => {
  let srv;
  let logs;
  const sent = [];

  before(async () => {
    logs = tmpDir('esc');
    // Unsafe lets control characters through in header values, as some
    // front ends do; the default (Strict) refuses them with 400.
    srv = await start({ conf: siteConf(logs, 'HttpProtocolOptions Unsafe') });
  });
  after(async () => { await srv?.stop(); rmTmp(logs); });

  const nasty = [
    ['quotes', Buffer.from('"><script>alert("x")</script>')],
    ['backslashes', Buffer.from('C:\\temp\\ \\" \\\\x41')],
    ['a fake log line', Buffer.from('" "-"\n2025-01-01T00:00:00+0000 x "https://www.example.com/fake" "-" "-')],
    ['tab and control characters', Buffer.from('a\tb\x01c\x1b[31mred\x7fd\x08')],
    ['UTF-8 and a broken byte', Buffer.concat([Buffer.from('caf\u00e9 \u2603 '), Buffer.from([0xff, 0xc3])])],
  ];

  it('every click is one line whose fields are what was sent', async () => {
    let i = 0;
    for (const [, bytes] of nasty) {
      for (const where of ['referer', 'ua']) {
        i++;
        const page = `${OWN}/esc/${i}.html`;
        // A header cannot hold a raw LF: it would end the header.  CR/LF
        // are sent as obs-fold-free bytes by splitting them out.
        const value = Buffer.from(bytes.toString('latin1').replace(/[\r\n]/g, ''), 'latin1');
        const referer = where === 'referer' ? value : Buffer.from(page);
        const ua = where === 'ua' ? value : Buffer.from('test-agent/1.0');
        const head = Buffer.concat([
          Buffer.from(`GET ${click('x', page)} HTTP/1.1\r\nHost: www.example.com\r\nConnection: close\r\nReferer: `),
          referer, Buffer.from('\r\nUser-Agent: '), ua, Buffer.from('\r\n\r\n'),
        ]);
        const res = await rawRequest(srv.port, head);
        assert.equal(res.status, 302, res.text);
        sent.push({ page, referer, ua });
      }
    }
    // Accepted URLs that look odd: an encoded %0A stays "%0A" in the URL
    // (decoded once only), non-ASCII is percent-encoded in the log.
    for (const [u, canon] of [
      [`${OWN}/a%0Ab`, `${OWN}/a%0Ab`],
      [`${OWN}/caf\u00e9.html`, `${OWN}/caf%C3%A9.html`],
      ['HTTPS://WWW.Example.COM./p?utm_source=news&id=7', `${OWN}/p?id=7`],
    ]) {
      const res = await srv.get(click('twitter', u), { headers: { 'user-agent': 'ua' } });
      assert.equal(res.status, 302, u);
      sent.push({ page: canon, referer: Buffer.from('-'), ua: Buffer.from('ua'), network: 'x' });
    }

    const file = path.join(logs, 'smo_click.log');
    assert.equal(await settle(() => readLines(file).length, sent.length), sent.length);
    const lines = readLines(file);
    // Only printable ASCII: no line can break or colour a terminal.
    for (const l of lines) assert.match(l, /^[\x20-\x7e]+$/, JSON.stringify(l));
    const got = lines.map((l) => {
      const c = parseClickLine(l);
      assert.ok(c, `not a click line: ${l}`);
      return c;
    });
    // One line per click, in any order (each request its own line).
    const key = (x) => `${x.page ?? x.url} ${(x.referer).toString('hex')} ${(x.ua ?? x.userAgent).toString('hex')}`;
    assert.deepEqual(got.map((c) => key({ url: c.url, referer: c.referer, userAgent: c.userAgent })).sort(),
      sent.map((s) => key(s)).sort());
    for (const c of got) {
      assert.match(c.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}$/);
      assert.equal(c.network, 'x');
    }
  });

  it('with the default HttpProtocolOptions, control characters in a header are refused before any click', async () => {
    fs.mkdirSync(path.join(logs, 'strict'));
    const srv2 = await start({ conf: siteConf(path.join(logs, 'strict')) });
    try {
      const res = await rawRequest(srv2.port, Buffer.from(
        `GET ${click('x', OWN + '/')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nUser-Agent: a\x01b\r\n\r\n`, 'latin1'));
      assert.equal(res.status, 400);
      await sleep(300);
      assert.deepEqual(readLines(path.join(logs, 'strict', 'smo_click.log')), []);
    } finally {
      await srv2.stop();
    }
  });
});

describe('nothing lost under load', { skip: missing('ab') }, () => {
  let srv;
  let logs;
  const file = () => path.join(logs, 'smo_click.log');
  const access = () => readLines(path.join(srv.dir, 'logs', 'access.log'));
  const N = 5000;

  before(async () => {
    logs = tmpDir('load');
    srv = await start({ conf: siteConf(logs, 'LogLevel warn smo:info mpm_event:notice\nRedirect 302 /r https://x.com/') });
  });
  after(async () => { await srv?.stop(); rmTmp(logs); });

  const url = () => `${srv.origin}${click('linkedin', OWN + '/load.html')}`;

  it(`ab -n ${N} -c 50: ${N} redirects, ${N} lines`, async () => {
    const ab = await runAb(['-n', String(N), '-c', '50', url()]);
    assert.equal(ab.code, 0, ab.stderr + ab.stdout);
    assert.equal(ab.complete, N);
    assert.equal(ab.failed, 0, ab.stdout);
    assert.equal(ab.non2xx, N); // every answer a 302
    assert.equal(await settle(() => readLines(file()).length, N), N);
    assert.equal(access().filter((l) => / 302 \d+$/.test(l)).length, N);
    for (const l of readLines(file())) assert.equal(parseClickLine(l)?.network, 'linkedin', l);
  });

  it(`ab -n ${N} -c 50 with two graceful restarts in the middle: still ${N} more lines, none failed`, async () => {
    const before = readLines(file()).length;
    const accessBefore = access().length;
    const errBefore = srv.errorLog().length;
    const run = runAb(['-n', String(N), '-c', '50', url()]);
    for (const at of [N / 3, (2 * N) / 3]) {
      const deadline = Date.now() + 30000;
      while (access().length - accessBefore < at && Date.now() < deadline) await sleep(10);
      process.kill(srv.pid, 'SIGUSR1'); // apache2 -k graceful
    }
    const ab = await run;
    assert.equal(ab.code, 0, ab.stderr + ab.stdout);
    assert.equal(ab.complete, N);
    assert.equal(ab.failed, 0, ab.stdout);
    assert.equal(ab.non2xx, N);
    assert.equal(await settle(() => readLines(file()).length, before + N), before + N);
    const restarts = srv.errorLog().slice(errBefore).match(/SIGUSR1 received/g) || [];
    assert.equal(restarts.length, 2, srv.errorLog().slice(errBefore));
  });

  it('clicks per second next to a plain Redirect (reported, not asserted)', async (t) => {
    const before = readLines(file()).length;
    const rate = { click: [], redirect: [] };
    for (let round = 0; round < 2; round++) {
      for (const [kind, u] of [['redirect', `${srv.origin}/r`], ['click', url()]]) {
        const ab = await runAb(['-n', String(N), '-c', '50', u]);
        assert.equal(ab.failed, 0, ab.stdout);
        assert.equal(ab.non2xx, N);
        rate[kind].push(ab.rps);
      }
    }
    assert.equal(await settle(() => readLines(file()).length, before + 2 * N), before + 2 * N);
    const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
    const msg = `click ${rate.click.join(', ')} req/s; Redirect ${rate.redirect.join(', ')} req/s; `
      + `ratio click/Redirect ${(mean(rate.click) / mean(rate.redirect)).toFixed(2)}`;
    t.diagnostic(msg);
    if (process.env.SMO_BENCH_OUT) fs.writeFileSync(process.env.SMO_BENCH_OUT, msg + '\n');
  });
});

describe('the documented recipes, run as written against a real click log', { skip: missing('rotatelogs') }, () => {
  let srv;
  let logs;
  const expected = { network: {}, page: {}, pageNetwork: {} };
  let total = 0;
  const days = new Set();
  // The server's local day: apache2 runs without TZ (lib/apache.mjs).
  const localDay = () => execFileSync('date', ['+%Y-%m-%d'], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim();

  before(async () => {
    logs = tmpDir('recipes');
    const extra = [
      recipe('click log for GoAccess'),
      recipe('daily click logs with rotatelogs'),
    ].join('\n');
    srv = await start({ conf: siteConf(logs, extra) });
    days.add(localDay());
    // 200 clicks: uneven over networks and pages, some URLs in forms the
    // handler canonicalises (case, trailing dot, tracking parameters).
    // 40% x, 30% facebook, 20% linkedin, 10% twitter (logged as x).
    const netOf = (i) => ['x', 'x', 'x', 'x', 'facebook', 'facebook', 'facebook', 'linkedin', 'linkedin', 'twitter'][i % 10];
    const pages = [
      ['/', `${OWN}/`],
      ['/boots.html', `${OWN}/boots.html`],
      ['/boots.html?utm_source=mail&utm_medium=x', `${OWN}/boots.html`],
      ['/shop/?id=42', `${OWN}/shop/?id=42`],
    ];
    const hosts = ['https://www.example.com', 'HTTPS://WWW.EXAMPLE.COM.', 'https://example.com', 'https://blog.example.org'];
    const agents = ['Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1'];
    for (let i = 0; i < 200; i++) {
      const net = netOf(i);
      const [p, canonOwn] = pages[(i * 7 + (i >> 3)) % 4];
      const host = hosts[i % 3 === 0 ? 0 : i % 4];
      const u = host + p;
      const canon = host === 'https://example.com' ? canonOwn.replace(OWN, 'https://example.com')
        : host === 'https://blog.example.org' ? canonOwn.replace(OWN, host) : canonOwn;
      const res = await srv.get(click(net, u), { headers: { 'user-agent': agents[i % 2], referer: canon } });
      assert.equal(res.status, 302, `${u}: ${res.body}`);
      const n = net === 'twitter' ? 'x' : net;
      expected.network[n] = (expected.network[n] || 0) + 1;
      expected.page[canon] = (expected.page[canon] || 0) + 1;
      expected.pageNetwork[`${n} ${canon}`] = (expected.pageNetwork[`${n} ${canon}`] || 0) + 1;
      total++;
    }
    days.add(localDay());
    assert.equal(await settle(() => readLines(path.join(logs, 'smo_click.log')).length, total), total);
  });
  after(async () => { await srv?.stop(); rmTmp(logs); });

  it('clicks per network', () => {
    assert.deepEqual(uniqCounts(sh(recipe('clicks per network'), logs)), expected.network);
    assert.deepEqual(expected.network, { x: 100, facebook: 60, linkedin: 40 });
  });

  it('clicks per page', () => {
    assert.deepEqual(uniqCounts(sh(recipe('clicks per page'), logs)), expected.page);
  });

  it('clicks per day', () => {
    const counts = uniqCounts(sh(recipe('clicks per day'), logs));
    assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), total);
    for (const day of Object.keys(counts)) assert.ok(days.has(day), `${day} not in ${[...days]}`);
  });

  it('clicks per page and network', () => {
    assert.deepEqual(uniqCounts(sh(recipe('clicks per page and network'), logs)), expected.pageNetwork);
  });

  it('clicks per network over rotated (and gzipped) logs', () => {
    const dir = tmpDir('rotated');
    try {
      const text = fs.readFileSync(path.join(logs, 'smo_click.log'));
      fs.writeFileSync(path.join(dir, 'smo_click.log'), text);
      fs.writeFileSync(path.join(dir, 'smo_click.log.1'), text);
      fs.writeFileSync(path.join(dir, 'smo_click.log.2.gz'), zlib.gzipSync(text));
      const want = Object.fromEntries(Object.entries(expected.network).map(([k, v]) => [k, 3 * v]));
      assert.deepEqual(uniqCounts(sh(recipe('clicks per network, all rotated logs'), dir)), want);
    } finally { rmTmp(dir); }
  });

  it('rotatelogs: the clicks land in the dated file, whole', () => {
    const dated = fs.readdirSync(logs).filter((f) => /^smo_click\.\d{4}-\d\d-\d\d\.log$/.test(f));
    assert.ok(dated.length >= 1 && dated.every((f) => days.has(f.slice(10, 20))), dated.join(' '));
    const lines = dated.flatMap((f) => readLines(path.join(logs, f)));
    assert.deepEqual(lines.sort(), readLines(path.join(logs, 'smo_click.log')).sort());
  });

  it('GoAccess counts clicks per network and per page', { skip: missing('goaccess') }, () => {
    sh(recipe('GoAccess report'), logs);
    assert.ok(fs.statSync(path.join(logs, 'report.html')).size > 1000);
    const report = JSON.parse(fs.readFileSync(path.join(logs, 'report.json'), 'utf8'));
    assert.equal(report.general.total_requests, total);
    assert.equal(report.general.failed_requests, 0);
    const panel = (p) => Object.fromEntries(report[p].data.map((d) => [d.data, d.hits.count]));
    assert.deepEqual(panel('requests'),
      Object.fromEntries(Object.entries(expected.network).map(([k, v]) => [`/smo/click/${k}`, v])));
    assert.deepEqual(panel('referrers'), expected.page);
  });
});

describe('recipe: adding the client address with %a', () => {
  it('logs 127.0.0.1 last; the other recipes keep working', async () => {
    const logs = tmpDir('addr');
    // The documented lines replace the shipped CustomLog, not add to it.
    const srv = await start({
      conf: siteConf(logs).replace(/^Include .*$/m, '<Location "/smo/click">\n SetHandler smo-click\n</Location>')
        + recipe('click log with the client address'),
    });
    try {
      for (const n of ['x', 'x', 'facebook']) assert.equal((await srv.get(click(n, OWN + '/a'))).status, 302);
      const file = path.join(logs, 'smo_click.log');
      assert.equal(await settle(() => readLines(file).length, 3), 3);
      for (const l of readLines(file)) assert.equal(parseClickLine(l)?.client, '127.0.0.1', l);
      assert.deepEqual(uniqCounts(sh(recipe('clicks per network'), logs)), { x: 2, facebook: 1 });
      assert.deepEqual(uniqCounts(sh("awk '{print $NF}' smo_click.log | sort | uniq -c", logs)), { '127.0.0.1': 3 });
    } finally { await srv.stop(); rmTmp(logs); }
  });
});

describe('recipe: many servers shipping clicks to one rsyslog', { skip: missing('rsyslogd', 'logger') }, () => {
  it('two servers, one central log that the recipes read', async () => {
    const central = tmpDir('central');
    const port = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    });
    const rsConf = `global(workDirectory="${central}")\n` + recipe('central rsyslog server for the click logs')
      .replace('port="514"', `port="${port}"`)
      .replace('/var/log/smo_click.log', `${central}/smo_click.log`);
    fs.writeFileSync(path.join(central, 'rsyslog.conf'), rsConf);
    // rsyslog comes from scripts/deps.sh; without it this test is skipped.
    execFileSync('rsyslogd', ['-N1', '-f', path.join(central, 'rsyslog.conf')], { stdio: 'pipe' });
    const rsyslogd = spawn('rsyslogd', ['-n', '-f', path.join(central, 'rsyslog.conf'), '-i', path.join(central, 'pid')],
      { stdio: 'ignore' });
    const servers = [];
    const logsDirs = [];
    try {
      for (let i = 0; i < 50 && !(await new Promise((r) => {
        const s = net.connect({ port, host: '127.0.0.1' }, () => { s.destroy(); r(true); });
        s.on('error', () => r(false));
      })); i++) await sleep(100);
      const ship = recipe('ship clicks to a central syslog server')
        .replace('--server logs.example.com', '--server 127.0.0.1').replace('--port 514', `--port ${port}`);
      const want = {};
      let sentTotal = 0;
      for (const [k, clicks] of [[0, ['x', 'facebook', 'x']], [1, ['linkedin', 'x', 'facebook', 'facebook']]]) {
        const logs = tmpDir(`ship${k}`);
        logsDirs.push(logs);
        const srv = await start({ conf: siteConf(logs, ship) });
        servers.push(srv);
        for (const n of clicks) {
          const res = await srv.get(click(n, `${OWN}/from-${k}.html`), { headers: { 'user-agent': 'ua "q" \\ ' } });
          assert.equal(res.status, 302);
          want[n] = (want[n] || 0) + 1;
          sentTotal++;
        }
      }
      const file = path.join(central, 'smo_click.log');
      assert.equal(await settle(() => readLines(file).length, sentTotal), sentTotal);
      // Each central line is exactly a line of one server's own click log.
      const local = logsDirs.flatMap((d) => readLines(path.join(d, 'smo_click.log')));
      assert.deepEqual(readLines(file).sort(), local.sort());
      assert.deepEqual(uniqCounts(sh(recipe('clicks per network'), central)), want);
    } finally {
      for (const s of servers) await s.stop();
      rsyslogd.kill('SIGTERM');
      await new Promise((r) => rsyslogd.once('exit', r));
      for (const d of logsDirs) rmTmp(d);
      rmTmp(central);
    }
  });
});
