/* meta.c — the metadata rules of SPEC sections 3 and 6: read what the
 * page's head declares as it streams by, then decide which canonical link,
 * Open Graph and Twitter/X Card tags to insert and which page tags they
 * replace.
 *
 * Facts are kept raw (as the page wrote them) and only decoded when the
 * head is over, because the charset that decodes them may be declared
 * after them.  Memory is bounded: only the declarations of the properties
 * a rule may write are recorded (at most MAX_DECLS), the first few values
 * a rule needs are copied once, and the title is kept up to TITLE_MAX
 * bytes in one buffer. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <apr_strings.h>

#include "smo_ascii.h"
#include "smo_meta.h"
#include "smo_escape.h"
#include "smo_url.h"

/* Declarations recorded per page.  Real pages carry a few dozen; past the
 * cap a property is treated as declared, so we never duplicate it. */
#define MAX_DECLS 256

/* Raw bytes of <title> kept: plenty for any share text, bounded. */
#define TITLE_MAX 4096

/* Index 0 of the tracked names is the canonical link, which is not a
 * <meta> name and never matches one. */
#define CANON 0

/* Properties the rules write in a fixed place (SPEC 3 order), before the
 * other configured ones; twitter:card comes last because it depends on
 * whether an og:image is known. */
static const char *const fixed_order[] = {
    "og:title", "og:description", "og:url", "og:type", "og:locale",
    "og:image",
};

/* Names the rules read from the page besides the configured ones. */
static const char *const tracked_fixed[] = {
    "og:title", "og:description", "og:url", "og:type", "og:locale",
    "og:image", "og:image:url", "twitter:card", "description",
    "og:image:width", "og:image:height", "og:image:type",
    "twitter:image:alt",
};

/* The image facts (SPEC 8), in the order they follow og:image. */
static const char *const image_facts[] = {
    "og:image:width", "og:image:height", "og:image:type",
};

/* URL-valued properties: made absolute, dropped when they cannot be. */
static const char *const url_props[] = {
    "og:url", "og:image", "og:image:url", "og:image:secure_url",
    "og:video", "og:video:url", "og:video:secure_url",
    "og:audio", "og:audio:url", "og:audio:secure_url",
    "twitter:image", "twitter:image:src", "twitter:player",
};

/* Written with property= (RDFa, as the Open Graph protocol specifies);
 * everything else with name=. */
static const char *const property_prefixes[] = {
    "og:", "article:", "fb:", "profile:", "book:", "music:", "video:",
};

typedef struct {
    int name;          /* index into smo_meta.names */
    int nonempty;      /* non-empty, non-whitespace content (SPEC 6) */
    int pinned;        /* the tag declares another non-empty name too:
                        * removing it would lose that one */
    uint64_t start, end;
} decl;

typedef struct {
    const char *name;
    const char *lower; /* name ASCII-lowercased, to compare page names with */
    size_t len;        /* strlen(name): most names differ in length */
    int overflow;      /* a declaration was not recorded (MAX_DECLS) */
} tracked;

/* Raw bytes of a value, copied once. */
typedef struct {
    const char *s;
    size_t len;
    int set;
} rawval;

/* The properties SMOAutoMeta derives (see derive()), in enum order. */
enum { D_TITLE, D_DESCRIPTION, D_URL, D_TYPE, D_LOCALE };

static const char *const derivable[] = {
    "og:title", "og:description", "og:url", "og:type", "og:locale",
};

#define N_DERIVABLE (sizeof derivable / sizeof derivable[0])

/* What is computed from the facts on demand (kept apart so that the const
 * accessors can cache).  smo_meta_markup() and smo_meta_value() (four
 * times for a share block) need the same values: each is computed once.
 * Values made from the page's facts hold while `facts` is unchanged;
 * configured ones depend on the configuration only. */
typedef struct {
    int title_done;
    size_t title_len;            /* what the cached title was made from */
    const char *charset;
    const char *title;

    unsigned long facts;         /* smo_meta.facts the entries below are for */
    int base_done;
    const char *base;            /* page_base() */
    int derived_done[N_DERIVABLE];
    const char *derived[N_DERIVABLE];   /* derived_value() */

    int *conf_done;              /* per SMOMeta entry, NULL until needed */
    const char **conf;           /* configured_value() */
} derived_cache;

struct smo_meta {
    apr_pool_t *pool;
    apr_pool_t *tmp;             /* scratch for one tag, cleared per tag, so
                                  * that a head of a million <meta> tags
                                  * does not grow the request's pool */
    smo_meta_config cfg;
    apr_array_header_t *names;   /* tracked */
    apr_array_header_t *decls;   /* decl, at most MAX_DECLS */

    int seen_html;
    rawval lang;                 /* <html lang>, else xml:lang */
    rawval base;                 /* first <base href> */
    rawval description;          /* first non-empty <meta name=description> */
    rawval canonical;            /* first non-empty rel=canonical href */
    rawval image;                /* first non-empty og:image (or
                                  * og:image:url) content */
    uint64_t image_end;          /* where that tag ends */
    rawval og_title;             /* first non-empty og:title content */
    rawval og_site;              /* first non-empty og:site_name content */
    int wrote_card;              /* a generated card is the og:image */
    const char *meta_charset;    /* first charset declaration, decoded */
    const char *bom_charset;     /* the byte order mark's, or NULL */
    int unknown_tag;             /* a meta/link too long to read */

    char *title;                 /* TITLE_MAX bytes once a <title> starts */
    size_t title_len;
    int title_truncated;
    int in_title, title_seen;

    unsigned long facts;         /* bumped by every token: cache validity */
    derived_cache *cache;
    const char *image_markup;    /* image facts for after the page's own
                                  * og:image tag, or NULL */
    int asked_image;             /* the image facts callback was called */
};

/* ---- small helpers ------------------------------------------------------ */

static int ci_prefix(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Is name (ASCII case-insensitively) in the list?  Lengths first: they
 * settle most candidates. */
static int in_list(const char *name, const char *const *list, size_t n)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && smo_ascii_ci_eq(name, list[i], len))
            return 1;
    return 0;
}

#define IN_LIST(name, list) in_list(name, list, sizeof list / sizeof list[0])

static int is_property_ns(const char *name)
{
    for (size_t i = 0; i < sizeof property_prefixes /
                                sizeof property_prefixes[0]; i++)
        if (ci_prefix(name, property_prefixes[i]))
            return 1;
    return 0;
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (!smo_ascii_is_space((unsigned char)*s))
            return 0;
    return 1;
}

/* Trim ASCII whitespace in place. */
static char *trim(char *s)
{
    char *e;
    while (smo_ascii_is_space((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && smo_ascii_is_space((unsigned char)e[-1]))
        e--;
    *e = '\0';
    return s;
}

/* An attribute value decoded for comparing with ASCII keywords (names,
 * rel tokens, charsets): references decoded, non-ASCII bytes read as UTF-8
 * (they can match no keyword whatever the charset), trimmed. */
static char *attr_keyword(apr_pool_t *p, const smo_token *t,
                          const smo_attr *a)
{
    return trim(smo_html_decode(p, t->raw + a->value_off, a->value_len, 1));
}

/* Is the raw attribute value empty or whitespace once decoded?  Decoding
 * is only needed when it holds a reference (&#32; is a space).  Any
 * non-ASCII byte is a non-space character in every ASCII-compatible
 * charset, so the page charset does not matter here. */
static int raw_blank(apr_pool_t *p, const char *s, size_t n)
{
    int amp = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '&')
            amp = 1;
        else if (!smo_ascii_is_space((unsigned char)s[i]) && !amp)
            return 0;
    }
    return amp ? blank(smo_html_decode(p, s, n, 1)) : 1;
}

static void keep_raw(apr_pool_t *p, rawval *v, const smo_token *t,
                     const smo_attr *a)
{
    v->s = apr_pstrmemdup(p, t->raw + a->value_off, a->value_len);
    v->len = a->value_len;
    v->set = 1;
}

/* The charset that decodes the page: the byte order mark's, then HTTP's,
 * then the page's own, as in browsers. */
static const char *page_charset(const smo_meta *m)
{
    if (m->bom_charset)
        return m->bom_charset;
    if (m->cfg.http_charset && !blank(m->cfg.http_charset))
        return m->cfg.http_charset;
    return m->meta_charset;
}

/* A raw value from the page as UTF-8 text: charset-converted, then its
 * references decoded (attribute rules when in_attr).  Titles and
 * attribute values are RCDATA-like: decoding makes a NUL U+FFFD, as the
 * tokenizer does, so the result is a C string that holds all the text. */
static char *page_text(const smo_meta *m, const char *s, size_t len,
                       int in_attr)
{
    size_t n;
    char *u = smo_to_utf8(m->pool, s, len, page_charset(m), &n);
    return smo_html_decode(m->pool, u, n, in_attr);
}

/* ---- collecting --------------------------------------------------------- */

/* The index of the tracked name equal to the len bytes at name (ASCII
 * case-insensitive; they hold no NUL), or -1. */
static int tracked_index_n(const smo_meta *m, const char *name, size_t len)
{
    const tracked *n = (const tracked *)m->names->elts;
    for (int i = CANON + 1; i < m->names->nelts; i++)
        if (n[i].len == len && smo_ascii_ci_eq_lower(name, n[i].lower, len))
            return i;
    return -1;
}

static int tracked_index(const smo_meta *m, const char *name)
{
    return tracked_index_n(m, name, strlen(name));
}

/* name ASCII-lowercased: itself when it has no capital (the built-in
 * names never do), else a copy. */
static const char *lowercased(apr_pool_t *p, const char *name)
{
    const char *c = name;
    char *copy, *w;

    while (*c && smo_ascii_lower((unsigned char)*c) == (unsigned char)*c)
        c++;
    if (!*c)
        return name;
    copy = apr_pstrdup(p, name);
    for (w = copy; *w; w++)
        *w = (char)smo_ascii_lower((unsigned char)*w);
    return copy;
}

static void push_tracked(smo_meta *m, const char *name)
{
    tracked *t = apr_array_push(m->names);

    t->name = name;
    t->lower = lowercased(m->pool, name);
    t->len = strlen(name);
    t->overflow = 0;
}

static void track(smo_meta *m, const char *name)
{
    if (tracked_index(m, name) < 0)
        push_tracked(m, name);
}

static void record(smo_meta *m, int name, int nonempty, int pinned,
                   const smo_token *t)
{
    decl *d;
    if (m->decls->nelts >= MAX_DECLS) {
        APR_ARRAY_IDX(m->names, name, tracked).overflow = 1;
        return;
    }
    d = apr_array_push(m->decls);
    d->name = name;
    d->nonempty = nonempty;
    d->pinned = pinned;
    d->start = t->start;
    d->end = t->end;
}

/* The charset in a Content-Type value, as WHATWG's "extract a character
 * encoding from a meta element" reads it; NULL if none. */
static const char *charset_from_content(apr_pool_t *p, const char *s)
{
    const char *q;
    for (;;) {
        while (*s && strncasecmp(s, "charset", 7))
            s++;
        if (!*s)
            return NULL;
        s += 7;
        while (smo_ascii_is_space((unsigned char)*s))
            s++;
        if (*s == '=')
            break;
    }
    s++;
    while (smo_ascii_is_space((unsigned char)*s))
        s++;
    if (*s == '"' || *s == '\'') {
        if (!(q = strchr(s + 1, *s)))
            return NULL;
        return apr_pstrmemdup(p, s + 1, (apr_size_t)(q - s - 1));
    }
    for (q = s; *q && !smo_ascii_is_space((unsigned char)*q) && *q != ';';
         q++)
        ;
    return q > s ? apr_pstrmemdup(p, s, (apr_size_t)(q - s)) : NULL;
}

static void set_meta_charset(smo_meta *m, const char *cs)
{
    if (m->meta_charset || !cs || blank(cs))
        return;
    /* WHATWG: a meta can only declare an ASCII-compatible encoding; a
     * UTF-16 label there means UTF-8. */
    m->meta_charset = ci_prefix(cs, "utf-16") ? "utf-8"
                                              : apr_pstrdup(m->pool, cs);
}

/* The attributes of a <meta> the rules read: the first of each name, as
 * smo_find_attr() would give, found in one pass over the tag. */
typedef struct {
    const smo_attr *charset, *http_equiv, *content, *property, *name,
                   *value;
} meta_attrs;

static void scan_meta_attrs(const smo_token *t, meta_attrs *ma)
{
    memset(ma, 0, sizeof *ma);
    for (size_t i = 0; i < t->n_attrs; i++) {
        const smo_attr *a = &t->attrs[i];
        const char *n = t->raw + a->name_off;
        const smo_attr **slot = NULL;

        /* The length picks the one candidate to compare with. */
        switch (a->name_len) {
        case 4:
            if (smo_ascii_ci_eq_lower(n, "name", 4))
                slot = &ma->name;
            break;
        case 5:
            if (smo_ascii_ci_eq_lower(n, "value", 5))
                slot = &ma->value;
            break;
        case 7:
            if (smo_ascii_ci_eq_lower(n, "charset", 7))
                slot = &ma->charset;
            else if (smo_ascii_ci_eq_lower(n, "content", 7))
                slot = &ma->content;
            break;
        case 8:
            if (smo_ascii_ci_eq_lower(n, "property", 8))
                slot = &ma->property;
            break;
        case 10:
            if (smo_ascii_ci_eq_lower(n, "http-equiv", 10))
                slot = &ma->http_equiv;
            break;
        }
        if (slot && !*slot)
            *slot = a;
    }
}

/* A name or property value as attr_keyword() gives it, as bytes and a
 * length.  Plain ASCII without '&' decodes to itself, so the common case
 * is the trimmed raw bytes, with no copy; the rest is decoded into
 * m->tmp.  No NUL either way (decoding makes it U+FFFD). */
static const char *keyword_n(smo_meta *m, const smo_token *t,
                             const smo_attr *a, size_t *len)
{
    const char *s = t->raw + a->value_off, *e = s + a->value_len;

    for (const char *c = s; c < e; c++) {
        unsigned char u = (unsigned char)*c;
        if (u == '&' || u == 0 || u >= 0x80) {
            const char *k = attr_keyword(m->tmp, t, a);
            *len = strlen(k);
            return k;
        }
    }
    while (s < e && smo_ascii_is_space((unsigned char)*s))
        s++;
    while (e > s && smo_ascii_is_space((unsigned char)e[-1]))
        e--;
    *len = (size_t)(e - s);
    return s;
}

static int ci_equal_n(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && smo_ascii_ci_eq(a, b, alen);
}

static void on_meta(smo_meta *m, const smo_token *t)
{
    meta_attrs ma;
    const char *names[2] = { NULL, NULL };
    size_t lens[2] = { 0, 0 };
    int nonempty[2] = { 0, 0 };
    int content_blank = -1;      /* not looked at yet */
    int n = 0;

    apr_pool_clear(m->tmp);
    scan_meta_attrs(t, &ma);
    if (ma.charset) {
        set_meta_charset(m, attr_keyword(m->tmp, t, ma.charset));
    } else if (ma.http_equiv &&
               !strcasecmp(attr_keyword(m->tmp, t, ma.http_equiv),
                           "content-type") &&
               ma.content) {
        set_meta_charset(m, charset_from_content(
                                m->tmp, attr_keyword(m->tmp, t, ma.content)));
    }

    /* A tag may declare a name and a property at once
     * (<meta name="description" property="og:description" ...>). */
    if (ma.property) {
        names[n] = keyword_n(m, t, ma.property, &lens[n]);
        n++;
    }
    if (ma.name) {
        names[n] = keyword_n(m, t, ma.name, &lens[n]);
        if (n == 0 || !ci_equal_n(names[0], lens[0], names[n], lens[n]))
            n++;
    }

    for (int i = 0; i < n; i++) {
        if (ma.content && content_blank < 0)
            content_blank = raw_blank(m->tmp, t->raw + ma.content->value_off,
                                      ma.content->value_len);
        nonempty[i] = ma.content && !content_blank;
        /* SPEC 6: the legacy value= counts for twitter:*. */
        if (!nonempty[i] && ma.value && lens[i] >= 8 &&
            smo_ascii_ci_eq_lower(names[i], "twitter:", 8))
            nonempty[i] = !raw_blank(m->tmp, t->raw + ma.value->value_off,
                                     ma.value->value_len);
    }
    for (int i = 0; i < n; i++) {
        int idx = lens[i] ? tracked_index_n(m, names[i], lens[i]) : -1;
        if (idx >= 0)
            record(m, idx, nonempty[i], n == 2 && nonempty[1 - i] &&
                   lens[1 - i], t);
        if (ci_equal_n(names[i], lens[i], "description", 11) && nonempty[i]
            && !m->description.set)
            keep_raw(m->pool, &m->description, t, ma.content);
        if ((ci_equal_n(names[i], lens[i], "og:image", 8)
             || ci_equal_n(names[i], lens[i], "og:image:url", 12))
            && nonempty[i] && ma.content && !m->image.set) {
            keep_raw(m->pool, &m->image, t, ma.content);
            m->image_end = t->end;
        }
        if (ci_equal_n(names[i], lens[i], "og:title", 8) && nonempty[i] &&
            ma.content && !m->og_title.set)
            keep_raw(m->pool, &m->og_title, t, ma.content);
        if (ci_equal_n(names[i], lens[i], "og:site_name", 12) &&
            nonempty[i] && ma.content && !m->og_site.set)
            keep_raw(m->pool, &m->og_site, t, ma.content);
    }
}

/* Is `word` one of the space-separated tokens of the len bytes at s? */
static int has_token(const char *s, size_t len, const char *word)
{
    const char *end = s + len;
    size_t n = strlen(word);
    while (s < end) {
        const char *w;
        while (s < end && smo_ascii_is_space((unsigned char)*s))
            s++;
        w = s;
        while (s < end && !smo_ascii_is_space((unsigned char)*s))
            s++;
        if ((size_t)(s - w) == n && smo_ascii_ci_eq_lower(w, word, n))
            return 1;
    }
    return 0;
}

static void on_link(smo_meta *m, const smo_token *t)
{
    const smo_attr *rel = smo_find_attr(t, "rel"), *href;
    const char *rels;
    size_t rels_len;
    int nonempty;

    apr_pool_clear(m->tmp);
    if (!rel)
        return;
    rels = keyword_n(m, t, rel, &rels_len);
    if (!has_token(rels, rels_len, "canonical"))
        return;
    href = smo_find_attr(t, "href");
    nonempty = href && !raw_blank(m->tmp, t->raw + href->value_off,
                                  href->value_len);
    record(m, CANON, nonempty, 0, t);
    if (nonempty && !m->canonical.set)
        keep_raw(m->pool, &m->canonical, t, href);
}

static void title_append(smo_meta *m, const char *s, size_t len)
{
    size_t room = TITLE_MAX - m->title_len;
    if (len > room) {
        len = room;
        m->title_truncated = 1;
    }
    memcpy(m->title + m->title_len, s, len);
    m->title_len += len;
}

/* Could the tag be one smo_meta_token() reads?  Most head tags are not
 * (script, style, noscript...): the first letter turns them away before
 * any string compare. */
static int maybe_fact_tag(const smo_token *t)
{
    switch (t->name[0]) {
    case 'm': case 'l': case 't': case 'b': case 'h':
        return 1;
    default:
        return 0;
    }
}

void smo_meta_token(smo_meta *m, const smo_token *t)
{
    const smo_attr *a;

    /* Any token may change a fact: values cached from them are stale. */
    m->facts++;
    if (m->in_title) {
        /* RCDATA: only text until </title>; anything else ends it too. */
        if (t->type == SMO_TOKEN_TEXT && t->text) {
            title_append(m, t->text, (size_t)(t->end - t->start));
            return;
        }
        m->in_title = 0;
    }
    if (t->type != SMO_TOKEN_START_TAG || !maybe_fact_tag(t))
        return;
    if (t->truncated) {
        /* Its attributes are unknown: it may declare anything. */
        if (!strcmp(t->name, "meta") || !strcmp(t->name, "link"))
            m->unknown_tag = 1;
        return;
    }
    if (!strcmp(t->name, "meta")) {
        on_meta(m, t);
    } else if (!strcmp(t->name, "link")) {
        on_link(m, t);
    } else if (!strcmp(t->name, "title")) {
        /* The document's title is its first <title>. */
        if (!m->title_seen) {
            m->title_seen = 1;
            m->in_title = 1;
            m->title = apr_palloc(m->pool, TITLE_MAX);
        }
    } else if (!strcmp(t->name, "base")) {
        /* HTML: the first <base> with an href sets the document base. */
        if (!m->base.set && (a = smo_find_attr(t, "href")))
            keep_raw(m->pool, &m->base, t, a);
    } else if (!strcmp(t->name, "html") && !m->seen_html) {
        m->seen_html = 1;
        if ((a = smo_find_attr(t, "lang")) ||
            (a = smo_find_attr(t, "xml:lang")))
            keep_raw(m->pool, &m->lang, t, a);
    }
}

smo_meta *smo_meta_create(apr_pool_t *pool, const smo_meta_config *cfg)
{
    smo_meta *m = apr_pcalloc(pool, sizeof(*m));
    tracked *canon;

    m->pool = pool;
    apr_pool_create(&m->tmp, pool);
    m->cfg = *cfg;
    m->cache = apr_pcalloc(pool, sizeof(*m->cache));
    m->decls = apr_array_make(pool, 16, sizeof(decl));
    m->names = apr_array_make(pool, 16, sizeof(tracked));
    canon = apr_array_push(m->names);
    canon->name = canon->lower = "";
    canon->len = 0;
    canon->overflow = 0;
    /* Distinct by construction: no need to look for duplicates. */
    for (size_t i = 0; i < sizeof tracked_fixed / sizeof tracked_fixed[0];
         i++)
        push_tracked(m, tracked_fixed[i]);
    if (cfg->props)
        for (int i = 0; i < cfg->props->nelts; i++) {
            const smo_meta_prop *p =
                &APR_ARRAY_IDX(cfg->props, i, smo_meta_prop);
            if (p->name && *p->name)
                track(m, p->name);
        }
    return m;
}

/* ---- deciding ----------------------------------------------------------- */

/* og:locale from a language tag: "en-GB" -> "en_GB", "fr" -> "fr",
 * "zh-Hant-TW" -> "zh_TW".  NULL when the value does not look like a
 * BCP 47 tag (private use "x-...", grandfathered "i-...", junk). */
static const char *locale_from_lang(apr_pool_t *p, const char *lang)
{
    char *s = trim(apr_pstrdup(p, lang)), *sub, *last;
    const char *language = NULL, *region = NULL;
    int i = 0;

    size_t len = strlen(s);

    /* apr_strtok skips empty subtags; a tag has none. */
    if (!len || strchr("-_", s[0]) || strchr("-_", s[len - 1]) ||
        strstr(s, "--") || strstr(s, "__") || strstr(s, "-_") ||
        strstr(s, "_-"))
        return NULL;
    for (sub = apr_strtok(s, "-_", &last); sub;
         sub = apr_strtok(NULL, "-_", &last), i++) {
        size_t n = strlen(sub), alpha = 0, digit = 0;
        for (size_t k = 0; k < n; k++) {
            char c = sub[k];
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
                alpha++;
            else if (c >= '0' && c <= '9')
                digit++;
            else
                return NULL;
        }
        if (n < 1 || n > 8)
            return NULL;
        if (i == 0) {
            if (alpha != n || n < 2 || n > 3)
                return NULL;
            language = apr_pstrdup(p, sub);
            for (char *c = (char *)language; *c; c++)
                *c = (char)(*c | 0x20);
            if (!strcmp(language, "und"))
                return NULL;
        } else if (!region && ((n == 2 && alpha == 2) ||
                               (n == 3 && digit == 3))) {
            char *r = apr_pstrdup(p, sub);
            for (char *c = r; *c; c++)
                if (*c >= 'a' && *c <= 'z')
                    *c = (char)(*c - 'a' + 'A');
            region = r;
        }
        /* Script subtags ("Hant"), variants and extensions are not part
         * of an og:locale; they are checked for shape only. */
    }
    if (!language)
        return NULL;
    return region ? apr_pstrcat(p, language, "_", region, NULL) : language;
}

/* The cache of values made from the page's facts, emptied first if a
 * token came since they were made. */
static derived_cache *fresh_cache(const smo_meta *m)
{
    derived_cache *c = m->cache;

    if (c->facts != m->facts) {
        c->facts = m->facts;
        c->base_done = 0;
        memset(c->derived_done, 0, sizeof c->derived_done);
    }
    return c;
}

static const char *compute_page_base(const smo_meta *m)
{
    if (m->base.set && m->cfg.page_url) {
        const char *b = smo_url_resolve_in(
            m->pool, m->cfg.page_url,
            page_text(m, m->base.s, m->base.len, 1), page_charset(m));
        if (b)
            return b;
    }
    return m->cfg.page_url;
}

/* What relative URLs from the page resolve against: its <base href>
 * (itself relative to the page URL), else the page URL. */
static const char *page_base(const smo_meta *m)
{
    derived_cache *c = fresh_cache(m);

    if (!c->base_done) {
        c->base = compute_page_base(m);
        c->base_done = 1;
    }
    return c->base;
}

/* The page's state for one tracked name, relative to held_from. */
typedef struct {
    int declared_out;    /* a non-empty declaration that cannot be removed */
    int declared_held;   /* a non-empty declaration still held */
} page_state;

static page_state state_of(const smo_meta *m, int name, uint64_t held_from)
{
    page_state st = { 0, 0 };
    const decl *d = (const decl *)m->decls->elts;
    if (APR_ARRAY_IDX(m->names, name, tracked).overflow)
        st.declared_out = 1;
    for (int i = 0; i < m->decls->nelts; i++) {
        if (d[i].name != name || !d[i].nonempty)
            continue;
        if (d[i].start < held_from || d[i].pinned)
            st.declared_out = 1;
        else
            st.declared_held = 1;
    }
    return st;
}

/* Does the page keep a non-empty declaration of `name` (by itself)? */
static int page_declares(const smo_meta *m, const char *name)
{
    int idx = tracked_index(m, name);
    const decl *d = (const decl *)m->decls->elts;
    if (idx < 0)
        return 0;
    if (APR_ARRAY_IDX(m->names, idx, tracked).overflow)
        return 1;
    for (int i = 0; i < m->decls->nelts; i++)
        if (d[i].name == idx && d[i].nonempty)
            return 1;
    return 0;
}

/* Decide whether our value for `name` is written; if so, append the page
 * tags it replaces to `spans`.  `replace` is true for a configured value
 * under SMOMetaPolicy override. */
static int decide(const smo_meta *m, int name, int replace,
                  uint64_t held_from, apr_array_header_t *spans)
{
    page_state st = state_of(m, name, held_from);
    const decl *d = (const decl *)m->decls->elts;

    /* Exactly once: what the page declared and already sent stays. */
    if (st.declared_out)
        return 0;
    if (st.declared_held && !replace)
        return 0;
    /* Ours goes in, and the held tags of this name go: under keep only
     * empty ones are left here (SPEC 3), when replacing all of them. */
    for (int i = 0; i < m->decls->nelts; i++) {
        if (d[i].name != name || d[i].start < held_from || d[i].pinned)
            continue;
        *(smo_span *)apr_array_push(spans) =
            (smo_span){ d[i].start, d[i].end };
    }
    return 1;
}

/* A value made ready to write: URL-valued ones absolute (http/https) or
 * NULL, og:url with tracking parameters stripped. */
static const char *prepare(const smo_meta *m, const char *name,
                           const char *value, const char *base)
{
    if (!value || blank(value))
        return NULL;
    if (!IN_LIST(name, url_props))
        return value;
    if (!(value = smo_url_resolve(m->pool, base, value)))
        return NULL;
    if (!strcasecmp(name, "og:url"))
        value = smo_url_strip(m->pool, value, m->cfg.strip_globs);
    return value;
}

/* The index of the last SMOMeta entry for `name` (the one that counts),
 * or -1. */
static int configured_index(const smo_meta *m, const char *name)
{
    int last = -1;
    if (!m->cfg.props)
        return -1;
    for (int i = 0; i < m->cfg.props->nelts; i++) {
        const smo_meta_prop *p = &APR_ARRAY_IDX(m->cfg.props, i,
                                                smo_meta_prop);
        if (p->name && !strcasecmp(p->name, name))
            last = i;
    }
    return last;
}

static const char *configured_at(const smo_meta *m, int i)
{
    const char *v = APR_ARRAY_IDX(m->cfg.props, i, smo_meta_prop).value;
    return v ? v : "";
}

/* The last SMOMeta value for `name`, or NULL. */
static const char *configured(const smo_meta *m, const char *name)
{
    int i = configured_index(m, name);
    return i < 0 ? NULL : configured_at(m, i);
}

/* SMOMeta entry i made ready to write (prepare()), computed once: it
 * depends on the configuration only. */
static const char *configured_value(const smo_meta *m, const char *name,
                                    int i)
{
    derived_cache *c = m->cache;

    if (!c->conf_done) {
        c->conf_done = apr_pcalloc(m->pool, sizeof(int) *
                                            (size_t)m->cfg.props->nelts);
        c->conf = apr_pcalloc(m->pool, sizeof(char *) *
                                       (size_t)m->cfg.props->nelts);
    }
    if (!c->conf_done[i]) {
        c->conf[i] = prepare(m, name, configured_at(m, i), m->cfg.page_url);
        c->conf_done[i] = 1;
    }
    return c->conf[i];
}

/* What SMOAutoMeta gives derivable[k], as it is (see prepare()). */
static const char *derive(const smo_meta *m, int k)
{
    if (k == D_TITLE)
        return smo_meta_title(m);
    if (k == D_DESCRIPTION) {
        /* The description the page ends up with: its own, else ours. */
        const char *conf = configured(m, "description");
        int ours = conf && !blank(conf);
        if (m->description.set && !(m->cfg.override && ours))
            return smo_collapse_ws(page_text(m, m->description.s,
                                             m->description.len, 1));
        return ours ? smo_collapse_ws(apr_pstrdup(m->pool, conf)) : NULL;
    }
    if (k == D_URL) {
        if (m->canonical.set) {
            const char *u = smo_url_resolve_in(
                m->pool, page_base(m),
                page_text(m, m->canonical.s, m->canonical.len, 1),
                page_charset(m));
            if (u)
                return u;
        }
        return m->cfg.canonical_url;
    }
    if (k == D_TYPE)
        return "website";
    if (k == D_LOCALE)
        return m->lang.set
                   ? locale_from_lang(m->pool,
                                      page_text(m, m->lang.s, m->lang.len, 1))
                   : NULL;
    return NULL;
}

/* What SMOAutoMeta gives `name` (compared exactly, lowercase), made ready
 * to write; NULL if nothing.  Cached per derivable name until the next
 * token. */
static const char *derived_value(const smo_meta *m, const char *name)
{
    derived_cache *c;
    size_t k;

    /* All of them are og: names (compared as derive() does, exactly). */
    if (strncmp(name, "og:", 3) != 0)
        return NULL;
    for (k = 0; k < N_DERIVABLE; k++)
        if (!strcmp(name + 3, derivable[k] + 3))
            break;
    if (k == N_DERIVABLE)
        return NULL;    /* derive() knows nothing else */
    c = fresh_cache(m);
    if (!c->derived_done[k]) {
        c->derived[k] = prepare(m, name, derive(m, (int)k), page_base(m));
        c->derived_done[k] = 1;
    }
    return c->derived[k];
}

const char *smo_meta_value(const smo_meta *m, const char *name)
{
    int i = configured_index(m, name);
    if (i >= 0 && !blank(configured_at(m, i)))
        return configured_value(m, name, i);
    return derived_value(m, name);
}

static void put_meta(const smo_meta *m, apr_array_header_t *out,
                     const char *name, const char *value)
{
    APR_ARRAY_PUSH(out, const char *) = apr_pstrcat(
        m->pool, "<meta ", is_property_ns(name) ? "property" : "name", "=\"",
        smo_escape_attr(m->pool, name, strlen(name)), "\" content=\"",
        smo_escape_attr(m->pool, value, strlen(value)), "\"",
        m->cfg.xhtml ? " />" : ">", "\n", NULL);
}

/* One property through the rules: SMOMeta first, else derived; returns
 * whether it was written. */
static int property(const smo_meta *m, const char *name, uint64_t held_from,
                    apr_array_header_t *spans, apr_array_header_t *out)
{
    int conf = configured_index(m, name), idx = tracked_index(m, name);
    const char *value;

    if (conf >= 0) {
        /* Configured values resolve against the request's URL; an empty
         * one means "write nothing here" and stops the derivation. */
        value = configured_value(m, name, conf);
    } else if (m->cfg.auto_meta) {
        value = derived_value(m, name);
    } else {
        value = NULL;
    }
    if (!value || idx < 0)
        return 0;
    /* Derived values never override a page value. */
    if (!decide(m, idx, conf >= 0 && m->cfg.override, held_from, spans))
        return 0;
    put_meta(m, out, name, value);
    return 1;
}

/* The og:image the page ends up with (ours when we wrote one, else the
 * page's own), absolute; NULL if none. */
static const char *image_url(const smo_meta *m, int ours)
{
    if (ours)
        return smo_meta_value(m, "og:image");
    if (!m->image.set)
        return NULL;
    return smo_url_resolve_in(m->pool, page_base(m),
                              page_text(m, m->image.s, m->image.len, 1),
                              page_charset(m));
}

/* SPEC 8: og:image:width, og:image:height and og:image:type read from the
 * image, each where neither the page nor SMOMeta gives it, appended to
 * `out`. */
static void put_image_facts(smo_meta *m, const char *url,
                            apr_array_header_t *out)
{
    smo_meta_image img;
    const char *values[3];
    int rc;

    if (!url || !m->cfg.image_facts)
        return;
    rc = m->cfg.image_facts(m->cfg.image_ctx, url, &img);
    /* A URL on another server has no file: the answer is the page's. */
    if (rc >= 0)
        m->asked_image = 1;
    if (rc <= 0)
        return;
    values[0] = apr_psprintf(m->pool, "%lu", img.width);
    values[1] = apr_psprintf(m->pool, "%lu", img.height);
    values[2] = img.type;
    for (int i = 0; i < 3; i++)
        if (values[i] && configured_index(m, image_facts[i]) < 0 &&
            !page_declares(m, image_facts[i]))
            put_meta(m, out, image_facts[i], values[i]);
}

/* What a property ends up as, for the card: the page's own value, unless
 * SMOMeta overrides it, else SMOMeta's or the derived one. */
static const char *ends_up(const smo_meta *m, const char *name,
                           const rawval *page)
{
    const char *conf = configured(m, name);

    if (page->set && !(conf && !blank(conf) && m->cfg.override)) {
        char *v = smo_collapse_ws(page_text(m, page->s, page->len, 1));
        if (*v)
            return v;
    }
    return smo_meta_value(m, name);
}

/* SPEC 9: a page that ends up with no og:image gets a generated card,
 * with its size, its type and the large card on X; appended to `out`.
 * An empty SMOMeta og:image ("") only drops an inherited picture: a
 * section that wants no card says SMOCard Off.  Returns whether it was
 * written. */
static int put_card(smo_meta *m, apr_array_header_t *out)
{
    static const char *const facts[][2] = {
        { "og:image:width", "1200" }, { "og:image:height", "630" },
        { "og:image:type", "image/png" },
    };
    const char *title, *url;

    const char *conf_image = configured(m, "og:image"),
               *conf_url = configured(m, "og:image:url");

    if (!m->cfg.card_url || page_declares(m, "og:image") ||
        page_declares(m, "og:image:url") ||
        (conf_image && !blank(conf_image)) || (conf_url && !blank(conf_url)))
        return 0;
    title = ends_up(m, "og:title", &m->og_title);
    if (!title)
        title = smo_meta_title(m);
    url = m->cfg.card_url(m->cfg.card_ctx, title,
                          ends_up(m, "og:site_name", &m->og_site));
    if (url && m->cfg.page_url)
        url = smo_url_resolve(m->pool, m->cfg.page_url, url);
    if (!url)
        return 0;
    put_meta(m, out, "og:image", url);
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++)
        if (configured_index(m, facts[i][0]) < 0 &&
            !page_declares(m, facts[i][0]))
            put_meta(m, out, facts[i][0], facts[i][1]);
    m->wrote_card = 1;
    return 1;
}

int smo_meta_wrote_card(const smo_meta *m)
{
    return m->wrote_card;
}

int smo_meta_asked_image(const smo_meta *m)
{
    return m->asked_image;
}

const char *smo_meta_image_markup(smo_meta *m, uint64_t *at)
{
    *at = m->image_end;
    return m->image_markup;
}

static int span_cmp(const void *a, const void *b)
{
    const smo_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

const char *smo_meta_markup(smo_meta *m, uint64_t held_from,
                            apr_array_header_t *removals)
{
    apr_array_header_t *out = apr_array_make(m->pool, 12, sizeof(char *));
    apr_array_header_t *spans = apr_array_make(m->pool, 4, sizeof(smo_span));
    const char *card;
    int image = 0;

    if (m->unknown_tag)
        return NULL;

    /* The canonical link: the page's own is never changed (SPEC 3). */
    if (m->cfg.canonical && m->cfg.canonical_url) {
        const char *u = smo_url_resolve(m->pool, m->cfg.canonical_url,
                                        m->cfg.canonical_url);
        if (u && decide(m, CANON, 0, held_from, spans)) {
            u = smo_url_strip(m->pool, u, m->cfg.strip_globs);
            APR_ARRAY_PUSH(out, const char *) = apr_pstrcat(
                m->pool, "<link rel=\"canonical\" href=\"",
                smo_escape_attr(m->pool, u, strlen(u)), "\"",
                m->cfg.xhtml ? " />" : ">", "\n", NULL);
        }
    }

    for (size_t i = 0; i < sizeof fixed_order / sizeof fixed_order[0]; i++)
        if (property(m, fixed_order[i], held_from, spans, out) &&
            !strcmp(fixed_order[i], "og:image"))
            image = 1;

    /* The image facts follow their og:image: in this block when it is
     * ours, else right after the page's own tag (smo_meta_image_markup),
     * as Open Graph readers take a structured property for the image
     * before it. */
    if (image) {
        put_image_facts(m, image_url(m, 1), out);
    } else if (put_card(m, out)) {
        image = 1;
    } else if (page_declares(m, "og:image") || page_declares(m, "og:image:url")) {
        apr_array_header_t *after = apr_array_make(m->pool, 3, sizeof(char *));
        put_image_facts(m, image_url(m, 0), after);
        m->image_markup = after->nelts
                          ? apr_array_pstrcat(m->pool, after, '\0') : NULL;
    }

    if (m->cfg.props) {
        for (int i = 0; i < m->cfg.props->nelts; i++) {
            const smo_meta_prop *p = &APR_ARRAY_IDX(m->cfg.props, i,
                                                    smo_meta_prop);
            int first = 1;
            if (!p->name || !*p->name || IN_LIST(p->name, fixed_order) ||
                !strcasecmp(p->name, "twitter:card"))
                continue;
            /* In configuration order: a name at its first place. */
            for (int k = 0; k < i && first; k++) {
                const char *seen = APR_ARRAY_IDX(m->cfg.props, k,
                                                 smo_meta_prop).name;
                if (seen && !strcasecmp(seen, p->name))
                    first = 0;
            }
            if (first && property(m, p->name, held_from, spans, out) &&
                !strcasecmp(p->name, "og:image:url"))
                image = 1;
        }
    }

    /* SPEC 8: with SMOAutoMeta, SMOMeta's og:image:alt also describes the
     * image to X, where nothing else does. */
    {
        int alt = configured_index(m, "og:image:alt");
        const char *v = alt >= 0 ? configured_at(m, alt) : NULL;
        if (m->cfg.auto_meta && v && !blank(v) &&
            configured_index(m, "twitter:image:alt") < 0 &&
            !page_declares(m, "twitter:image:alt"))
            put_meta(m, out, "twitter:image:alt",
                     configured_value(m, "og:image:alt", alt));
    }

    /* twitter:card: a large image card when there is an image to show. */
    card = configured(m, "twitter:card");
    if (!card && (m->cfg.auto_meta || m->wrote_card))
        card = image || page_declares(m, "og:image") ||
                       page_declares(m, "og:image:url")
                   ? "summary_large_image" : "summary";
    if (card && !blank(card) &&
        decide(m, tracked_index(m, "twitter:card"),
               configured(m, "twitter:card") && m->cfg.override, held_from,
               spans))
        put_meta(m, out, "twitter:card", card);

    /* The spans in stream order, each once (a tag can carry two names). */
    if (spans->nelts > 1)
        qsort(spans->elts, (size_t)spans->nelts, sizeof(smo_span), span_cmp);
    for (int i = 0; i < spans->nelts; i++) {
        smo_span s = APR_ARRAY_IDX(spans, i, smo_span);
        if (i > 0 && APR_ARRAY_IDX(spans, i - 1, smo_span).start == s.start)
            continue;
        if (removals)
            *(smo_span *)apr_array_push(removals) = s;
    }
    return out->nelts ? apr_array_pstrcat(m->pool, out, '\0') : NULL;
}

/* Cut at TITLE_MAX: drop a UTF-8 character left incomplete at the end
 * rather than let it become U+FFFD. */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t i = len, need;
    unsigned char c;

    while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return len;
    c = (unsigned char)s[i - 1];
    if (c < 0xC0)
        return len;
    need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    return len - (i - 1) < need ? i - 1 : len;
}

const char *smo_meta_title(const smo_meta *m)
{
    derived_cache *c = m->cache;
    char *t, *raw;
    size_t len = m->title_len;
    const char *cs = page_charset(m);

    /* Cached, unless asked before the title or the charset was complete. */
    if (c->title_done && c->title_len == m->title_len && c->charset == cs)
        return c->title;
    c->title_done = 1;
    c->title_len = m->title_len;
    c->charset = cs;
    if (!m->title_seen)
        return NULL;
    raw = m->title;
    if (m->title_truncated && (!cs || ci_prefix(cs, "utf")))
        len = utf8_cut(raw, len);
    t = smo_collapse_ws(page_text(m, raw ? raw : "", len, 0));
    c->title = *t ? t : NULL;
    return c->title;
}

void smo_meta_set_bom(smo_meta *m, const char *charset)
{
    m->bom_charset = charset;
    m->facts++; /* values decoded before are stale */
}

const char *smo_meta_charset(const smo_meta *m)
{
    return page_charset(m);
}
