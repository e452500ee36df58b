// Many documents through one server (written as files under its
// DocumentRoot, bytes as they are: Apache#start's `files`), fetched over a
// few keep-alive connections at once.
import http from 'node:http';

/**
 * GETs every path from the server, `concurrency` at a time over
 * keep-alive connections; resolves {path: {status, headers, body}}.
 */
export async function fetchAll(srv, paths, { concurrency = 8, timeout = 20000 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const results = {};
  let next = 0;
  const one = (p) => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: srv.port, path: p, agent }, (res) => {
      const chunks = [];
      res.on('data', (d) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(timeout, () => req.destroy(new Error(`GET ${p}: no answer within ${timeout} ms`)));
    req.on('error', reject);
  });
  const worker = async () => {
    while (next < paths.length) {
      const p = paths[next++];
      results[p] = await one(p);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return results;
}
