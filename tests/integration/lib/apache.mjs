// A real apache2 with mod_smo for the integration tests: an httpd.conf
// from scripts/httpd.conf.in in a fresh temp dir, started in the foreground as a child
// process, stopped by PID whatever the tests' outcome.
//
// Environment: SMO_BUILDDIR (where .libs/mod_smo.so is; default: the
// current directory), SMO_HTTPD (default /usr/sbin/apache2),
// SMO_MODULES_DIR (Apache's modules; default /usr/lib/apache2/modules),
// SMO_MPM (event, worker or prefork; default event),
// SMO_SANITIZED=1 when mod_smo.so was built with --enable-sanitizers: the
// stock apache2 is not instrumented, so the ASan and UBSan runtimes are
// preloaded (as gcc -print-file-name finds them; SMO_CC picks another
// compiler) with the dynamic loader's --preload rather than LD_PRELOAD:
// apache2's own children (piped loggers, CGI scripts) must not inherit
// them, and some programs (logger) hang with ASan preloaded.  Leak
// detection is off: a forking server's processes end in exit() with the
// configuration and child pools still allocated (by design: the OS
// reclaims them), so LeakSanitizer would report Apache's and APR's own
// allocations at every child's exit, drowning any real finding; mod_smo's
// memory lives on request pools, and harden.test.mjs checks that children
// stay flat under load instead.  A report (asan.PID, ubsan.PID under
// <tmpdir>/sanitizer/) makes stop() throw with the report in the message,
// so the test fails.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HTTPD = process.env.SMO_HTTPD || '/usr/sbin/apache2';
const MODULES_DIR = process.env.SMO_MODULES_DIR || '/usr/lib/apache2/modules';
const BUILDDIR = path.resolve(process.env.SMO_BUILDDIR || process.cwd());
const MOD_SMO = path.join(BUILDDIR, '.libs', 'mod_smo.so');

const MPMS = ['event', 'worker', 'prefork'];
/** The MPM every server of this run uses (SMO_MPM). */
export const MPM = process.env.SMO_MPM || 'event';
if (!MPMS.includes(MPM)) {
  throw new Error(`SMO_MPM=${MPM}: expected one of ${MPMS.join(', ')}`);
}
/** True when the module under test is the sanitizer build (SMO_SANITIZED=1). */
export const SANITIZED = process.env.SMO_SANITIZED === '1';

// The modules the tests rely on, loaded unless compiled in (`apache2 -l`).
const MODULES = [
  `mpm_${MPM}`, 'authz_core', 'mime', 'dir', 'cgid', 'include', 'deflate',
  'filter', 'headers', 'setenvif', 'alias', 'env', 'log_config', 'unixd',
];

let builtIn = null;
function compiledIn() {
  if (builtIn === null) {
    const out = execFileSync(HTTPD, ['-l'], { encoding: 'utf8' });
    builtIn = new Set([...out.matchAll(/mod_(\w+)\.c/g)].map((m) => m[1]));
  }
  return builtIn;
}

function isElf(file) {
  const fd = fs.openSync(file, 'r');
  try {
    const magic = Buffer.alloc(4);
    fs.readSync(fd, magic, 0, 4, 0);
    return magic.toString('latin1') === '\x7fELF';
  } finally { fs.closeSync(fd); }
}

let preload = null;
/** [loader, '--preload', runtimes]: the command prefix that runs apache2 sanitized. */
function sanitizerLauncher() {
  if (preload === null) {
    const cc = process.env.SMO_CC || 'gcc';
    preload = ['libasan.so', 'libubsan.so'].map((lib) => {
      const file = execFileSync(cc, [`-print-file-name=${lib}`], { encoding: 'utf8' }).trim();
      // Not found: the compiler echoes the bare name back.
      if (!path.isAbsolute(file) || !fs.existsSync(file)) {
        throw new Error(`SMO_SANITIZED=1 but ${cc} does not know where ${lib} is (${file})`);
      }
      return file;
    }).join(' ');
    const ldd = execFileSync('ldd', [HTTPD], { encoding: 'utf8' });
    const loader = /^\s*(\/\S*\/ld-linux[^\s]*)/m.exec(ldd);
    if (!loader) throw new Error(`SMO_SANITIZED=1: no dynamic loader in ldd ${HTTPD}:\n${ldd}`);
    preload = [loader[1], '--preload', preload];
  }
  return preload;
}

// What the MPM needs to stay small but serve a few dozen connections at
// once.  prefork has no threads: one child per connection.
function mpmConf() {
  if (MPM === 'prefork') {
    return [
      'StartServers 2',
      'MinSpareServers 1',
      'MaxSpareServers 8',
      'ServerLimit 48',
      'MaxRequestWorkers 48',
    ];
  }
  // Both children from the start: with one, the parent starts the second
  // a second later (too few spare threads), and a test that stops the
  // server just then meets Apache 2.4's event MPM crashing in a child's
  // start-up (apr_os_sock_get) during shutdown.
  return [
    'StartServers 2',
    'ServerLimit 2',
    'ThreadsPerChild 16',
    'MaxRequestWorkers 32',
  ];
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function portAnswers(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every server still running when the test process ends is stopped.
const running = new Set();
function killAll() {
  for (const srv of running) {
    try { process.kill(srv.pid, 'SIGTERM'); } catch { /* already gone */ }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAll(); process.kill(process.pid, sig); });
}

function writeFiles(root, files) {
  for (const [rel, spec] of Object.entries(files || {})) {
    const file = path.join(root, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    const { content, mode } =
      typeof spec === 'string' || Buffer.isBuffer(spec) ? { content: spec } : spec;
    fs.writeFileSync(file, content);
    fs.chmodSync(file, mode ?? 0o644);
    // An hour old: Apache makes the ETag of a file changed within the
    // last second weak, and the tests look at strong ETags.
    const then = new Date(Date.now() - 3600 * 1000);
    fs.utimesSync(file, then, then);
  }
}

// The httpd.conf template the tests, the benchmark and the demo share.
const TEMPLATE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'httpd.conf.in');

/** The template (without its header comment) with each @NAME@ replaced by values[NAME]. */
export function fillTemplate(values) {
  return fs.readFileSync(TEMPLATE, 'utf8').replace(/^(#[^\n]*\n)+/, '').replace(/@([A-Z_]+)@/g, (all, name) => {
    if (!(name in values)) throw new Error(`${TEMPLATE}: no value for ${all}`);
    return values[name];
  });
}

function httpdConf({ dir, port, extra, modules }) {
  const asRoot = process.getuid && process.getuid() === 0;
  const load = [...new Set([...MODULES, ...(modules || [])])]
    .filter((m) => !compiledIn().has(m))
    .map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`);
  return fillTemplate({
    DIR: dir,
    LOAD: load.join('\n'),
    MOD_SMO: MOD_SMO,
    PORT: String(port),
    USER: asRoot ? 'User www-data\nGroup www-data' : '',
    LOGLEVEL: 'warn smo:debug',
    DOCROOT: `${dir}/htdocs`,
    DIRECTORY: '    Options +ExecCGI +Includes\n    AllowOverride All',
    SITE: [
      `LogFormat "%h \\"%r\\" %>s %b" plain`,
      `CustomLog "${dir}/logs/access.log" plain`,
      `ScriptSock "${dir}/run/cgid.sock"`,
      ...mpmConf(),
      '',
      extra || '',
      '',
    ].join('\n'),
  });
}

// Apache 2.4's event MPM segfaults now and then in a child it is still
// starting when the server is told to stop or restart: in apr_os_sock_get,
// called from mod_mpm_event, with no module code on the stack (seen with
// and without mod_smo loaded; see harden.test.mjs's SIGHUP test).  Such a
// report, and only one of exactly that shape, is not mod_smo's.
function knownApacheCrash(report) {
  const frames = report.split('\n').filter((l) => /^\s*#\d+ /.test(l));
  return /SEGV/.test(report) && frames.length > 1 &&
    /in apr_os_sock_get \(.*libapr-1\.so/.test(frames[0]) &&
    /mod_mpm_event\.so/.test(frames[1]) &&
    !frames.some((f) => /mod_smo|\/lib\/[a-z_]+\.c|smo_/.test(f));
}

export class Apache {
  constructor() {
    this.child = null;
    this.port = 0;
    this.dir = null;
    this.ports = [];
  }

  get pid() { return this.child ? this.child.pid : 0; }

  get origin() { return `http://127.0.0.1:${this.port}`; }

  /** The error log so far (LogLevel smo:debug), for failure messages. */
  errorLog() {
    try { return fs.readFileSync(path.join(this.dir, 'logs', 'error.log'), 'utf8'); } catch { return ''; }
  }

  /** Path of a document under DocumentRoot. */
  docPath(rel) { return path.join(this.dir, 'htdocs', rel); }

  async start(opts = {}) {
    // The free port may be taken between the probe and apache2's bind.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce(opts);
      } catch (err) {
        if (attempt >= 3 || !/Address already in use/.test(err.message)) throw err;
      }
    }
  }

  /**
   * opts: conf (configuration text appended to httpd.conf, or a function
   * of this server returning it, called once the ports are known), files
   * ({path under DocumentRoot: content | {content, mode}}), modules (more
   * module names to load, e.g. ['proxy', 'proxy_http']), ports (how many
   * more free loopback ports to pick, in this.ports, for more Listen
   * lines).
   */
  async startOnce({ conf = '', files = {}, modules = [], ports = 0 } = {}) {
    if (!fs.existsSync(MOD_SMO)) {
      throw new Error(`${MOD_SMO} not found: build the module first (make), or set SMO_BUILDDIR`);
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-it-'));
    // apache2's children run as www-data when we are root: they must read it.
    fs.chmodSync(this.dir, 0o755);
    for (const d of ['run', 'logs', 'htdocs']) fs.mkdirSync(path.join(this.dir, d), { mode: 0o755 });
    writeFiles(path.join(this.dir, 'htdocs'), files);
    this.port = await freePort();
    this.ports = [];
    while (this.ports.length < ports) {
      const p = await freePort();
      if (p !== this.port && !this.ports.includes(p)) this.ports.push(p);
    }
    const extra = typeof conf === 'function' ? conf(this) : conf;
    const confFile = path.join(this.dir, 'httpd.conf');
    fs.writeFileSync(confFile, httpdConf({ dir: this.dir, port: this.port, extra, modules }));

    const env = { PATH: process.env.PATH || '/usr/bin:/bin', LANG: 'C' };
    if (SANITIZED) {
      const reports = path.join(this.dir, 'sanitizer');
      fs.mkdirSync(reports);
      fs.chmodSync(reports, 0o777); // the children write there as www-data
      // allow_user_segv_handler=0: a segfault gets ASan's report with its
      // stack, not only Apache's "exit signal" line.
      env.ASAN_OPTIONS = `detect_leaks=0:abort_on_error=0:allow_user_segv_handler=0:log_path=${reports}/asan`;
      env.UBSAN_OPTIONS = `print_stacktrace=1:halt_on_error=0:log_path=${reports}/ubsan`;
    }
    // A wrapper script as SMO_HTTPD (scripts/harden.sh) preloads itself.
    const launch = SANITIZED && isElf(HTTPD) ? sanitizerLauncher() : [];
    const [cmd, ...args] = [...launch, HTTPD, '-f', confFile, '-DFOREGROUND'];
    let stderr = '';
    this.child = spawn(cmd, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env,
      // A process group of its own: prefork's parent stops by sending
      // SIGTERM to its whole group, which would otherwise be ours.
      detached: true,
    });
    this.child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise((resolve) => this.child.once('exit', (code, sig) => resolve({ code, sig })));
    this.exited = exited;
    running.add(this);

    const deadline = Date.now() + 15000;
    let gone = null;
    exited.then((e) => { gone = e; });
    while (Date.now() < deadline) {
      if (gone) {
        running.delete(this);
        const log = this.errorLog() + this.sanitizerReports();
        if (!process.env.SMO_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
        throw new Error(`apache2 exited at start-up (${gone.code ?? gone.sig}):\n${stderr}\n${log}`);
      }
      if (await portAnswers(this.port)) return this;
      await sleep(50);
    }
    const log = this.errorLog();
    await this.stop();
    throw new Error(`apache2 did not answer on port ${this.port} within 15 s:\n${stderr}\n${log}`);
  }

  async stop() {
    if (!this.child || !running.has(this)) return;
    running.delete(this);
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const done = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await this.exited;
      }
    }
    const reports = this.sanitizerReports();
    if (!process.env.SMO_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
    if (reports) {
      process.exitCode = 1; // even if the caller swallows the error
      process.stderr.write(reports);
      throw new Error(`sanitizer reports from apache2 with mod_smo:${reports}`);
    }
  }

  /** The ASan/UBSan report files written so far, concatenated ('' if none). */
  sanitizerReports() {
    const dir = path.join(this.dir, 'sanitizer');
    let names;
    try { names = fs.readdirSync(dir).filter((n) => /^(asan|ubsan)\./.test(n)).sort(); } catch { return ''; }
    return names.map((n) => {
      const text = fs.readFileSync(path.join(dir, n), 'utf8');
      if (knownApacheCrash(text)) {
        process.stderr.write(`apache.mjs: ${n}: Apache's own event MPM crash in a child's start-up (apr_os_sock_get, no mod_smo frame); not counted\n`);
        return '';
      }
      return `\n=== ${n}\n${text}`;
    }).join('');
  }

  /**
   * One request.  Resolves {status, headers, body: Buffer, chunks} where
   * chunks are [{at: ms since the request was sent, data: Buffer}], in
   * order of arrival.  The body is what came over the wire (no decoding).
   */
  get(urlPath, { headers = {}, method = 'GET', timeout = 20000 } = {}) {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const req = http.request({
        host: '127.0.0.1', port: this.port, path: urlPath, method, headers,
        agent: false,
      }, (res) => {
        const chunks = [];
        res.on('data', (data) => chunks.push({ at: Date.now() - t0, data }));
        res.on('end', () => resolve({
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks.map((c) => c.data)),
          chunks,
        }));
        res.on('error', reject);
      });
      req.setTimeout(timeout, () => req.destroy(new Error(`${method} ${urlPath}: no answer within ${timeout} ms`)));
      req.on('error', reject);
      req.end();
    });
  }
}

/** Start a server; see Apache#start. */
export async function start(opts) {
  return new Apache().start(opts);
}
