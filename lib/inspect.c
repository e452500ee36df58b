/* inspect.c — the inspector's report (SPEC section 10): the served
 * page's head read with the project's tokenizer and tree simulation, the
 * origin of each value found by comparing with the backend's page, the
 * checks, the share links, and what each network's preview shows.
 * Rendering is in inspect_render.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_hash.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "inspect_internal.h"
#include "smo_ascii.h"
#include "smo_escape.h"
#include "smo_tokenizer.h"
#include "smo_treesim.h"
#include "smo_url.h"

/* ---- the networks ------------------------------------------------------ */

/* Keep in step with the table of docs/inspector.md (sources there). */
const smo_inspect_net smo_inspect_nets[SMO_INSPECT_NETS] = {
    /* id        name        box       ratio     min       large     cut title/desc site card */
    { "facebook", "Facebook", 191, 100, "1.91:1", 200, 200, 600, 315, 88, 110, 0, 0 },
    { "x",        "X",        200, 100, "2:1",    300, 157, 300, 157, 70, 200, 0, 0 },
    { "linkedin", "LinkedIn", 191, 100, "1.91:1", 200, 200, 400, 209, 70, 0,   0, 0 },
    { "slack",    "Slack",    191, 100, "1.91:1", 0,   0,   200, 100, 150, 300, 1, 0 },
    { "whatsapp", "WhatsApp", 191, 100, "1.91:1", 0,   0,   300, 200, 80, 150, 0, 0 },
    { "discord",  "Discord",  191, 100, "1.91:1", 0,   0,   300, 157, 256, 350, 1, 1 },
    { "mastodon", "Mastodon", 191, 100, "1.91:1", 0,   0,   400, 210, 100, 200, 0, 0 },
    { "bluesky",  "Bluesky",  191, 100, "1.91:1", 0,   0,   300, 157, 100, 150, 0, 0 },
};

static int is_large_card(const smo_inspect_report *r)
{
    return r->twitter_card && !strcmp(r->twitter_card, "summary_large_image");
}

smo_inspect_net smo_inspect_net_for(const smo_inspect_net *n,
                                    const smo_inspect_report *r)
{
    smo_inspect_net out = *n;

    /* X draws summary (and a page without twitter:card) as a square
     * thumbnail of at least 144x144 beside the text. */
    if (!strcmp(n->id, "x") && !is_large_card(r)) {
        out.box_w = out.box_h = 1;
        out.ratio = "1:1";
        out.min_w = out.min_h = 144;
        out.large_w = out.large_h = 0;
    }
    return out;
}

/* ---- UTF-8 bounds ------------------------------------------------------ */

/* The length of the longest prefix of s, at most max bytes, that ends
 * on a character boundary. */
static size_t utf8_floor(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

const char *smo_inspect_cut(apr_pool_t *p, const char *s, unsigned chars)
{
    size_t i = 0, n = 0;
    char *out;

    if (!s)
        return NULL;
    while (s[i] && n < chars) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        n++;
    }
    if (!s[i])
        return s;
    while (i > 0 && s[i - 1] == ' ')
        i--;
    out = apr_palloc(p, i + 4);
    memcpy(out, s, i);
    memcpy(out + i, "\xE2\x80\xA6", 4);   /* … and the NUL */
    return out;
}

/* ---- reading a page ---------------------------------------------------- */

#define NAME_MAX_LEN 128
#define TITLE_RAW_MAX (2 * SMO_INSPECT_MAX_VALUE)
#define LABEL_RAW_MAX 512

typedef struct {
    apr_pool_t *p;
    smo_treesim *sim;
    const char *charset;          /* HTTP's, else the page's own */
    int http_charset;
    int want_links;
    int head_done;
    apr_array_header_t *props;    /* smo_inspect_prop, origin unset */
    uint64_t last_social;         /* offset of the last og:/twitter: tag */
    int any_social;
    int in_title, title_seen;
    char *title_raw;
    size_t title_len;
    uint64_t title_off;
    apr_array_header_t *links;
    smo_inspect_link *link;       /* the anchor being read, or NULL */
    char *label_raw;
    size_t label_len;
} page_scan;

/* Raw bytes to a value: the page's charset to UTF-8, references
 * decoded, whitespace collapsed, bounded. */
static const char *decode(page_scan *s, const char *raw, size_t len,
                          int in_attr)
{
    size_t ulen;
    char *u, *v;
    size_t n;

    if (len > 2 * SMO_INSPECT_MAX_VALUE)
        len = 2 * SMO_INSPECT_MAX_VALUE;
    u = smo_to_utf8(s->p, raw, len, s->charset, &ulen);
    v = smo_collapse_ws(smo_html_decode(s->p, u, ulen, in_attr));
    n = utf8_floor(v, strlen(v), SMO_INSPECT_MAX_VALUE);
    v[n] = '\0';
    return v;
}

static const char *attr_raw(const smo_token *t, const smo_attr *a,
                            size_t *len)
{
    *len = a->value_len;
    return t->raw + a->value_off;
}

/* A name attribute's value, trimmed and ASCII-lowercased (names are
 * compared as networks compare them). */
static char *attr_name(apr_pool_t *p, const smo_token *t, const smo_attr *a)
{
    size_t len;
    const char *raw = attr_raw(t, a, &len);
    char *n, *c;

    while (len && smo_ascii_is_space((unsigned char)*raw))
        raw++, len--;
    while (len && smo_ascii_is_space((unsigned char)raw[len - 1]))
        len--;
    if (len > NAME_MAX_LEN)
        len = NAME_MAX_LEN;
    n = apr_pstrmemdup(p, raw, len);
    for (c = n; *c; c++)
        *c = (char)smo_ascii_lower((unsigned char)*c);
    return n;
}

static int is_social(const char *name)
{
    return !strncmp(name, "og:", 3) || !strncmp(name, "twitter:", 8);
}

/* Does the attribute's value start with og: or twitter: (any case)? */
static int social_attr(const smo_token *t, const smo_attr *a)
{
    size_t len;
    const char *v;

    if (!a)
        return 0;
    v = attr_raw(t, a, &len);
    while (len && smo_ascii_is_space((unsigned char)*v))
        v++, len--;
    return (len >= 3 && smo_ascii_ci_eq(v, "og:", 3)) ||
           (len >= 8 && smo_ascii_ci_eq(v, "twitter:", 8));
}

static void add_prop(page_scan *s, const char *name, const char *value,
                     uint64_t off)
{
    smo_inspect_prop *pr;

    if (is_social(name)) {
        s->any_social = 1;
        s->last_social = off;
    }
    if (s->props->nelts >= SMO_INSPECT_MAX_PROPS)
        return;
    pr = &APR_ARRAY_PUSH(s->props, smo_inspect_prop);
    pr->name = name;
    pr->value = value;
    pr->origin = SMO_FROM_PAGE;
    pr->offset = off;
}

/* Is `word` one of the space-separated tokens of the attribute? */
static int attr_has_token(const smo_token *t, const smo_attr *a,
                          const char *word)
{
    size_t len, n = strlen(word), i = 0;
    const char *v = attr_raw(t, a, &len);

    while (i < len) {
        size_t j;
        while (i < len && smo_ascii_is_space((unsigned char)v[i]))
            i++;
        j = i;
        while (j < len && !smo_ascii_is_space((unsigned char)v[j]))
            j++;
        if (j - i == n && smo_ascii_ci_eq(v + i, word, n))
            return 1;
        i = j;
    }
    return 0;
}

static void on_meta(page_scan *s, const smo_token *t)
{
    const smo_attr *prop = smo_find_attr(t, "property");
    const smo_attr *name = smo_find_attr(t, "name");
    const smo_attr *content = smo_find_attr(t, "content");
    const smo_attr *cs = smo_find_attr(t, "charset");
    const char *names[2];
    int n = 0;

    if (cs && !s->http_charset && !s->charset)
        s->charset = attr_name(s->p, t, cs);
    if (s->props->nelts >= SMO_INSPECT_MAX_PROPS) {
        /* Past the cap only the 32 KiB check still looks, and it needs
         * no copy. */
        if (social_attr(t, prop) || social_attr(t, name)) {
            s->any_social = 1;
            s->last_social = t->start;
        }
        return;
    }
    if (prop)
        names[n++] = attr_name(s->p, t, prop);
    if (name) {
        names[n] = attr_name(s->p, t, name);
        if (n == 0 || strcmp(names[0], names[n]))
            n++;
    }
    for (int i = 0; i < n; i++) {
        const smo_attr *a = content;
        size_t len = 0;
        const char *raw = "";
        /* SPEC 6: the legacy value= counts for twitter:*. */
        if (!a && !strncmp(names[i], "twitter:", 8))
            a = smo_find_attr(t, "value");
        if (!*names[i])
            continue;
        if (a)
            raw = attr_raw(t, a, &len);
        add_prop(s, names[i], decode(s, raw, len, 1), t->start);
    }
}

static void head_tag(page_scan *s, const smo_token *t)
{
    if (t->truncated || !t->raw)
        return;
    if (!strcmp(t->name, "meta")) {
        on_meta(s, t);
    } else if (!strcmp(t->name, "link")) {
        const smo_attr *rel = smo_find_attr(t, "rel");
        const smo_attr *href = smo_find_attr(t, "href");
        size_t len;
        const char *raw;
        if (rel && href && attr_has_token(t, rel, "canonical")) {
            raw = attr_raw(t, href, &len);
            add_prop(s, "canonical", decode(s, raw, len, 1), t->start);
        }
    } else if (!strcmp(t->name, "title") && !s->title_seen) {
        /* The document's title is its first <title>. */
        s->title_seen = s->in_title = 1;
        s->title_off = t->start;
        s->title_raw = apr_palloc(s->p, TITLE_RAW_MAX);
        s->title_len = 0;
    }
}

static void end_title(page_scan *s)
{
    s->in_title = 0;
    add_prop(s, "title", decode(s, s->title_raw, s->title_len, 0),
             s->title_off);
}

static void append(char *buf, size_t *len, size_t max, const char *s,
                   size_t n)
{
    if (n > max - *len)
        n = max - *len;
    memcpy(buf + *len, s, n);
    *len += n;
}

static void end_link(page_scan *s)
{
    smo_inspect_link *l = s->link;

    l->label = decode(s, s->label_raw, s->label_len, 0);
    s->link = NULL;
}

/* An anchor of a share block: mod_smo gives each the class
 * "smo-share-link smo-share-NAME" (lib/share.c), templates included. */
static void start_link(page_scan *s, const smo_token *t)
{
    const smo_attr *cls = smo_find_attr(t, "class");
    const smo_attr *href = smo_find_attr(t, "href");
    smo_inspect_link *l;
    const char *v, *net = NULL;
    size_t len, i = 0;

    if (!cls || !attr_has_token(t, cls, "smo-share-link") ||
        s->links->nelts >= SMO_INSPECT_MAX_LINKS)
        return;
    v = attr_raw(t, cls, &len);
    while (i < len && !net) {
        size_t j;
        while (i < len && smo_ascii_is_space((unsigned char)v[i]))
            i++;
        j = i;
        while (j < len && !smo_ascii_is_space((unsigned char)v[j]))
            j++;
        if (j - i > 10 && smo_ascii_ci_eq(v + i, "smo-share-", 10) &&
            !(j - i == 14 && smo_ascii_ci_eq(v + i + 10, "link", 4)))
            net = apr_pstrmemdup(s->p, v + i + 10, j - i - 10);
        i = j;
    }
    l = &APR_ARRAY_PUSH(s->links, smo_inspect_link);
    l->href = "";
    if (href) {
        const char *raw = attr_raw(t, href, &len);
        l->href = decode(s, raw, len, 1);
    }
    l->network = net ? net : smo_url_host(s->p, l->href, NULL);
    if (!l->network)
        l->network = "";
    s->link = l;
    s->label_raw = apr_palloc(s->p, LABEL_RAW_MAX);
    s->label_len = 0;
}

static void link_token(page_scan *s, const smo_token *t)
{
    if (s->link) {
        if (t->type == SMO_TOKEN_TEXT)
            append(s->label_raw, &s->label_len, LABEL_RAW_MAX, t->text,
                   (size_t)(t->end - t->start));
        else if ((t->type == SMO_TOKEN_END_TAG || t->type ==
                  SMO_TOKEN_START_TAG) && !strcmp(t->name, "a"))
            end_link(s);
    }
    if (t->type == SMO_TOKEN_START_TAG && !strcmp(t->name, "a") &&
        !t->truncated && t->raw)
        start_link(s, t);
}

static int on_token(void *ctx, const smo_token *t)
{
    page_scan *s = ctx;
    uint64_t split = t->start;
    int ev = smo_treesim_token(s->sim, t, &split);

    if (s->in_title) {
        if (t->type == SMO_TOKEN_TEXT)
            append(s->title_raw, &s->title_len, TITLE_RAW_MAX, t->text,
                   (size_t)(t->end - t->start));
        else
            end_title(s);
    }
    if (!s->head_done && ((ev & SMO_HEAD_CLOSED) ||
                          smo_treesim_head_phase(s->sim) == SMO_HEAD_AFTER)) {
        s->head_done = 1;
        if (!s->want_links)
            return 1;
    }
    if (!s->head_done && t->type == SMO_TOKEN_START_TAG &&
        !smo_treesim_in_template(s->sim) && !smo_treesim_in_foreign(s->sim))
        head_tag(s, t);
    if (s->want_links)
        link_token(s, t);
    return 0;
}

static void scan_page(page_scan *s, apr_pool_t *p, const char *buf,
                      size_t len, const char *charset, int want_links)
{
    smo_tokenizer *tok;
    size_t skip = 0;

    memset(s, 0, sizeof(*s));
    s->p = p;
    s->charset = charset;
    s->http_charset = charset != NULL;
    s->want_links = want_links;
    s->props = apr_array_make(p, 16, sizeof(smo_inspect_prop));
    s->links = apr_array_make(p, 8, sizeof(smo_inspect_link));
    tok = smo_tokenizer_create(p, SMO_TAIL_LIMIT_DEFAULT, on_token, s);
    s->sim = smo_treesim_create(p, tok);
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) {
        /* A UTF-8 byte order mark: the decoder eats it, offsets count it. */
        skip = 3;
        if (!s->http_charset)
            s->charset = "utf-8";
        smo_tokenizer_skip(tok, skip);
    }
    smo_tokenizer_feed(tok, buf + skip, len - skip, 1);
    if (s->in_title)
        end_title(s);
    if (s->link)
        end_link(s);
}

/* ---- where each value came from ---------------------------------------- */

static const char *prop_key(apr_pool_t *p, const smo_inspect_prop *pr)
{
    return apr_pstrcat(p, pr->name, "\n", pr->value, NULL);
}

static int configured(const apr_array_header_t *names, const char *name)
{
    for (int i = 0; names && i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        if (n && !strcasecmp(n, name))
            return 1;
    }
    return 0;
}

static int is_image_name(const char *n)
{
    return !strcmp(n, "og:image") || !strcmp(n, "og:image:url") ||
           !strcmp(n, "og:image:secure_url") || !strcmp(n, "twitter:image");
}

static int is_image_fact(const char *n)
{
    return !strcmp(n, "og:image:width") || !strcmp(n, "og:image:height") ||
           !strcmp(n, "og:image:type");
}

static int is_card(const smo_inspect_input *in, const char *v)
{
    return in->card_prefix && *in->card_prefix && v &&
           !strncmp(v, in->card_prefix, strlen(in->card_prefix));
}

/* What SMOAutoMeta and SMOCanonical write (lib/meta.c). */
static int derivable(const char *n)
{
    static const char *const names[] = {
        "og:title", "og:description", "og:url", "og:type", "og:locale",
        "twitter:card", "twitter:image:alt", "canonical",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(n, names[i]))
            return 1;
    return 0;
}

/* A tag of the served page that the backend's page has too is the page's
 * (each original tag matches once); any other was inserted. */
static void set_origins(apr_pool_t *p, const smo_inspect_input *in,
                        apr_array_header_t *served,
                        const apr_array_header_t *orig)
{
    apr_hash_t *left = apr_hash_make(p);
    int card_image = 0;

    for (int i = 0; i < orig->nelts; i++) {
        const char *k = prop_key(p, &APR_ARRAY_IDX(orig, i, smo_inspect_prop));
        int *c = apr_hash_get(left, k, APR_HASH_KEY_STRING);
        if (!c) {
            c = apr_pcalloc(p, sizeof(*c));
            apr_hash_set(left, k, APR_HASH_KEY_STRING, c);
        }
        (*c)++;
    }
    for (int i = 0; i < served->nelts; i++) {
        smo_inspect_prop *pr = &APR_ARRAY_IDX(served, i, smo_inspect_prop);
        int *c = apr_hash_get(left, prop_key(p, pr), APR_HASH_KEY_STRING);
        int page = c && *c > 0;

        if (page)
            (*c)--;
        if (!strcmp(pr->name, "og:image") || !strcmp(pr->name, "og:image:url"))
            card_image = is_card(in, pr->value);
        if (page)
            pr->origin = SMO_FROM_PAGE;
        else if (configured(in->configured, pr->name))
            pr->origin = SMO_FROM_SMOMETA;
        else if (is_image_name(pr->name) && is_card(in, pr->value))
            pr->origin = SMO_FROM_GENERATED;
        else if (is_image_fact(pr->name))
            pr->origin = card_image ? SMO_FROM_GENERATED : SMO_FROM_IMAGE;
        else if (derivable(pr->name))
            pr->origin = SMO_FROM_DERIVED;
        else
            /* Nothing of mod_smo writes this name: the backend's two
             * answers differ (a token, a date), the tag is the page's. */
            pr->origin = SMO_FROM_PAGE;
    }
}

/* ---- what the previews show -------------------------------------------- */

static const char *first(const apr_array_header_t *props, const char *name)
{
    for (int i = 0; i < props->nelts; i++) {
        const smo_inspect_prop *pr = &APR_ARRAY_IDX(props, i, smo_inspect_prop);
        if (!strcmp(pr->name, name) && *pr->value)
            return pr->value;
    }
    return NULL;
}

static const char *first_of(const apr_array_header_t *props,
                            const char *const *names)
{
    for (; *names; names++) {
        const char *v = first(props, *names);
        if (v)
            return v;
    }
    return NULL;
}

static unsigned long dimension(const char *v)
{
    char *end;
    unsigned long n;

    if (!v || !apr_isdigit((unsigned char)*v))
        return 0;
    n = strtoul(v, &end, 10);
    return *end == '\0' && n < 100000 ? n : 0;
}

/* An absolute http(s) URL with a host that every parser reads the same
 * way (smo_url_host: no space, quote, '<', '>', control character). */
static int is_absolute(apr_pool_t *p, const char *u)
{
    return u && smo_url_host(p, u, NULL) != NULL;
}

/* Where the image size came from, for the messages. */
typedef enum { SIZE_NONE, SIZE_DECLARED, SIZE_READ, SIZE_CARD } size_source;

static size_source image_size(const smo_inspect_input *in,
                              smo_inspect_report *r, unsigned long facts_w,
                              unsigned long facts_h)
{
    r->image_width = dimension(first(r->props, "og:image:width"));
    r->image_height = dimension(first(r->props, "og:image:height"));
    if (!r->image_width) {
        const char *tw = first(r->props, "twitter:image:width");
        r->image_width = dimension(tw);
        r->image_height = dimension(first(r->props, "twitter:image:height"));
    }
    if (r->image_width && r->image_height)
        return SIZE_DECLARED;
    r->image_width = r->image_height = 0;
    if (!r->image)
        return SIZE_NONE;
    if (is_card(in, r->image)) {
        r->image_width = 1200;
        r->image_height = 630;
        return SIZE_CARD;
    }
    if (r->image_file == 1 && facts_w && facts_h) {
        r->image_width = facts_w;
        r->image_height = facts_h;
        return SIZE_READ;
    }
    return SIZE_NONE;
}

/* SPEC 8: the image file itself, when it is this server's: readable (and
 * how large), or not.  Asked even when the page declares the size, since
 * a declared size does not make a missing file show. */
static void image_file(apr_pool_t *p, const smo_inspect_input *in,
                       smo_inspect_report *r, unsigned long *w,
                       unsigned long *h)
{
    smo_meta_image facts;
    const char *abs;
    int rc;

    r->image_file = -1;
    *w = *h = 0;
    if (!r->image || !in->image_facts || is_card(in, r->image))
        return;
    abs = in->page_url ? smo_url_resolve(p, in->page_url, r->image) : r->image;
    if (!abs)
        return;
    memset(&facts, 0, sizeof(facts));
    rc = in->image_facts(in->image_ctx, abs, &facts);
    if (rc < 0)
        return;
    r->image_file = rc == 1;
    if (rc == 1) {
        r->image_bytes = facts.bytes;
        *w = facts.width;
        *h = facts.height;
    }
}

/* Where networks look for the image, in their order. */
static const char *const image_names[] = { "og:image", "og:image:url",
                                           "og:image:secure_url",
                                           "twitter:image",
                                           "twitter:image:src", NULL };

static void set_values(apr_pool_t *p, const smo_inspect_input *in,
                       smo_inspect_report *r)
{
    static const char *const titles[] = { "og:title", "twitter:title",
                                          "title", NULL };
    static const char *const descs[] = { "og:description",
                                         "twitter:description",
                                         "description", NULL };
    const char *url = first(r->props, "og:url");

    r->title = first_of(r->props, titles);
    r->description = first_of(r->props, descs);
    r->image = first_of(r->props, image_names);
    r->site = first(r->props, "og:site_name");
    r->twitter_card = first(r->props, "twitter:card");
    if (!is_absolute(p, url))
        url = in->page_url;
    r->domain = url ? smo_url_host(p, url, NULL) : NULL;
}

void smo_inspect_preview_of(apr_pool_t *p, const smo_inspect_net *n,
                            const smo_inspect_report *r,
                            smo_inspect_preview *out)
{
    out->net = smo_inspect_net_for(n, r);
    out->title = smo_inspect_cut(p, r->title, out->net.title_cut);
    out->description = out->net.desc_cut
        ? smo_inspect_cut(p, r->description, out->net.desc_cut) : NULL;
    out->site = out->net.shows_site ? r->site : NULL;
    out->no_image = !is_absolute(p, r->image) ||
        (r->image_width && (r->image_width < out->net.min_w ||
                            r->image_height < out->net.min_h));
    /* A square-box network (X summary) always shows a thumbnail. */
    out->small = !out->no_image &&
        (out->net.box_w == out->net.box_h ||
         (out->net.large_needs_card && !is_large_card(r)) ||
         (r->image_width && (r->image_width < out->net.large_w ||
                             r->image_height < out->net.large_h)));
}

/* ---- the checks -------------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    smo_inspect_report *r;
    size_source size_from;
    const char *image_name;       /* the property the image came from */
    const page_scan *scan;
} check_ctx;

static void add_check(check_ctx *c, const char *id, smo_verdict v,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_check(check_ctx *c, const char *id, smo_verdict v,
                      const char *fmt, ...)
{
    smo_inspect_check *ck = &APR_ARRAY_PUSH(c->r->checks, smo_inspect_check);
    va_list ap;

    va_start(ap, fmt);
    ck->id = id;
    ck->verdict = v;
    ck->message = apr_pvsprintf(c->p, fmt, ap);
    va_end(ap);
}

/* A ratio as people write it: the usual ones by name, else two decimals. */
static const char *ratio_text(apr_pool_t *p, unsigned long w, unsigned long h)
{
    static const struct { double r; const char *s; } known[] = {
        { 1.91, "1.91:1" }, { 2.0, "2:1" }, { 1.0, "1:1" },
        { 16.0 / 9, "16:9" }, { 4.0 / 3, "4:3" }, { 0.8, "4:5" },
    };
    double r = (double)w / (double)h;

    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (r > known[i].r * 0.99 && r < known[i].r * 1.01)
            return known[i].s;
    return apr_psprintf(p, "%.2f:1", r);
}

static void check_text(check_ctx *c, const char *id, const char *og,
                       const char *tw, const char *plain, const char *what)
{
    const apr_array_header_t *props = c->r->props;

    if (first(props, og))
        add_check(c, id, SMO_CHECK_PASS, "The %s comes from %s.", what, og);
    else if (first(props, tw))
        add_check(c, id, SMO_CHECK_WARN, "No %s: networks other than X "
                  "may not read %s; add %s.", og, tw, og);
    else if (first(props, plain))
        add_check(c, id, SMO_CHECK_WARN, "No %s: networks fall back to "
                  "the page's %s, if they read it at all.", og, plain);
    else
        add_check(c, id, SMO_CHECK_FAIL, "The page has no %s: networks "
                  "show none, or make one up from the page.", what);
}

static void check_url(check_ctx *c, const char *id, const char *name,
                      const char *label)
{
    const char *v = first(c->r->props, name);

    if (!v)
        add_check(c, id, SMO_CHECK_FAIL, "The page declares no %s: shares "
                  "of this page may be counted under several URLs.", label);
    else if (!is_absolute(c->p, v))
        add_check(c, id, SMO_CHECK_FAIL, "The %s \"%s\" is not a valid "
                  "absolute http(s) URL: networks ignore it.", label, v);
    else
        add_check(c, id, SMO_CHECK_PASS, "The %s is absolute: %s.", label, v);
}

static void check_image(check_ctx *c)
{
    const smo_inspect_report *r = c->r;
    static const char *const from[] = {
        "", "as the page declares", "as read from the file",
        "the generated card's"
    };

    if (!r->image)
        add_check(c, "image", SMO_CHECK_FAIL, "The page has no og:image: "
                  "every network shows a card without a picture.");
    else if (!is_absolute(c->p, r->image))
        add_check(c, "image", SMO_CHECK_FAIL, "%s \"%s\" is not a valid "
                  "absolute http(s) URL: networks ignore it.", c->image_name,
                  r->image);
    else if (!r->image_width)
        add_check(c, "image", SMO_CHECK_WARN, "%s is there but its "
                  "size is unknown: declare og:image:width and "
                  "og:image:height (or turn SMOImageInfo on).", c->image_name);
    else
        add_check(c, "image", SMO_CHECK_PASS, "%s is %lux%lu (%s), %s.",
                  c->image_name, r->image_width, r->image_height,
                  ratio_text(c->p, r->image_width, r->image_height),
                  from[c->size_from]);
}

/* SPEC 8: an image file of this server the crawlers will refuse. */
static void check_image_file(check_ctx *c)
{
    const smo_inspect_report *r = c->r;

    if (r->image_file < 0)
        return;
    if (r->image_file == 0)
        add_check(c, "image-file", SMO_CHECK_FAIL, "%s %s is on this server "
                  "but no image can be read there (missing, not a file "
                  "Apache serves, or not PNG, JPEG, GIF or WebP): crawlers "
                  "show no picture.", c->image_name, r->image);
    else if (r->image_bytes > SMO_INSPECT_MAX_IMAGE_BYTES)
        add_check(c, "image-file", SMO_CHECK_FAIL, "%s is %.1f MB: X and "
                  "LinkedIn refuse images over 5 MB (Facebook over 8 MB).",
                  c->image_name, (double)r->image_bytes / (1024.0 * 1024.0));
    else
        add_check(c, "image-file", SMO_CHECK_PASS, "%s is a readable file "
                  "of %.0f KB on this server, within every network's limit.",
                  c->image_name, (double)r->image_bytes / 1024.0);
}

/* The image against one network's rules. */
static void check_net_image(check_ctx *c, const smo_inspect_net *base)
{
    const smo_inspect_report *r = c->r;
    smo_inspect_net n = smo_inspect_net_for(base, r);
    const char *id = apr_pstrcat(c->p, "image-size-", n.id, NULL);
    unsigned long w = r->image_width, h = r->image_height;
    /* A square thumbnail is always a crop: only wide boxes are checked
     * against their ratio. */
    double ratio, box = (double)n.box_w / (double)n.box_h;

    if (!w) {
        add_check(c, id, SMO_CHECK_WARN, "%s: the image's size is unknown, "
                  "so whether %s shows it large cannot be told.", n.name,
                  n.name);
        return;
    }
    ratio = (double)w / (double)h;
    if (w < n.min_w || h < n.min_h)
        add_check(c, id, SMO_CHECK_FAIL, "%s is %lux%lu: %s needs at "
                  "least %lux%lu and shows no image.", c->image_name, w, h,
                  n.name, n.min_w, n.min_h);
    else if (n.large_needs_card && !is_large_card(r))
        add_check(c, id, SMO_CHECK_WARN, "%s is %lux%lu: %s shows it as a "
                  "small thumbnail unless twitter:card is "
                  "summary_large_image.", c->image_name, w, h, n.name);
    else if (w < n.large_w || h < n.large_h)
        add_check(c, id, SMO_CHECK_WARN, "%s is %lux%lu: %s shows it "
                  "as a small thumbnail (%lux%lu or more shows it large).",
                  c->image_name, w, h, n.name, n.large_w, n.large_h);
    else if (n.box_w != n.box_h && (ratio < box * 0.9 || ratio > box * 1.1))
        add_check(c, id, SMO_CHECK_WARN, "%s is %lux%lu (%s): %s crops "
                  "it to %s.", c->image_name, w, h, ratio_text(c->p, w, h),
                  n.name, n.ratio);
    else
        add_check(c, id, SMO_CHECK_PASS, "%s is %lux%lu (%s): %s shows "
                  "it %s.", c->image_name, w, h, ratio_text(c->p, w, h), n.name,
                  n.box_w == n.box_h ? "as its square thumbnail" : "large");
}

static void check_first_32k(check_ctx *c)
{
    const page_scan *s = c->scan;

    if (!s->any_social)
        add_check(c, "in-first-32k", SMO_CHECK_WARN, "The head has no og: or "
                  "twitter: tag at all.");
    else if (s->last_social >= 32768)
        add_check(c, "in-first-32k", SMO_CHECK_FAIL, "The last og:/twitter: "
                  "tag starts at byte %" APR_UINT64_T_FMT ": some crawlers "
                  "read only the first 32 KiB and miss it.", s->last_social);
    else
        add_check(c, "in-first-32k", SMO_CHECK_PASS, "All og:/twitter: tags "
                  "are within the first 32 KiB (the last at byte %"
                  APR_UINT64_T_FMT ").", s->last_social);
}

/* Properties that may repeat: arrays in the Open Graph protocol. */
static int may_repeat(const char *n)
{
    return !strncmp(n, "og:image", 8) || !strncmp(n, "og:video", 8) ||
           !strncmp(n, "og:audio", 8) || !strcmp(n, "og:locale:alternate") ||
           !strncmp(n, "article:", 8) || !strncmp(n, "book:", 5) ||
           !strncmp(n, "music:", 6) || !strncmp(n, "video:", 6) ||
           !strncmp(n, "profile:", 8);
}

static void check_duplicates(check_ctx *c)
{
    apr_hash_t *seen = apr_hash_make(c->p);
    const apr_array_header_t *props = c->r->props;
    char *names = NULL;
    int n = 0;

    for (int i = 0; i < props->nelts; i++) {
        const char *name = APR_ARRAY_IDX(props, i, smo_inspect_prop).name;
        int *k;
        if (may_repeat(name) || !(is_social(name) ||
                                  !strcmp(name, "description") ||
                                  !strcmp(name, "canonical")))
            continue;
        k = apr_hash_get(seen, name, APR_HASH_KEY_STRING);
        if (!k) {
            k = apr_pcalloc(c->p, sizeof(*k));
            apr_hash_set(seen, name, APR_HASH_KEY_STRING, k);
        }
        if (++*k == 2) {
            names = names ? apr_pstrcat(c->p, names, ", ", name, NULL)
                          : apr_pstrdup(c->p, name);
            n++;
        }
    }
    if (n)
        add_check(c, "no-duplicates", SMO_CHECK_FAIL, "%s %s declared more "
                  "than once: each network may pick a different one.",
                  names, n > 1 ? "are" : "is");
    else
        add_check(c, "no-duplicates", SMO_CHECK_PASS, "No property is "
                  "declared twice.");
}

static void check_twitter_card(check_ctx *c)
{
    const smo_inspect_report *r = c->r;
    const char *card = r->twitter_card;
    int large = r->image_width >= 600 && r->image_height >= 315 &&
                r->image_width * 10 >= r->image_height * 15;

    if (!card)
        add_check(c, "twitter-card-matches", r->image ? SMO_CHECK_WARN
                  : SMO_CHECK_PASS, "No twitter:card: X shows a small "
                  "summary card%s.", r->image ? " even for a large image" : "");
    else if (!strcmp(card, "summary_large_image") && !r->image)
        add_check(c, "twitter-card-matches", SMO_CHECK_FAIL, "twitter:card "
                  "is summary_large_image but the page has no image.");
    else if (!strcmp(card, "summary") && large)
        add_check(c, "twitter-card-matches", SMO_CHECK_WARN, "twitter:card "
                  "is summary but the image is %lux%lu: summary_large_image "
                  "would show it large.", r->image_width, r->image_height);
    else
        add_check(c, "twitter-card-matches", SMO_CHECK_PASS, "twitter:card "
                  "is %s, which suits the image.", card);
}

static void run_checks(check_ctx *c)
{
    check_text(c, "title", "og:title", "twitter:title", "title", "title");
    check_text(c, "description", "og:description", "twitter:description",
               "description", "description");
    check_url(c, "og-url-absolute", "og:url", "og:url");
    check_url(c, "canonical-absolute", "canonical", "canonical URL");
    check_image(c);
    check_image_file(c);
    if (c->r->image && is_absolute(c->p, c->r->image))
        for (int i = 0; i < SMO_INSPECT_NETS; i++)
            check_net_image(c, &smo_inspect_nets[i]);
    check_first_32k(c);
    check_duplicates(c);
    check_twitter_card(c);
}

smo_inspect_report *smo_inspect(apr_pool_t *p, const smo_inspect_input *in)
{
    smo_inspect_report *r = apr_pcalloc(p, sizeof(*r));
    page_scan served, orig;
    check_ctx c;

    r->page_url = in->page_url ? in->page_url : "";
    scan_page(&served, p, in->served ? in->served : "",
              in->served ? in->served_len : 0, in->charset, 1);
    r->props = served.props;
    r->links = served.links;
    if (in->original) {
        scan_page(&orig, p, in->original, in->original_len, in->charset, 0);
        set_origins(p, in, r->props, orig.props);
    }
    set_values(p, in, r);
    c.p = p;
    c.r = r;
    c.scan = &served;
    c.image_name = "og:image";
    for (const char *const *n = image_names; *n; n++)
        if (first(r->props, *n)) {
            c.image_name = *n;
            break;
        }
    r->checks = apr_array_make(p, 20, sizeof(smo_inspect_check));
    {
        unsigned long w, h;
        image_file(p, in, r, &w, &h);
        c.size_from = image_size(in, r, w, h);
    }
    run_checks(&c);
    return r;
}

const char *smo_inspect_origin_name(smo_origin o)
{
    static const char *const names[] = { "page", "smometa", "derived",
                                         "image", "generated" };
    return (unsigned)o < 5 ? names[o] : "page";
}

const char *smo_inspect_verdict_name(smo_verdict v)
{
    static const char *const names[] = { "pass", "warn", "fail" };
    return (unsigned)v < 3 ? names[v] : "fail";
}
