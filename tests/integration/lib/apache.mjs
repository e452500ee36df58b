// A real apache2 with mod_smo for the integration tests: a generated
// httpd.conf in a fresh temp dir, started in the foreground as a child
// process, stopped by PID whatever the tests' outcome.
//
// Environment: SMO_BUILDDIR (where .libs/mod_smo.so is; default: the
// current directory), SMO_HTTPD (default /usr/sbin/apache2),
// SMO_MODULES_DIR (Apache's modules; default /usr/lib/apache2/modules).

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const HTTPD = process.env.SMO_HTTPD || '/usr/sbin/apache2';
const MODULES_DIR = process.env.SMO_MODULES_DIR || '/usr/lib/apache2/modules';
const BUILDDIR = path.resolve(process.env.SMO_BUILDDIR || process.cwd());
const MOD_SMO = path.join(BUILDDIR, '.libs', 'mod_smo.so');

// The modules the tests rely on, loaded unless compiled in (`apache2 -l`).
const MODULES = [
  'mpm_event', 'authz_core', 'mime', 'dir', 'cgid', 'include', 'deflate',
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

function httpdConf({ dir, port, extra }) {
  const asRoot = process.getuid && process.getuid() === 0;
  const load = MODULES
    .filter((m) => !compiledIn().has(m))
    .map((m) => `LoadModule ${m}_module ${MODULES_DIR}/mod_${m}.so`);
  return [
    `ServerRoot "${dir}"`,
    `DefaultRuntimeDir "${dir}/run"`,
    `PidFile "${dir}/run/httpd.pid"`,
    ...load,
    `LoadModule smo_module "${MOD_SMO}"`,
    `Listen 127.0.0.1:${port}`,
    'ServerName 127.0.0.1',
    asRoot ? 'User www-data' : '',
    asRoot ? 'Group www-data' : '',
    `ErrorLog "${dir}/logs/error.log"`,
    'LogLevel warn smo:debug',
    `LogFormat "%h \\"%r\\" %>s %b" plain`,
    `CustomLog "${dir}/logs/access.log" plain`,
    'TypesConfig /etc/mime.types',
    `ScriptSock "${dir}/run/cgid.sock"`,
    'StartServers 1',
    'ServerLimit 2',
    'ThreadsPerChild 16',
    'MaxRequestWorkers 32',
    `DocumentRoot "${dir}/htdocs"`,
    `<Directory "${dir}/htdocs">`,
    '    Require all granted',
    '    Options +ExecCGI +Includes',
    '    AllowOverride All',
    '</Directory>',
    'DirectoryIndex index.html',
    '',
    extra || '',
    '',
  ].join('\n');
}

export class Apache {
  constructor() {
    this.child = null;
    this.port = 0;
    this.dir = null;
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

  async startOnce({ conf = '', files = {} } = {}) {
    if (!fs.existsSync(MOD_SMO)) {
      throw new Error(`${MOD_SMO} not found: build the module first (make), or set SMO_BUILDDIR`);
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smo-it-'));
    // apache2's children run as www-data when we are root: they must read it.
    fs.chmodSync(this.dir, 0o755);
    for (const d of ['run', 'logs', 'htdocs']) fs.mkdirSync(path.join(this.dir, d), { mode: 0o755 });
    writeFiles(path.join(this.dir, 'htdocs'), files);
    this.port = await freePort();
    const confFile = path.join(this.dir, 'httpd.conf');
    fs.writeFileSync(confFile, httpdConf({ dir: this.dir, port: this.port, extra: conf }));

    let stderr = '';
    this.child = spawn(HTTPD, ['-f', confFile, '-DFOREGROUND'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH || '/usr/bin:/bin', LANG: 'C' },
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
        const log = this.errorLog();
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
    if (!process.env.SMO_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
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
