// Reading the click log back the way a user's script would, and the tools
// the click-log tests drive: ab (apache2-utils) and polling for lines that
// mod_log_config writes after the response has gone.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Undo Apache's log-item escaping (ap_escape_logitem): \" \\ \b \n \r \t
 * \v and \xHH.  Returns the original bytes; throws on anything Apache
 * would never write, so a log that is not what we think fails loudly.
 */
export function unescapeLogItem(s) {
  const out = [];
  const named = { b: 8, n: 10, r: 13, t: 9, v: 11, '"': 34, '\\': 92 };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new Error(`raw byte 0x${c.toString(16)} in a log item: ${JSON.stringify(s)}`);
    if (s[i] !== '\\') { out.push(c); continue; }
    const e = s[++i];
    if (e in named) { out.push(named[e]); continue; }
    if (e === 'x' && /^[0-9a-f]{2}$/i.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      continue;
    }
    throw new Error(`bad escape at ${i} in ${JSON.stringify(s)}`);
  }
  return Buffer.from(out);
}

// One quoted field: '"', then escaped bytes (no bare '"'), then '"'.
const Q = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(`^(\\S+) (\\S+) ${Q} ${Q} ${Q}(?: (\\S+))?$`);

/**
 * One line of the default click-log format (SPEC 5):
 *   TIME NETWORK "URL" "REFERER" "USER-AGENT"  [optional: " %a"]
 * Returns {time, network, url, referer, userAgent, client} with referer and
 * userAgent as Buffers (headers are bytes), or null if the line does not
 * have that shape.
 */
export function parseClickLine(line) {
  const m = LINE.exec(line);
  if (!m) return null;
  return {
    time: m[1],
    network: m[2],
    url: unescapeLogItem(m[3]).toString('latin1'),
    referer: unescapeLogItem(m[4]),
    userAgent: unescapeLogItem(m[5]),
    client: m[6] ?? null,
  };
}

/** The lines of a file ([] if absent); the final newline ends the last. */
export function readLines(file) {
  let text;
  try { text = fs.readFileSync(file, 'latin1'); } catch { return []; }
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Wait until count() reaches `want` (mod_log_config writes after the
 * response is sent), then a little longer so that extra lines would show.
 * Returns the last count.
 */
export async function settle(count, want, { timeout = 15000, grace = 300 } = {}) {
  const deadline = Date.now() + timeout;
  let n = count();
  while (n < want && Date.now() < deadline) {
    await sleep(50);
    n = count();
  }
  await sleep(grace);
  return count();
}

/**
 * Run ab; resolves {code, stdout, stderr, complete, failed, non2xx, rps}.
 * Start it and get the child too with runAb(...).child.
 */
export function runAb(args) {
  const child = spawn('ab', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const done = new Promise((resolve) => child.once('close', (code) => {
    const num = (re) => { const m = re.exec(stdout); return m ? Number(m[1]) : null; };
    resolve({
      code,
      stdout,
      stderr,
      complete: num(/^Complete requests:\s+(\d+)/m),
      failed: num(/^Failed requests:\s+(\d+)/m),
      // ab prints this line only when there were some.
      non2xx: num(/^Non-2xx responses:\s+(\d+)/m) ?? 0,
      rps: num(/^Requests per second:\s+([\d.]+)/m),
    });
  }));
  done.child = child;
  return done;
}
