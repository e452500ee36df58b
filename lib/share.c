/* share.c — share links (SPEC section 4): the built-in network catalogue,
 * the share-intent URL templates, the block's markup, SMOShareAt's
 * positions and simple selectors, and the marker comment.
 *
 * Nothing here is global but the read-only catalogue.  Every value written
 * into markup goes through smo_escape_attr(), every value written into a
 * URL through smo_percent_encode(): a page title can never open an
 * element, an attribute or a query parameter of its own. */
#include <string.h>
#include <strings.h>
#include <apr_strings.h>
#include <apr_lib.h>

#include "smo_share.h"
#include "smo_escape.h"

/* ---- the catalogue ---------------------------------------------------- */

/* Each network's documented share intent; docs/networks.md names the
 * vendor page each template comes from. */
static const smo_network builtins[] = {
    { "x", "https://x.com/intent/tweet?text={title}&url={url}", "X" },
    { "facebook", "https://www.facebook.com/sharer/sharer.php?u={url}",
      "Facebook" },
    /* LinkedIn reads title and description from the page's Open Graph
     * tags: its share-offsite endpoint takes the URL only. */
    { "linkedin", "https://www.linkedin.com/sharing/share-offsite/?url={url}",
      "LinkedIn" },
    { "reddit", "https://www.reddit.com/submit?url={url}&title={title}",
      "Reddit" },
    { "whatsapp", "https://wa.me/?text={text}", "WhatsApp" },
    { "telegram", "https://t.me/share/url?url={url}&text={title}",
      "Telegram" },
    { "bluesky", "https://bsky.app/intent/compose?text={text}", "Bluesky" },
    { "threads", "https://www.threads.com/intent/post?text={text}",
      "Threads" },
    /* Without SMOMastodonInstance: Share2Fedi, which asks the reader for
     * their own instance (Mastodon has no central host). */
    { "mastodon", "https://s2f.kytta.dev/?text={text}", "Mastodon" },
    { "hackernews",
      "https://news.ycombinator.com/submitlink?u={url}&t={title}",
      "Hacker News" },
    { "pinterest", "https://www.pinterest.com/pin/create/button/"
      "?url={url}&media={image}&description={title}", "Pinterest" },
    { "tumblr", "https://www.tumblr.com/widgets/share/tool"
      "?canonicalUrl={url}&title={title}&caption={description}", "Tumblr" },
    { "email", "mailto:?subject={title}&body={text}", "Email" },
};

#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

const char *smo_share_check_instance(const char *host)
{
    const char *s;

    if (!host || !*host)
        return "empty Mastodon instance";
    for (s = host; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!(apr_isalnum(c) || c == '.' || c == '-'))
            return "a Mastodon instance is a host name: letters, digits, "
                   "'.' and '-' (punycode for other characters)";
    }
    if (*host == '.' || *host == '-')
        return "a Mastodon instance is a host name: it cannot start "
               "with '.' or '-'";
    return NULL;
}

const char *smo_share_check_name(const char *name)
{
    size_t n = 0;
    const char *s;

    if (!name || !*name)
        return "empty network name";
    for (s = name; *s; s++, n++) {
        unsigned char c = (unsigned char)*s;
        if (!(apr_isalnum(c) || c == '_' || c == '-'))
            return "a network name holds only letters, digits, '_' and '-' "
                   "(it becomes a CSS class and the click log's n=)";
    }
    if (n > 32)
        return "a network name has at most 32 characters";
    if (strcasecmp(name, "none") == 0)
        return "'none' is reserved (SMOShare none)";
    return NULL;
}

const smo_network *smo_share_builtin(apr_pool_t *p, const char *name,
                                     const char *mastodon_instance)
{
    size_t i;

    if (!name)
        return NULL;
    /* SPEC 6: twitter is the same network as x (class smo-share-x). */
    if (strcasecmp(name, "twitter") == 0)
        name = "x";
    for (i = 0; i < N_BUILTINS; i++) {
        smo_network *m;
        char *host, *c;

        if (strcasecmp(name, builtins[i].name) != 0)
            continue;
        if (strcmp(builtins[i].name, "mastodon") != 0 || !mastodon_instance
            || smo_share_check_instance(mastodon_instance))
            return &builtins[i];
        /* Every Mastodon server answers /share?text= with its composer. */
        host = apr_pstrdup(p, mastodon_instance);
        for (c = host; *c; c++)
            *c = (char)apr_tolower((unsigned char)*c);
        m = apr_palloc(p, sizeof *m);
        *m = builtins[i];
        m->tmpl = apr_pstrcat(p, "https://", host, "/share?text={text}",
                              NULL);
        return m;
    }
    return NULL;
}

/* ---- placeholders ----------------------------------------------------- */

/* A placeholder is '{' + lowercase letters + '}'.  Any other brace is
 * literal text (a block template may hold CSS). */
static size_t placeholder_at(const char *s, const char **name, size_t *nlen)
{
    size_t i = 1;

    if (s[0] != '{')
        return 0;
    while (s[i] >= 'a' && s[i] <= 'z')
        i++;
    if (i == 1 || s[i] != '}')
        return 0;
    *name = s + 1;
    *nlen = i - 1;
    return i + 1;
}

static int name_in(const char *name, size_t len, const char *const *list)
{
    for (; *list; list++)
        if (strlen(*list) == len && memcmp(*list, name, len) == 0)
            return 1;
    return 0;
}

static const char *const url_placeholders[] = {
    "url", "title", "description", "image", "text", NULL
};

static const char *const block_placeholders[] = {
    "links", "url", "title", NULL
};

/* A growing string on a pool (pieces are copied once more when it grows,
 * which bounds the waste at twice the result). */
typedef struct {
    apr_pool_t *p;
    char *s;
    size_t len, cap;
} strbuf;

static void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        char *ns;
        while (cap < b->len + n + 1)
            cap *= 2;
        ns = apr_palloc(b->p, cap);
        if (b->len)
            memcpy(ns, b->s, b->len);
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_str(strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static const char *sb_done(strbuf *b)
{
    return b->s ? b->s : "";
}

/* Expand a template: `value` gives each placeholder's (already escaped)
 * text, NULL for an unknown one, which becomes empty. */
typedef const char *(*value_fn)(void *ctx, const char *name, size_t len);

static const char *expand(apr_pool_t *p, const char *tmpl, value_fn value,
                          void *ctx)
{
    strbuf b = { p, NULL, 0, 0 };
    const char *s = tmpl, *lit = tmpl;

    while ((s = strchr(s, '{')) != NULL) {
        const char *name, *v;
        size_t nlen, n = placeholder_at(s, &name, &nlen);
        if (!n) {
            s++;
            continue;
        }
        sb_add(&b, lit, (size_t)(s - lit));
        v = value(ctx, name, nlen);
        if (v)
            sb_str(&b, v);
        s += n;
        lit = s;
    }
    sb_str(&b, lit);
    return sb_done(&b);
}

/* ---- share-intent URLs ------------------------------------------------ */

const char *smo_share_check_template(const char *tmpl)
{
    const char *s, *auth = NULL;

    if (!tmpl || !*tmpl)
        return "empty template";
    if (strncasecmp(tmpl, "https://", 8) == 0)
        auth = tmpl + 8;
    else if (strncasecmp(tmpl, "http://", 7) == 0)
        auth = tmpl + 7;
    else if (strncasecmp(tmpl, "mailto:", 7) != 0)
        return "a network template is an absolute http://, https:// or "
               "mailto: URL";
    if (auth) {
        size_t n = strcspn(auth, "/?#");
        if (n == 0)
            return "the template's URL has no host";
        if (memchr(auth, '{', n) || memchr(auth, '@', n))
            return "the template's host must be written out (no "
                   "placeholder, no userinfo)";
    }
    for (s = tmpl; *s; s++) {
        unsigned char c = (unsigned char)*s;
        const char *name;
        size_t nlen, n;

        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>'
            || c == '\\' || c == '`')
            return "the template holds a space, quote, '<', '>', backslash, "
                   "control or non-ASCII character (percent-encode it)";
        if (c == '}')
            return "'}' outside a placeholder";
        if (c != '{')
            continue;
        n = placeholder_at(s, &name, &nlen);
        if (!n || !name_in(name, nlen, url_placeholders))
            return "unknown placeholder (known: {url} {title} "
                   "{description} {image} {text})";
        s += n - 1;
    }
    return NULL;
}

typedef struct {
    const char *url, *title, *description, *image, *text;
} url_values;

static const char *url_value(void *ctx, const char *name, size_t len)
{
    const url_values *v = ctx;

    if (len == 3 && memcmp(name, "url", 3) == 0)
        return v->url;
    if (len == 5 && memcmp(name, "title", 5) == 0)
        return v->title;
    if (len == 11 && memcmp(name, "description", 11) == 0)
        return v->description;
    if (len == 5 && memcmp(name, "image", 5) == 0)
        return v->image;
    if (len == 4 && memcmp(name, "text", 4) == 0)
        return v->text;
    return NULL;
}

static const char *pct(apr_pool_t *p, const char *s)
{
    return s ? smo_percent_encode(p, s, strlen(s)) : "";
}

const char *smo_share_url(apr_pool_t *p, const smo_network *net,
                          const smo_share_page *page)
{
    url_values v;
    const char *url = page && page->url ? page->url : "";
    const char *title = page && page->title ? page->title : "";
    const char *text;

    if (!net || !net->tmpl)
        return NULL;
    /* {text}: what a post says when the network takes one field only. */
    if (*title && *url)
        text = apr_pstrcat(p, title, " ", url, NULL);
    else
        text = *title ? title : url;
    v.url = pct(p, url);
    v.title = pct(p, title);
    v.description = pct(p, page ? page->description : NULL);
    v.image = pct(p, page ? page->image : NULL);
    v.text = pct(p, text);
    return expand(p, net->tmpl, url_value, &v);
}

/* ---- the block -------------------------------------------------------- */

const char *smo_share_check_block_template(const char *tmpl)
{
    const char *s;
    int links = 0;

    if (!tmpl)
        return "empty template";
    for (s = tmpl; (s = strchr(s, '{')) != NULL; ) {
        const char *name;
        size_t nlen, n = placeholder_at(s, &name, &nlen);
        if (!n) {
            s++;
            continue;
        }
        if (!name_in(name, nlen, block_placeholders))
            return "unknown placeholder (known: {links} {url} {title})";
        if (nlen == 5 && memcmp(name, "links", 5) == 0)
            links = 1;
        s += n;
    }
    if (!links)
        return "the template has no {links} placeholder";
    return NULL;
}

static const char *esc(apr_pool_t *p, const char *s)
{
    return smo_escape_attr(p, s, strlen(s));
}

#define DEFAULT_CLICK_URL "/smo/click"

/* One <a> of the block. */
static void add_link(apr_pool_t *p, strbuf *b, const smo_share_config *cfg,
                     const smo_network *net, const smo_share_page *page)
{
    const char *label = net->label && *net->label ? net->label : net->name;
    const char *href;
    /* A mail client opens in place; a blank tab would stay behind. */
    int mail = net->tmpl && strncasecmp(net->tmpl, "mailto:", 7) == 0;

    if (cfg->track_clicks) {
        const char *click = cfg->click_url && *cfg->click_url
                            ? cfg->click_url : DEFAULT_CLICK_URL;
        href = apr_pstrcat(p, click, strchr(click, '?') ? "&" : "?",
                           "n=", pct(p, net->name),
                           "&u=", pct(p, page ? page->url : NULL), NULL);
    }
    else {
        href = smo_share_url(p, net, page);
    }
    sb_str(b, "<a class=\"smo-share-link smo-share-");
    sb_str(b, esc(p, net->name));
    sb_str(b, "\" href=\"");
    sb_str(b, esc(p, href));
    sb_str(b, "\" rel=\"nofollow noopener noreferrer\"");
    if (!mail)
        sb_str(b, " target=\"_blank\"");
    sb_str(b, " aria-label=\"Share on ");
    sb_str(b, esc(p, label));
    sb_str(b, "\">");
    sb_str(b, esc(p, label));
    sb_str(b, "</a>");
}

typedef struct {
    const char *links, *url, *title;
} block_values;

static const char *block_value(void *ctx, const char *name, size_t len)
{
    const block_values *v = ctx;

    if (len == 5 && memcmp(name, "links", 5) == 0)
        return v->links;
    if (len == 3 && memcmp(name, "url", 3) == 0)
        return v->url;
    if (len == 5 && memcmp(name, "title", 5) == 0)
        return v->title;
    return NULL;
}

const char *smo_share_block(apr_pool_t *p, const smo_share_config *cfg,
                            const smo_share_page *page)
{
    strbuf links = { p, NULL, 0, 0 };
    int i, n = 0;

    if (!cfg || !cfg->networks)
        return NULL;
    for (i = 0; i < cfg->networks->nelts; i++) {
        const smo_network *net =
            APR_ARRAY_IDX(cfg->networks, i, const smo_network *);
        if (!net || !net->name || !net->tmpl)
            continue;
        /* A newline between links: without a style sheet they must not
         * run together ("XFacebook"). */
        if (n++)
            sb_add(&links, "\n", 1);
        add_link(p, &links, cfg, net, page);
    }
    if (!n)
        return NULL;
    if (cfg->block_template) {
        block_values v;
        v.links = sb_done(&links);
        v.url = esc(p, page && page->url ? page->url : "");
        v.title = esc(p, page && page->title ? page->title : "");
        return expand(p, cfg->block_template, block_value, &v);
    }
    /* Already well-formed XML (every attribute quoted, no void element),
     * so the markup is the same for XHTML pages. */
    return apr_pstrcat(p, "\n<nav class=\"smo-share\" aria-label=\"Share\">\n",
                       sb_done(&links), "\n</nav>\n", NULL);
}

/* ---- SMOShareAt ------------------------------------------------------- */

struct smo_selector {
    const char *tag;    /* ASCII-lowercased, or NULL */
    const char *id;     /* or NULL */
    const char *cls;    /* or NULL */
    const char *attr;   /* ASCII-lowercased, or NULL */
    const char *value;  /* NULL: [attr] tests presence only */
};

static int is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

/* Characters of an id, class or unquoted value (CSS identifiers without
 * escapes; non-ASCII bytes are taken as they are). */
static int is_ident(unsigned char c)
{
    return apr_isalnum(c) || c == '_' || c == '-' || c >= 0x80;
}

static char *lower(apr_pool_t *p, const char *s, size_t n)
{
    char *r = apr_pstrmemdup(p, s, n), *c;
    for (c = r; *c; c++)
        *c = (char)apr_tolower((unsigned char)*c);
    return r;
}

#define SIMPLE_ONLY "only tag, #id, .class, tag#id, tag.class, [attr] and " \
                    "[attr=value] selectors are supported"

/* What a selector uses that we do not support, outside [...] (quotes
 * inside brackets may hold anything). */
static const char *unsupported(const char *s)
{
    int ws = 0, comb = 0, list = 0, pseudo = 0, star = 0;
    char quote = 0;
    int bracket = 0;

    for (; *s; s++) {
        if (quote) {
            if (*s == quote)
                quote = 0;
            continue;
        }
        if (bracket) {
            if (*s == '"' || *s == '\'')
                quote = *s;
            else if (*s == ']')
                bracket = 0;
            continue;
        }
        if (*s == '[')
            bracket = 1;
        else if (is_ws((unsigned char)*s))
            ws = 1;
        else if (*s == '>' || *s == '+' || *s == '~')
            comb = 1;
        else if (*s == ',')
            list = 1;
        else if (*s == ':')
            pseudo = 1;
        else if (*s == '*')
            star = 1;
    }
    if (list)
        return "selector lists (',') are not supported";
    if (comb)
        return "combinators ('>', '+', '~') are not supported";
    if (pseudo)
        return "pseudo-classes and pseudo-elements are not supported";
    if (star)
        return "the universal selector '*' is not supported";
    if (ws)
        return "descendant combinators are not supported";
    return NULL;
}

static const char *parse_attr(apr_pool_t *p, const char *s,
                              smo_selector *sel)
{
    const char *name;
    size_t n;

    s++;                                    /* '[' */
    while (is_ws((unsigned char)*s))
        s++;
    name = s;
    while (*s && !is_ws((unsigned char)*s) && !strchr("\"'<>/=[]~|^$*", *s))
        s++;
    if (s == name)
        return "attribute selector without a name";
    sel->attr = lower(p, name, (size_t)(s - name));
    while (is_ws((unsigned char)*s))
        s++;
    if (*s == '=') {
        s++;
        while (is_ws((unsigned char)*s))
            s++;
        if (*s == '"' || *s == '\'') {
            const char *end = strchr(s + 1, *s);
            if (!end)
                return "unterminated quoted value";
            n = (size_t)(end - s - 1);
            if (memchr(s + 1, '\\', n))
                return "CSS escapes are not supported";
            sel->value = apr_pstrmemdup(p, s + 1, n);
            s = end + 1;
        }
        else {
            const char *v = s;
            while (is_ident((unsigned char)*s))
                s++;
            if (s == v)
                return "an unquoted attribute value is an identifier "
                       "(quote other values)";
            sel->value = apr_pstrmemdup(p, v, (size_t)(s - v));
        }
        while (is_ws((unsigned char)*s))
            s++;
    }
    else if (*s && strchr("~|^$*", *s)) {
        return "only [attr] and [attr=value] are supported";
    }
    if (*s != ']')
        return "unterminated attribute selector";
    if (s[1])
        return SIMPLE_ONLY;
    return NULL;
}

static const char *parse_selector(apr_pool_t *p, const char *s,
                                  smo_selector *sel)
{
    const char *why = unsupported(s), *start;

    if (why)
        return why;
    if (*s == '[')
        return parse_attr(p, s, sel);
    start = s;
    if (apr_isalpha((unsigned char)*s)) {
        while (apr_isalnum((unsigned char)*s) || *s == '-' || *s == '_')
            s++;
        if ((size_t)(s - start) > SMO_TAG_NAME_MAX)
            return "tag name too long";
        sel->tag = lower(p, start, (size_t)(s - start));
    }
    if (*s == '#' || *s == '.') {
        char kind = *s++;
        start = s;
        while (is_ident((unsigned char)*s))
            s++;
        if (s == start)
            return kind == '#' ? "empty id" : "empty class";
        if (kind == '#')
            sel->id = apr_pstrmemdup(p, start, (size_t)(s - start));
        else
            sel->cls = apr_pstrmemdup(p, start, (size_t)(s - start));
    }
    if (*s == '#' || *s == '.')
        return "only one id or class is supported";
    if (*s || (!sel->tag && !sel->id && !sel->cls))
        return SIMPLE_ONLY;
    return NULL;
}

const char *smo_share_parse_at(apr_pool_t *p, const char *arg,
                               smo_share_where *where,
                               const smo_selector **sel)
{
    static const struct {
        const char *word;
        smo_share_where where;
        int needs_selector;
    } words[] = {
        { "body-end", SMO_SHARE_AT_BODY_END, 0 },
        { "body-start", SMO_SHARE_AT_BODY_START, 0 },
        { "marker", SMO_SHARE_AT_MARKER, 0 },
        { "before", SMO_SHARE_AT_BEFORE, 1 },
        { "prepend", SMO_SHARE_AT_PREPEND, 1 },
        { "append", SMO_SHARE_AT_APPEND, 1 },
        { "after", SMO_SHARE_AT_AFTER, 1 },
    };
    const char *word, *rest;
    char *sel_text;
    size_t wlen, rlen, i;

    if (!arg)
        arg = "";
    while (is_ws((unsigned char)*arg))
        arg++;
    word = arg;
    while (*arg && !is_ws((unsigned char)*arg))
        arg++;
    wlen = (size_t)(arg - word);
    rest = arg;
    while (is_ws((unsigned char)*rest))
        rest++;
    rlen = strlen(rest);
    while (rlen && is_ws((unsigned char)rest[rlen - 1]))
        rlen--;

    for (i = 0; i < sizeof words / sizeof words[0]; i++) {
        smo_selector *s;
        const char *why;

        if (strlen(words[i].word) != wlen
            || strncasecmp(words[i].word, word, wlen) != 0)
            continue;
        if (!words[i].needs_selector) {
            if (rlen)
                return apr_psprintf(p, "'%s' takes no selector",
                                    words[i].word);
            *where = words[i].where;
            *sel = NULL;
            return NULL;
        }
        if (!rlen)
            return apr_psprintf(p, "'%s' needs a selector", words[i].word);
        sel_text = apr_pstrmemdup(p, rest, rlen);
        s = apr_pcalloc(p, sizeof *s);
        why = parse_selector(p, sel_text, s);
        if (why)
            return apr_psprintf(p, "bad selector '%s': %s", sel_text, why);
        *where = words[i].where;
        *sel = s;
        return NULL;
    }
    return apr_psprintf(p, "unknown position '%s' (expected body-end, "
                        "body-start, marker, or before|prepend|append|after "
                        "SELECTOR)", apr_pstrmemdup(p, word, wlen));
}

/* The decoded value of attribute `name` (lowercase), "" for one without a
 * value, NULL when the tag does not carry it. */
static const char *attr_value(apr_pool_t *scratch, const smo_token *tag,
                              const char *name)
{
    size_t i, len = strlen(name);

    for (i = 0; i < tag->n_attrs; i++) {
        const smo_attr *a = &tag->attrs[i];
        if (a->name_len != len
            || strncasecmp(tag->raw + a->name_off, name, len) != 0)
            continue;
        if (!a->has_value)
            return "";
        return smo_html_decode(scratch, tag->raw + a->value_off,
                               a->value_len, 1);
    }
    return NULL;
}

/* Is `cls` one of the whitespace-separated classes in `list`? */
static int has_class(const char *list, const char *cls)
{
    size_t len = strlen(cls);

    while (*list) {
        const char *start;
        while (is_ws((unsigned char)*list))
            list++;
        start = list;
        while (*list && !is_ws((unsigned char)*list))
            list++;
        if ((size_t)(list - start) == len && memcmp(start, cls, len) == 0)
            return 1;
    }
    return 0;
}

int smo_selector_match(apr_pool_t *scratch, const smo_selector *sel,
                       const smo_token *tag)
{
    const char *v;

    /* A truncated tag has no attributes to look at: never guess. */
    if (!sel || !tag || tag->type != SMO_TOKEN_START_TAG || !tag->raw
        || tag->truncated)
        return 0;
    if (sel->tag && (tag->name_len != strlen(sel->tag)
                     || strcmp(tag->name, sel->tag) != 0))
        return 0;
    if (sel->id) {
        v = attr_value(scratch, tag, "id");
        if (!v || strcmp(v, sel->id) != 0)
            return 0;
    }
    if (sel->cls) {
        v = attr_value(scratch, tag, "class");
        if (!v || !has_class(v, sel->cls))
            return 0;
    }
    if (sel->attr) {
        v = attr_value(scratch, tag, sel->attr);
        if (!v || (sel->value && strcmp(v, sel->value) != 0))
            return 0;
    }
    return 1;
}

int smo_share_is_marker(const char *data, size_t len)
{
    static const char marker[] = "smo:share";

    if (!data)
        return 0;
    while (len && is_ws((unsigned char)*data)) {
        data++;
        len--;
    }
    while (len && is_ws((unsigned char)data[len - 1]))
        len--;
    return len == sizeof marker - 1 && strncasecmp(data, marker, len) == 0;
}
