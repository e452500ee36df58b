// Judging a filtered page against the page the backend sent, as bytes and
// as the tree a browser builds: which byte runs the filter inserted (or
// removed), whether the rest is the input unchanged, where parse5 puts
// the inserted nodes, and what the head region declares.
//
// Pages are parsed as latin1 strings: one character per byte, so parse5's
// source offsets are byte offsets, and for any ASCII-compatible charset
// the tree has the same shape as the browser's (the tree builder only
// looks at ASCII); only non-ASCII text differs, and it differs the same
// way in the input and in the output.
import { Parser } from 'parse5';

const RESYNC = 64;

/**
 * Aligns `output` (Buffer) on `input` (Buffer): {inserted, removed}, each
 * a list of {at, len} runs (at: offset in output for inserted runs, in
 * input for removed ones), such that taking the inserted runs out of the
 * output and putting the removed runs back gives the input.  At each
 * difference, the places where the next RESYNC bytes (or the rest) agree
 * again are tried, shortest skip first, and the alignment with the fewest
 * runs wins (a short tail like "</" agrees with many places).  null if
 * no alignment of at most MAX_RUNS runs exists.
 */
export function alignEdits(input, output) {
  const best = align(input, output, 0, 0, MAX_RUNS);
  if (!best) return null;
  const inserted = best.filter((r) => r.ins).map(({ at, len }) => tagAligned(output, { at, len }));
  const removed = best.filter((r) => !r.ins).map(({ at, len }) => tagAligned(input, { at, len }));
  return { inserted, removed };
}

const MAX_RUNS = 8;
const CANDIDATES = 8;

function occurrences(hay, needle, from, limit) {
  const out = [];
  for (let at = hay.indexOf(needle, from); at >= 0 && out.length < limit; at = hay.indexOf(needle, at + 1)) out.push(at);
  return out;
}

// The runs (fewest, at most `budget`) that align output[o..] on input[i..], or null.
function align(input, output, i, o, budget) {
  const m = input.length;
  const n = output.length;
  while (i < m && o < n && input[i] === output[o]) { i++; o++; }
  if (i === m && o === n) return [];
  if (budget === 0) return null;
  if (i === m) return [{ ins: true, at: o, len: n - o }];
  if (o === n) return [{ ins: false, at: i, len: m - i }];
  const tries = [
    ...occurrences(output, input.subarray(i, i + Math.min(RESYNC, m - i)), o + 1, CANDIDATES)
      .map((at) => ({ ins: true, skip: at - o, next: [i, at] })),
    ...occurrences(input, output.subarray(o, o + Math.min(RESYNC, n - o)), i + 1, CANDIDATES)
      .map((at) => ({ ins: false, skip: at - i, next: [at, o] })),
  ].sort((x, y) => x.skip - y.skip);
  let best = null;
  for (const t of tries) {
    const limit = best ? best.length - 1 : budget;
    if (limit < 1) break;
    const rest = align(input, output, t.next[0], t.next[1], limit - 1);
    if (!rest) continue;
    best = [{ ins: t.ins, at: t.ins ? o : i, len: t.skip }, ...rest];
    if (best.length === 1) break;
  }
  return best;
}

// An inserted (removed) run can often slide over equal bytes and stay the
// same edit: `<a><b>` + `<b>` is also `<a>` + `<b><b>`.  Take the place
// where it starts with '<' and ends with '>' or whitespace (whole tags),
// the first such from the left; else where the alignment put it.
function tagAligned(buf, run) {
  let left = run.at;
  while (left > 0 && buf[left - 1] === buf[left - 1 + run.len]) left--;
  let right = run.at;
  while (right + run.len < buf.length && buf[right] === buf[right + run.len]) right++;
  for (let at = left; at <= right; at++) {
    const last = buf[at + run.len - 1];
    if (buf[at] === 0x3c && (last === 0x3e || last === 0x0a || last === 0x20 || last === 0x09 || last === 0x0d)) {
      return { at, len: run.len };
    }
  }
  return run;
}

/** `buf` without the runs [{at, len}] (sorted, disjoint). */
export function withoutRuns(buf, runs) {
  const parts = [];
  let from = 0;
  for (const r of runs) { parts.push(buf.subarray(from, r.at)); from = r.at + r.len; }
  parts.push(buf.subarray(from));
  return Buffer.concat(parts);
}

// A parse5 parser that also records every token the tokenizer hands to
// the tree builder (tags the tree builder ignores included) and the offset
// of the token at which the head element came to exist.
class RecordingParser extends Parser {
  constructor(options) {
    super(options);
    this.tokens = [];
    this.headOpenedAt = null;
  }
}
for (const hook of ['onCharacter', 'onNullCharacter', 'onWhitespaceCharacter', 'onComment',
  'onDoctype', 'onStartTag', 'onEndTag', 'onEof']) {
  const orig = Parser.prototype[hook];
  RecordingParser.prototype[hook] = function (token) {
    const hadHead = this.headElement !== null;
    if (hook === 'onStartTag' || hook === 'onEndTag') {
      this.tokens.push({ kind: hook === 'onStartTag' ? 'start' : 'end', tagName: token.tagName,
        attrs: token.attrs, at: token.location ? token.location.startOffset : -1 });
    }
    const r = orig.call(this, token);
    if (!hadHead && this.headElement !== null && this.headOpenedAt === null) {
      this.headOpenedAt = hook === 'onEof' ? this.length : token.location.startOffset;
    }
    return r;
  };
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Parses a page (Buffer, read as latin1) with source locations: {doc,
 * tokens (start and end tags as tokenized), headOpenedAt (offset of the
 * token that made the head exist, the length of the page if only the end
 * of the input did), text, base}.  A UTF-8 byte order mark at the start
 * is skipped as the WHATWG decoder skips it (anywhere else it is text):
 * the tree's offsets then count from `base` = 3; tokens and headOpenedAt
 * are offsets in `buf`.
 */
export function parsePage(buf) {
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf, 'latin1');
  const base = bytes.subarray(0, 3).equals(BOM) ? 3 : 0;
  const text = bytes.subarray(base).toString('latin1');
  const parser = new RecordingParser({ sourceCodeLocationInfo: true });
  parser.length = text.length;
  parser.tokenizer.write(text, true);
  const tokens = parser.tokens.map((t) => ({ ...t, at: t.at < 0 ? t.at : t.at + base }));
  const headOpenedAt = parser.headOpenedAt === null ? null : parser.headOpenedAt + base;
  return { doc: parser.document, tokens, headOpenedAt, text, base };
}

function children(node) {
  const kids = [...(node.childNodes || [])];
  return kids;
}

const within = (loc, r) => loc.startOffset >= r.at && loc.endOffset <= r.at + r.len;
const overlaps = (s, e, r) => s < r.at + r.len && e > r.at;

/**
 * The tree of a parsed page without the nodes that come from the runs
 * [{at, len}] (byte offsets in the page), as plain data for comparison:
 * {tree, taken: [{node, parent}] (the top-level nodes removed),
 * problems: [string] (nodes that straddle a run edge)}.  Text that a run
 * splits or touches loses the run's characters; adjacent text merges.
 */
export function treeWithout(parsed, byteRuns) {
  // Runs before the text (in a skipped byte order mark) count from its start.
  const runs = byteRuns.map((r) => ({ at: r.at - parsed.base, len: r.len }));
  const taken = [];
  const problems = [];
  const visit = (node, parent) => {
    const loc = node.sourceCodeLocation;
    if (loc && node.nodeName !== '#document' && node.nodeName !== '#document-fragment') {
      const run = runs.find((r) => overlaps(loc.startOffset, loc.endOffset, r));
      if (run && within(loc, run)) { taken.push({ node, parent }); return null; }
      if (node.nodeName === '#text' && run) {
        let value = node.value;
        for (const r of runs.filter((x) => overlaps(loc.startOffset, loc.endOffset, x))) {
          const plain = !/[&\r\0]/.test(parsed.text.slice(loc.startOffset, loc.endOffset));
          if (r.at <= loc.startOffset) {
            value = value.slice(r.at + r.len - loc.startOffset);
          } else if (r.at + r.len >= loc.endOffset) {
            value = value.slice(0, value.length - (loc.endOffset - r.at));
          } else if (plain) {
            const s = r.at - loc.startOffset;
            value = value.slice(0, s) + value.slice(s + r.len);
          } else {
            problems.push(`text at ${loc.startOffset} holds an inserted run at ${r.at}`);
          }
        }
        return value === '' ? null : { t: '#text', v: value };
      }
      if (run && node.nodeName !== '#text' && run.at <= loc.startOffset) {
        problems.push(`<${node.nodeName}> at ${loc.startOffset} starts in a run at ${run.at} and ends past it`);
      }
    }
    switch (node.nodeName) {
      case '#text': return { t: '#text', v: node.value };
      case '#comment': return { t: '#comment', v: node.data };
      case '#documentType': return { t: '!doctype', v: [node.name, node.publicId, node.systemId] };
      default: break;
    }
    const out = { t: node.nodeName, ns: node.namespaceURI, a: (node.attrs || []).map((x) => [x.prefix || '', x.name, x.value]), c: [] };
    if (node.mode) out.mode = node.mode;
    const kids = children(node);
    if (node.content) kids.push(node.content);
    for (const k of kids) {
      const v = visit(k, node);
      if (v === null) continue;
      const last = out.c[out.c.length - 1];
      if (v.t === '#text' && last && last.t === '#text') last.v += v.v; else out.c.push(v);
    }
    return out;
  };
  const tree = visit(parsed.doc, null);
  return { tree, taken, problems };
}

/** Where two plain trees from treeWithout first differ ('' if nowhere). */
export function treeDifference(a, b, where = '') {
  if (a.t !== b.t) return `${where}: ${describe(a)} vs ${describe(b)}`;
  if (a.t === '#text' || a.t === '#comment' || a.t === '!doctype') {
    return JSON.stringify(a.v) === JSON.stringify(b.v) ? '' : `${where}/${a.t}: ${clip(a.v)} vs ${clip(b.v)}`;
  }
  const here = `${where}/${a.t}`;
  if (a.ns !== b.ns) return `${here}: namespace ${a.ns} vs ${b.ns}`;
  if (JSON.stringify(a.a) !== JSON.stringify(b.a)) return `${here}: attributes ${clip(a.a)} vs ${clip(b.a)}`;
  const len = Math.max(a.c.length, b.c.length);
  for (let k = 0; k < len; k++) {
    if (!a.c[k] || !b.c[k]) return `${here}[${k}]: ${describe(a.c[k])} vs ${describe(b.c[k])}`;
    const d = treeDifference(a.c[k], b.c[k], `${here}[${k}]`);
    if (d) return d;
  }
  return '';
}

function clip(v) {
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function describe(n) {
  if (!n) return 'nothing';
  return n.t.startsWith('#') || n.t === '!doctype' ? `${n.t} ${clip(n.v)}` : `<${n.t}>`;
}

export function attrOf(node, name) {
  const a = (node.attrs || []).find((x) => x.name === name);
  return a ? a.value : undefined;
}

/** The property a <meta> or <link> declares ('canonical', 'og:title', ...), or null. */
export function propertyOf(tagName, attrs) {
  const get = (name) => { const a = attrs.find((x) => x.name === name); return a ? a.value : undefined; };
  if (tagName === 'link') {
    return (get('rel') || '').toLowerCase().split(/[\t\n\f\r ]+/).includes('canonical') ? 'canonical' : null;
  }
  if (tagName !== 'meta') return null;
  const key = get('property') ?? get('name');
  return key ? key.trim().toLowerCase() : null;
}

/** The value a declaration gives (href, content, or a twitter:* value), '' if none. */
export function valueOf(tagName, attrs, property) {
  const get = (name) => { const a = attrs.find((x) => x.name === name); return a ? a.value : undefined; };
  if (tagName === 'link') return (get('href') || '').trim();
  const content = (get('content') || '').trim();
  if (content === '' && property.startsWith('twitter:')) return (get('value') || '').trim();
  return content;
}

/**
 * The declarations of the head region (SPEC 6 "Declared": before the
 * first `</head>` or `<body>` tag as tokenized, whatever the tree builder
 * did with them): [{property, value, at}] with a non-empty value.
 */
export function declarations(parsed) {
  const out = [];
  for (const tok of parsed.tokens) {
    if ((tok.kind === 'end' && tok.tagName === 'head') || (tok.kind === 'start' && tok.tagName === 'body')) break;
    if (tok.kind !== 'start') continue;
    const property = propertyOf(tok.tagName, tok.attrs);
    if (!property) continue;
    const value = valueOf(tok.tagName, tok.attrs, property);
    if (value !== '') out.push({ property, value, at: tok.at });
  }
  return out;
}

/** The nearest ancestor chain of a node, as names up to the document. */
export function ancestry(node) {
  const names = [];
  for (let p = node.parentNode; p; p = p.parentNode) names.push(p.nodeName);
  return names;
}

// A removed run is allowed only as SPEC 3's replacement of an empty
// declaration of a property the filter inserts: exactly one tag.
function removedTag(input, run) {
  const bytes = input.subarray(run.at, run.at + run.len).toString('latin1');
  if (!/^<(meta|link)\b[^<>]*>$/i.test(bytes)) return null;
  const tok = parsePage(bytes).tokens.find((t) => t.kind === 'start');
  const property = tok && propertyOf(tok.tagName, tok.attrs);
  return property ? { at: run.at, property, value: valueOf(tok.tagName, tok.attrs, property), bytes } : null;
}

const snippet = (buf, at, len = 60) => JSON.stringify(buf.subarray(Math.max(0, at - 20), at + len).toString('latin1'));

/**
 * Judges `output` against `input` (Buffers): {
 *   bytes: '' or why the output is not the input plus insertions (and
 *     replaced empty declarations),
 *   placement: [why an inserted node is not where it belongs: <link> and
 *     <meta> children of the head, the share <nav> in the body],
 *   tree: '' or where parse5's trees differ once the inserted (removed)
 *     nodes are left out,
 *   inserted: [{property, value, node}] the inserted declarations,
 *   navs: number of inserted share blocks,
 *   runs: the inserted runs, in, out: parsePage of each }.
 */
export function judgeInsertions(input, output) {
  const r = { bytes: '', placement: [], tree: '', inserted: [], navs: 0, runs: [] };
  const edits = alignEdits(input, output);
  if (!edits) {
    let at = 0;
    while (at < input.length && input[at] === output[at]) at++;
    r.bytes = `output is not the input plus insertions (they part at byte ${at}: ${snippet(input, at)})`;
    return r;
  }
  const inserted = new Set();
  r.runs = edits.inserted;
  r.out = parsePage(output);
  r.in = parsePage(input);
  const taken = treeWithout(r.out, edits.inserted);
  for (const { node, parent } of taken.taken) {
    if (node.nodeName === '#text') {
      if (!/^[\t\n\f\r ]*$/.test(node.value)) r.placement.push(`inserted text ${clip(node.value)}`);
      continue;
    }
    const at = node.sourceCodeLocation.startOffset + r.out.base;
    if (node.nodeName === 'link' || node.nodeName === 'meta') {
      const property = propertyOf(node.nodeName, node.attrs);
      if (property) {
        inserted.add(property);
        r.inserted.push({ property, value: valueOf(node.nodeName, node.attrs, property), node });
      }
      if (parent.nodeName !== 'head' || node.namespaceURI !== 'http://www.w3.org/1999/xhtml') {
        r.placement.push(`<${node.nodeName} ${property || ''}> at ${at} is in ${ancestry(node).join(' < ')}`);
      }
    } else if (node.nodeName === 'nav' && /\bsmo-share\b/.test(attrOf(node, 'class') || '')) {
      r.navs++;
      if (!ancestry(node).includes('body')) r.placement.push(`share <nav> at ${at} is in ${ancestry(node).join(' < ')}`);
    } else {
      r.placement.push(`unexpected inserted ${node.nodeName} at ${at}`);
    }
  }
  r.placement.push(...taken.problems);
  const replaced = [];
  for (const run of edits.removed) {
    const tag = removedTag(input, run);
    if (!tag || tag.value !== '' || !inserted.has(tag.property)) {
      r.bytes = `${run.len} bytes removed at ${run.at}: ${snippet(input, run.at, run.len + 20)}`;
      return r;
    }
    replaced.push({ at: tag.at, len: run.len });
  }
  const kept = treeWithout(r.in, replaced);
  r.placement.push(...kept.problems);
  r.tree = treeDifference(kept.tree, taken.tree);
  return r;
}
