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

#include "smo_ascii.h"
#include "smo_share.h"
#include "smo_strbuf.h"
#include "smo_url.h"
#include "smo_click.h"
#include "smo_escape.h"

/* ---- the catalogue ---------------------------------------------------- */

/* Each network's documented share intent; docs/directives.md ("Share
 * networks") names the vendor page each template comes from. */
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
    if (!smo_url_valid_host(host))
        return "a Mastodon instance is a host name: no empty label "
               "('a..b'), labels of at most 63 and names of at most 253 "
               "characters";
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

/* Only for string literals: their length is known at compile time. */
#define SB_LIT(b, lit) smo_strbuf_add(b, lit, sizeof lit - 1)

/* Append s attribute-escaped.  Escaping is byte-local, so the plain
 * prefix (usually all of it) is copied as it is and only the rest goes
 * through smo_escape_attr(). */
static void sb_escaped(smo_strbuf *b, const char *s, size_t n)
{
    size_t plain = smo_attr_plain_prefix(s, n);

    smo_strbuf_add(b, s, plain);
    if (plain < n) {
        const char *e = smo_escape_attr(b->p, s + plain, n - plain);
        smo_strbuf_add(b, e, strlen(e));
    }
}

/* s attribute-escaped; s itself when nothing needs escaping. */
static const char *escaped(apr_pool_t *p, const char *s)
{
    size_t n = strlen(s);

    return smo_attr_plain_prefix(s, n) == n ? s : smo_escape_attr(p, s, n);
}

static const char *sb_done(smo_strbuf *b)
{
    return b->s ? b->s : "";
}

/* Walk a template: its literal text goes to `lit`, each placeholder's
 * name (without braces) to `ph`; a brace that opens no placeholder is
 * literal text. */
typedef void (*put_fn)(void *ctx, smo_strbuf *b, const char *s, size_t n);

static void expand(smo_strbuf *b, const char *tmpl, put_fn lit, put_fn ph,
                   void *ctx)
{
    const char *s = tmpl, *from = tmpl;

    while ((s = strchr(s, '{')) != NULL) {
        const char *name;
        size_t nlen, n = placeholder_at(s, &name, &nlen);
        if (!n) {
            s++;
            continue;
        }
        lit(ctx, b, from, (size_t)(s - from));
        ph(ctx, b, name, nlen);
        s += n;
        from = s;
    }
    lit(ctx, b, from, strlen(from));
}

static void put_raw(void *ctx, smo_strbuf *b, const char *s, size_t n)
{
    (void)ctx;
    smo_strbuf_add(b, s, n);
}

static void put_escaped(void *ctx, smo_strbuf *b, const char *s, size_t n)
{
    (void)ctx;
    sb_escaped(b, s, n);
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
        if (!smo_url_valid_authority(auth, n))
            return "the template's URL has an invalid host or port";
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

/* The page values a share-intent URL can take, in placeholder order. */
enum { F_URL, F_TITLE, F_DESCRIPTION, F_IMAGE, F_TEXT, N_FIELDS };

static int field_of(const char *name, size_t len)
{
    static const char *const names[N_FIELDS] = {
        "url", "title", "description", "image", "text"
    };
    int f;

    for (f = 0; f < N_FIELDS; f++)
        if (strlen(names[f]) == len && memcmp(names[f], name, len) == 0)
            return f;
    return -1;
}

/* One page's values percent-encoded, each at most once per block and
 * only when a template uses it: every network of a block shares them. */
typedef struct {
    apr_pool_t *p;
    const char *raw[N_FIELDS - 1];   /* F_TEXT is made of the others */
    const char *enc[N_FIELDS];       /* NULL until first needed */
    size_t enc_len[N_FIELDS];
} page_values;

static void page_values_init(page_values *v, apr_pool_t *p,
                             const smo_share_page *page)
{
    memset(v, 0, sizeof *v);
    v->p = p;
    if (page) {
        v->raw[F_URL] = page->url;
        v->raw[F_TITLE] = page->title;
        v->raw[F_DESCRIPTION] = page->description;
        v->raw[F_IMAGE] = page->image;
    }
}

static void encoded(page_values *v, int f, const char **s, size_t *len);

/* {text}: what a post says when the network takes one field only, the
 * title and the URL with a space between.  Percent-encoding is per
 * byte, so it is made from their encodings ("%20" is the space). */
static void make_text(page_values *v)
{
    const char *t, *u;
    size_t tl, ul;
    char *w;

    encoded(v, F_TITLE, &t, &tl);
    encoded(v, F_URL, &u, &ul);
    if (!tl || !ul) {
        v->enc[F_TEXT] = tl ? t : u;
        v->enc_len[F_TEXT] = tl ? tl : ul;
        return;
    }
    w = apr_palloc(v->p, tl + 3 + ul + 1);
    memcpy(w, t, tl);
    memcpy(w + tl, "%20", 3);
    memcpy(w + tl + 3, u, ul + 1);
    v->enc[F_TEXT] = w;
    v->enc_len[F_TEXT] = tl + 3 + ul;
}

/* Field f percent-encoded (a value the page lacks is empty). */
static void encoded(page_values *v, int f, const char **s, size_t *len)
{
    if (!v->enc[f]) {
        if (f == F_TEXT) {
            make_text(v);
        }
        else {
            const char *raw = v->raw[f] ? v->raw[f] : "";
            size_t n = strlen(raw);
            v->enc[f] = smo_percent_encode(v->p, raw, n);
            v->enc_len[f] = strlen(v->enc[f]);
        }
    }
    *s = v->enc[f];
    *len = v->enc_len[f];
}

/* A placeholder of a share-intent template: its encoded value, or
 * nothing for an unknown one.  The encoding holds only unreserved
 * characters and '%', so it is also safe in an attribute as it is. */
static void put_field(void *ctx, smo_strbuf *b, const char *name, size_t len)
{
    int f = field_of(name, len);
    const char *s;
    size_t n;

    if (f < 0)
        return;
    encoded(ctx, f, &s, &n);
    smo_strbuf_add(b, s, n);
}

const char *smo_share_url(apr_pool_t *p, const smo_network *net,
                          const smo_share_page *page)
{
    page_values v;
    smo_strbuf b = { p, NULL, 0, 0, 0 };

    if (!net || !net->tmpl)
        return NULL;
    page_values_init(&v, p, page);
    expand(&b, net->tmpl, put_raw, put_field, &v);
    return sb_done(&b);
}

/* ---- SMOShareUTM (SPEC 7) --------------------------------------------- */

const char *smo_share_check_utm(const char *query)
{
    const char *s, *pair;
    int eq = 0;

    if (!query || !*query)
        return "empty parameters (Off for none)";
    if (strlen(query) > SMO_SHARE_MAX_UTM)
        return "over " APR_STRINGIFY(SMO_SHARE_MAX_UTM) " bytes";
    for (pair = s = query; ; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '&' || c == '\0') {
            if (s == pair || *pair == '=' || !eq)
                return "not name=value pairs joined by '&'";
            if (!c)
                return NULL;
            pair = s + 1;
            eq = 0;
            continue;
        }
        if (c == '=')
            eq = 1;
        if (c <= 0x20 || c >= 0x7F || c == '"' || c == '\'' || c == '<'
            || c == '>' || c == '\\' || c == '`' || c == '#' || c == '?')
            return "a space, quote, '<', '>', backslash, '#', '?', control "
                   "or non-ASCII character (percent-encode it)";
        if (c == '%' && !(apr_isxdigit(s[1]) && apr_isxdigit(s[2])))
            return "a '%' that starts no %-escape";
        if (c == '{') {
            if (strncmp(s, "{network}", 9) != 0)
                return "unknown placeholder (known: {network})";
            s += 8;
            continue;
        }
        if (c == '}')
            return "'}' outside a placeholder";
    }
}

const char *smo_share_utm_url(apr_pool_t *p, const char *url,
                              const char *utm, const char *network)
{
    const char *frag, *q, *sep, *name;
    smo_strbuf b = { p, NULL, 0, 0, 0 };
    size_t base;

    if (!url || !utm || !*utm)
        return url;
    /* The parameters end the query, before any fragment. */
    frag = strchr(url, '#');
    base = frag ? (size_t)(frag - url) : strlen(url);
    q = memchr(url, '?', base);
    if (!q)
        sep = "?";
    else if (url[base - 1] == '?' || url[base - 1] == '&')
        sep = "";
    else
        sep = "&";
    name = smo_percent_encode(p, network ? network : "",
                              network ? strlen(network) : 0);
    smo_strbuf_add(&b, url, base);
    smo_strbuf_add(&b, sep, strlen(sep));
    for (const char *s = utm; *s; ) {
        const char *ph = strstr(s, "{network}");
        size_t lit = ph ? (size_t)(ph - s) : strlen(s);
        smo_strbuf_add(&b, s, lit);
        if (!ph)
            break;
        smo_strbuf_add(&b, name, strlen(name));
        s = ph + 9;
    }
    if (frag)
        smo_strbuf_add(&b, frag, strlen(frag));
    return sb_done(&b);
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

#define DEFAULT_CLICK_URL "/smo/click"

/* The href of a link through the click handler, attribute-escaped:
 * CLICK_URL?n=NAME&u=PAGE_URL&t=TITLE (SPEC 7).  Escaping is byte-local,
 * so the pieces are escaped one by one (the encoded ones need none).  A
 * title the handler would drop is left out, and so is one that would
 * make the query longer than SMO_CLICK_MAX_QUERY (the link must stay well
 * within Apache's LimitRequestLine): the link works without it. */
static void put_click_href(smo_strbuf *b, const smo_share_config *cfg,
                           const smo_network *net, page_values *v)
{
    const char *click = cfg->click_url && *cfg->click_url
                        ? cfg->click_url : DEFAULT_CLICK_URL;
    const char *name = smo_percent_encode(b->p, net->name, strlen(net->name));
    const char *url, *title, *raw = v->raw[F_TITLE];
    size_t url_len, title_len;

    sb_escaped(b, click, strlen(click));
    if (strchr(click, '?'))
        SB_LIT(b, "&amp;n=");
    else
        SB_LIT(b, "?n=");
    smo_strbuf_add(b, name, strlen(name));
    SB_LIT(b, "&amp;u=");
    encoded(v, F_URL, &url, &url_len);
    smo_strbuf_add(b, url, url_len);
    if (!raw || !*raw || smo_click_title_check(raw, strlen(raw)))
        return;
    encoded(v, F_TITLE, &title, &title_len);
    if (strlen(name) + url_len + title_len + sizeof "n=&u=&t=" - 1
        <= SMO_CLICK_MAX_QUERY) {
        SB_LIT(b, "&amp;t=");
        smo_strbuf_add(b, title, title_len);
    }
}

/* SMOShareUTM strings alike (NULL is Off). */
static int same_utm(const char *a, const char *b)
{
    return (!a || !*a) ? (!b || !*b) : (b && strcmp(a, b) == 0);
}

const char *smo_share_direct_reason(apr_pool_t *p,
                                    const smo_share_config *cfg,
                                    const smo_network *net, const char *url)
{
    if (!cfg->track_clicks || !cfg->click)
        return NULL;
    if (!same_utm(cfg->utm, cfg->click->utm))
        return "utm";
    return smo_click_refuses(p, cfg->click, net, url);
}

/* One <a> of the block. */
static void add_link(smo_strbuf *b, const smo_share_config *cfg,
                     const smo_network *net, page_values *v)
{
    /* Escaped once, written twice (aria-label and text). */
    const char *label = escaped(b->p, net->label && *net->label
                                      ? net->label : net->name);
    size_t label_len = strlen(label);
    /* A mail client opens in place; a blank tab would stay behind. */
    int mail = net->tmpl && strncasecmp(net->tmpl, "mailto:", 7) == 0;

    SB_LIT(b, "<a class=\"smo-share-link smo-share-");
    sb_escaped(b, net->name, strlen(net->name));
    SB_LIT(b, "\" href=\"");
    if (cfg->track_clicks &&
        !smo_share_direct_reason(b->p, cfg, net, v->raw[F_URL])) {
        /* The canonical URL: the handler adds SMOShareUTM's parameters. */
        put_click_href(b, cfg, net, v);
    }
    else if (cfg->utm) {
        /* The shared URL is this network's: the values that hold it are
         * encoded for this link alone. */
        page_values mine = *v;
        mine.raw[F_URL] = smo_share_utm_url(b->p, v->raw[F_URL], cfg->utm,
                                            net->name);
        mine.enc[F_URL] = mine.enc[F_TEXT] = NULL;
        expand(b, net->tmpl, put_escaped, put_field, &mine);
    }
    else {
        expand(b, net->tmpl, put_escaped, put_field, v);
    }
    SB_LIT(b, "\" rel=\"nofollow noopener noreferrer\"");
    if (!mail)
        SB_LIT(b, " target=\"_blank\"");
    SB_LIT(b, " aria-label=\"Share on ");
    smo_strbuf_add(b, label, label_len);
    SB_LIT(b, "\">");
    smo_strbuf_add(b, label, label_len);
    SB_LIT(b, "</a>");
}

typedef struct {
    const char *links;
    const smo_share_page *page;
} block_values;

/* A placeholder of a block template: {links} as built, {url} and
 * {title} HTML-escaped, anything else nothing. */
static void put_block_field(void *ctx, smo_strbuf *b, const char *name,
                            size_t len)
{
    const block_values *v = ctx;
    const char *s = NULL;

    if (len == 5 && memcmp(name, "links", 5) == 0) {
        smo_strbuf_add(b, v->links, strlen(v->links));
        return;
    }
    if (len == 3 && memcmp(name, "url", 3) == 0)
        s = v->page ? v->page->url : NULL;
    else if (len == 5 && memcmp(name, "title", 5) == 0)
        s = v->page ? v->page->title : NULL;
    else
        return;
    if (s)
        sb_escaped(b, s, strlen(s));
}

/* The links of the block, newline-separated, appended to b; how many. */
static int add_links(smo_strbuf *b, const smo_share_config *cfg,
                     const smo_share_page *page)
{
    page_values v;
    int i, n = 0;

    page_values_init(&v, b->p, page);
    for (i = 0; i < cfg->networks->nelts; i++) {
        const smo_network *net =
            APR_ARRAY_IDX(cfg->networks, i, const smo_network *);
        if (!net || !net->name || !net->tmpl)
            continue;
        /* A newline between links: without a style sheet they must not
         * run together ("XFacebook"). */
        if (n++)
            SB_LIT(b, "\n");
        add_link(b, cfg, net, &v);
    }
    return n;
}

/* Room for a typical block at once, so the buffer rarely grows. */
#define BLOCK_GUESS 2048

const char *smo_share_block(apr_pool_t *p, const smo_share_config *cfg,
                            const smo_share_page *page)
{
    smo_strbuf b = { p, NULL, 0, 0, 0 };

    if (!cfg || !cfg->networks)
        return NULL;
    b.s = apr_palloc(p, BLOCK_GUESS);
    b.cap = BLOCK_GUESS;
    if (cfg->block_template) {
        smo_strbuf out = { p, NULL, 0, 0, 0 };
        block_values v;

        if (!add_links(&b, cfg, page))
            return NULL;
        v.links = b.s;
        v.page = page;
        expand(&out, cfg->block_template, put_raw, put_block_field, &v);
        return sb_done(&out);
    }
    /* Already well-formed XML (every attribute quoted, no void element),
     * so the markup is the same for XHTML pages. */
    SB_LIT(&b, "\n<nav class=\"smo-share\" aria-label=\"Share\">\n");
    if (!add_links(&b, cfg, page))
        return NULL;
    SB_LIT(&b, "\n</nav>\n");
    return sb_done(&b);
}

/* ---- SMOShareAt ------------------------------------------------------- */

struct smo_selector {
    const char *tag;    /* ASCII-lowercased, or NULL */
    const char *id;     /* or NULL */
    const char *cls;    /* or NULL */
    const char *attr;   /* ASCII-lowercased, or NULL */
    const char *value;  /* NULL: [attr] tests presence only */
};

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
        else if (smo_ascii_is_space((unsigned char)*s))
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
    while (smo_ascii_is_space((unsigned char)*s))
        s++;
    name = s;
    while (*s && !smo_ascii_is_space((unsigned char)*s) &&
           !strchr("\"'<>/=[]~|^$*", *s))
        s++;
    if (s == name)
        return "attribute selector without a name";
    sel->attr = lower(p, name, (size_t)(s - name));
    while (smo_ascii_is_space((unsigned char)*s))
        s++;
    if (*s == '=') {
        s++;
        while (smo_ascii_is_space((unsigned char)*s))
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
        while (smo_ascii_is_space((unsigned char)*s))
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
    while (smo_ascii_is_space((unsigned char)*arg))
        arg++;
    word = arg;
    while (*arg && !smo_ascii_is_space((unsigned char)*arg))
        arg++;
    wlen = (size_t)(arg - word);
    rest = arg;
    while (smo_ascii_is_space((unsigned char)*rest))
        rest++;
    rlen = strlen(rest);
    while (rlen && smo_ascii_is_space((unsigned char)rest[rlen - 1]))
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
    const smo_attr *a = smo_find_attr(tag, name);

    if (!a)
        return NULL;
    if (!a->has_value)
        return "";
    return smo_html_decode(scratch, tag->raw + a->value_off, a->value_len, 1);
}

/* Is `cls` one of the whitespace-separated classes in `list`? */
static int has_class(const char *list, const char *cls)
{
    size_t len = strlen(cls);

    while (*list) {
        const char *start;
        while (smo_ascii_is_space((unsigned char)*list))
            list++;
        start = list;
        while (*list && !smo_ascii_is_space((unsigned char)*list))
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
    while (len && smo_ascii_is_space((unsigned char)*data)) {
        data++;
        len--;
    }
    while (len && smo_ascii_is_space((unsigned char)data[len - 1]))
        len--;
    return len == sizeof marker - 1 && strncasecmp(data, marker, len) == 0;
}

/* One part of a selector, length-prefixed so that no part can pass for
 * another; "-" for a part that is absent. */
static const char *sel_part(apr_pool_t *p, const char *s)
{
    return s ? apr_psprintf(p, "%" APR_SIZE_T_FMT ":%s", strlen(s), s) : "-";
}

const char *smo_selector_text(apr_pool_t *p, const smo_selector *sel)
{
    return apr_pstrcat(p, sel_part(p, sel->tag), sel_part(p, sel->id),
                       sel_part(p, sel->cls), sel_part(p, sel->attr),
                       sel_part(p, sel->value), NULL);
}
