// What a browser sees in a response: parse5 builds the tree as the
// WHATWG parser does, so "in the head" means what a browser means.
import { parse } from 'parse5';

function* walk(node) {
  yield node;
  for (const child of node.childNodes || []) yield* walk(child);
  if (node.content) yield* walk(node.content); // <template>
}

export function attr(el, name) {
  const a = (el.attrs || []).find((x) => x.name === name);
  return a ? a.value : undefined;
}

/** {doc, head, body} of an HTML string or Buffer. */
export function parseHtml(html) {
  // Bytes as a browser decodes them: a byte order mark is not text.
  const doc = parse(Buffer.isBuffer(html) ? new TextDecoder('utf-8').decode(html) : html);
  const htmlEl = doc.childNodes.find((n) => n.nodeName === 'html');
  const head = htmlEl.childNodes.find((n) => n.nodeName === 'head');
  const body = htmlEl.childNodes.find((n) => n.nodeName === 'body');
  return { doc, head, body };
}

function isCanonical(el) {
  return el.nodeName === 'link' &&
    (attr(el, 'rel') || '').toLowerCase().split(/\s+/).includes('canonical');
}

/** The canonical links of the document, wherever they are. */
export function canonicalLinks(node) {
  return [...walk(node)].filter(isCanonical);
}

export function elements(node, name) {
  return [...walk(node)].filter((n) => n.nodeName === name);
}

/**
 * If `output` is `input` plus one inserted canonical <link> tag (and at
 * most a line break next to it), {at, tag} of that tag in `output`;
 * otherwise null.  Byte preservation: with only the canonical link to
 * add, nothing else may change.
 */
export function insertedLink(input, output) {
  const text = output.toString('latin1');
  for (const m of text.matchAll(/<link\b[^>]*>/gi)) {
    if (!/canonical/i.test(m[0])) continue;
    const start = m.index;
    const end = start + m[0].length;
    for (const [a, b] of [[start, end], [start, end + 1], [start - 1, end]]) {
      if (a < 0 || b > output.length) continue;
      const extra = text.slice(a, b).replace(m[0], '');
      if (extra !== '' && extra !== '\n') continue;
      const rest = Buffer.concat([output.subarray(0, a), output.subarray(b)]);
      if (Buffer.compare(rest, input) === 0) return { at: start, tag: m[0] };
    }
  }
  return null;
}
