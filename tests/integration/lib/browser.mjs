// What the browser tests share: headless Chromium through playwright-core,
// and the Nu Html Checker (vnu-jar on the installed Java).  Each loader
// gives the tool or a reason why not; unavailable() skips with it, or
// fails when CI=true (CI installs everything, scripts/deps.sh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = process.env.SMO_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const IN_CI = process.env.CI === 'true';

/** playwright-core, or a reason why not. */
export async function loadPlaywright() {
  if (!fs.existsSync(CHROMIUM)) return { why: `${CHROMIUM} not found (apt-get install chromium)` };
  try {
    return { pw: await import('playwright-core') };
  } catch (err) {
    return { why: `playwright-core not installed (npm ci in tests/integration): ${err.message}` };
  }
}

/** [java, vnu.jar], or a reason why not. */
export function findValidator() {
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

/** Skip `t` for `why`, or fail under CI. */
export function unavailable(t, why) {
  if (IN_CI) assert.fail(`required under CI=true: ${why}`);
  t.skip(why);
}

/** Error messages per file: Map(file -> Set(message)). One JVM for all. */
export function validate(java, jar, fileList) {
  const r = spawnSync(java, ['-jar', jar, '--format', 'json', '--errors-only', '--stdout',
    '--exit-zero-always', '--also-check-css', ...fileList], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `vnu failed (${r.status}):\n${r.stderr}`);
  const { messages } = JSON.parse(r.stdout);
  const byFile = new Map(fileList.map((f) => [f, new Set()]));
  for (const m of messages) {
    const file = fileURLToPath(m.url);
    assert.ok(byFile.has(file), `vnu reported on an unknown file: ${JSON.stringify(m)}`);
    // Anything that is not a markup error (I/O, a fatal parse) counts too.
    byFile.get(file).add(`${m.type}${m.subType ? `/${m.subType}` : ''}: ${m.message}`);
  }
  return byFile;
}
