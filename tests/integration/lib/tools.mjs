// Optional programs some tests drive (ab, goaccess, rsyslogd, ...): a test
// that needs one that is not installed is skipped with the reason, never
// failed.  scripts/deps.sh installs them all.
import fs from 'node:fs';
import path from 'node:path';

// Debian packages, for the reason's hint.
const PACKAGE = {
  ab: 'apache2-utils', rotatelogs: 'apache2-utils', goaccess: 'goaccess', rsyslogd: 'rsyslog',
  logger: 'bsdutils', wrk: 'wrk', xmllint: 'libxml2-utils', python3: 'python3', java: 'default-jre-headless',
};

function onPath(cmd) {
  if (cmd.includes('/')) return fs.existsSync(cmd);
  // Where spawn() looks: PATH only.
  const dirs = (process.env.PATH || '/usr/bin:/bin').split(':');
  return dirs.some((d) => {
    try { fs.accessSync(path.join(d || '.', cmd), fs.constants.X_OK); return true; } catch { return false; }
  });
}

/**
 * false when every command is installed, else the reason to skip (for
 * `it(name, { skip: missing('ab') }, ...)`).
 */
export function missing(...cmds) {
  const gone = cmds.filter((c) => !onPath(c));
  if (gone.length === 0) return false;
  return `not installed: ${gone.join(', ')} (scripts/deps.sh, or apt-get install ${[...new Set(gone.map((c) => PACKAGE[c] || c))].join(' ')})`;
}
