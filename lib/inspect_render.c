/* inspect_render.c — the inspector's report as an HTML page and as JSON
 * (SPEC section 10).  The page has no script, one <style> and no style
 * attribute (a Content-Security-Policy may forbid them), and fetches
 * nothing but the og:image; everything from the page is escaped. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "inspect_internal.h"
#include "smo_escape.h"
#include "smo_url.h"

/* ---- a growing buffer -------------------------------------------------- */

typedef struct {
    apr_pool_t *p;
    char *s;
    size_t len, cap;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
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

static void puts_(buf *b, const char *s)
{
    put(b, s, strlen(s));
}

#define LIT(b, s) put((b), (s), sizeof(s) - 1)

static void putf(buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void putf(buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Text or attribute value: markup escaped, and whatever is not clean
 * UTF-8 or is a control character replaced (smo_escape_attr). */
static void esc(buf *b, const char *s)
{
    if (s)
        puts_(b, smo_escape_attr(b->p, s, strlen(s)));
}

/* ---- HTML -------------------------------------------------------------- */

/* One style sheet for every report (a CSP hash of it stays valid). */
static const char style[] =
    ":root{color-scheme:light dark;--bg:#f6f7f9;--fg:#1c1e21;--mute:#65676b;"
    "--card:#fff;--line:#dadde1;--pass:#1b7f3b;--warn:#9a6700;--fail:#c62828;"
    "--link:#0b57d0}"
    "@media (prefers-color-scheme:dark){:root{--bg:#111315;--fg:#e4e6eb;"
    "--mute:#a8abaf;--card:#1d1f23;--line:#3a3d42;--pass:#4cc26f;"
    "--warn:#e0b341;--fail:#ff6b6b;--link:#8ab4f8}}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "sans-serif;background:var(--bg);color:var(--fg)}"
    "header,main,footer{max-width:1200px;margin:0 auto;padding:1rem}"
    "header h1{margin:0 0 .25rem;font-size:1.4rem}"
    ".url{margin:0;word-break:break-all}.url a{color:var(--link)}"
    ".summary{margin:.5rem 0 0;color:var(--mute)}"
    "h2{font-size:1.15rem;margin:1.5rem 0 .75rem}"
    ".grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,"
    "minmax(min(100%,280px),1fr))}"
    ".net{margin:0}.net h3{font-size:.85rem;margin:0 0 .35rem;color:var(--mute);"
    "text-transform:uppercase;letter-spacing:.04em}"
    ".frame{background:var(--card);border:1px solid var(--line);"
    "border-radius:8px;overflow:hidden}"
    ".img{background:var(--line);width:100%;display:flex;align-items:center;"
    "justify-content:center;color:var(--mute);font-size:.8rem}"
    ".img img{width:100%;height:100%;object-fit:cover;display:block}"
    ".text{display:flex;flex-direction:column;padding:.5rem .75rem .65rem;"
    "min-width:0;overflow-wrap:anywhere}"
    ".text p{margin:0}.site{font-weight:700;font-size:.85rem}"
    ".domain{color:var(--mute);font-size:.8rem}"
    ".title{font-weight:600}.desc{color:var(--mute);font-size:.88rem}"
    ".small .frame{display:flex}"
    ".small .img{flex:0 0 96px;width:96px;height:96px;aspect-ratio:auto}"
    ".small .text{flex:1}"
    ".note{margin:.3rem 0 0;font-size:.75rem;color:var(--mute)}"
    /* The networks' own looks. */
    ".net-facebook .domain{text-transform:uppercase;order:-1}"
    ".net-facebook .frame{border-radius:0}"
    ".net-x .frame{border-radius:16px}.net-x .domain{order:-1}"
    ".net-linkedin .domain{order:2}.net-linkedin .frame{border-radius:2px}"
    ".net-slack .frame,.net-discord .frame{border:0;border-left:4px solid "
    "var(--line);border-radius:4px;display:flex;flex-direction:column-reverse}"
    ".net-slack .title,.net-discord .title{color:var(--link)}"
    ".net-slack .img,.net-discord .img{max-width:360px;margin:0 .75rem .65rem;"
    "width:auto;border-radius:6px;overflow:hidden}"
    ".net-slack .domain,.net-discord .domain{display:none}"
    ".net-slack.small .frame,.net-discord.small .frame{flex-direction:row-reverse}"
    ".net-slack.small .img,.net-discord.small .img{margin:.5rem}"
    ".net-whatsapp .frame{border-radius:10px}.net-whatsapp .domain{order:3}"
    ".net-mastodon .domain{order:-1}"
    ".net-bluesky .frame{border-radius:12px}.net-bluesky .domain{order:3}"
    ".checks{list-style:none;padding:0;margin:0;display:grid;gap:.4rem}"
    ".checks li{background:var(--card);border:1px solid var(--line);"
    "border-radius:6px;padding:.5rem .75rem;display:flex;gap:.6rem;"
    "align-items:baseline;flex-wrap:wrap}"
    ".badge{font-size:.75rem;font-weight:700;text-transform:uppercase;"
    "padding:.1rem .45rem;border-radius:4px;border:1px solid currentColor;"
    "min-width:3.6rem;text-align:center}"
    ".pass .badge{color:var(--pass)}.warn .badge{color:var(--warn)}"
    ".fail .badge{color:var(--fail)}"
    ".checks code{color:var(--mute);font-size:.8rem}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;background:var(--card)}"
    "th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}"
    "td.value{min-width:12rem}th,td.nw{white-space:nowrap;overflow-wrap:normal}"
    ".links{padding-left:1.2rem}.links a{color:var(--link);word-break:break-all}"
    "footer{color:var(--mute);font-size:.8rem}";

/* The image boxes at each network's ratio, from the table. */
static void put_ratios(buf *b)
{
    for (int i = 0; i < SMO_INSPECT_NETS; i++) {
        const smo_inspect_net *n = &smo_inspect_nets[i];
        putf(b, ".net-%s .img{aspect-ratio:%u/%u}", n->id, n->box_w, n->box_h);
    }
}

/* A URL this page may link or load: absolute http(s) that every parser
 * reads the same way (no space, quote, '<', '>' or control character),
 * or such a mailto: (share-by-mail links). */
static int linkable(apr_pool_t *p, const char *u)
{
    if (u && !strncasecmp(u, "mailto:", 7))
        return !u[strcspn(u, " \"'<>\\\t\r\n")];
    return u && smo_url_host(p, u, NULL) != NULL;
}

static void put_preview(buf *b, const smo_inspect_report *r,
                        const smo_inspect_preview *pv)
{
    LIT(b, "<article class=\"net net-");
    puts_(b, pv->net.id);
    if (pv->small)
        LIT(b, " small");
    LIT(b, "\"><h3>");
    puts_(b, pv->net.name);
    LIT(b, "</h3><div class=\"frame\">");
    /* A network that would show no image draws a text-only card. */
    if (!pv->no_image && linkable(b->p, r->image)) {
        LIT(b, "<div class=\"img\"><img src=\"");
        esc(b, r->image);
        LIT(b, "\" alt=\"\" loading=\"lazy\" referrerpolicy=\"no-referrer\">"
            "</div>");
    }
    LIT(b, "<div class=\"text\">");
    if (pv->site) {
        LIT(b, "<p class=\"site\">");
        esc(b, pv->site);
        LIT(b, "</p>");
    }
    if (r->domain) {
        LIT(b, "<p class=\"domain\">");
        esc(b, r->domain);
        LIT(b, "</p>");
    }
    LIT(b, "<p class=\"title\">");
    if (pv->title)
        esc(b, pv->title);
    else
        LIT(b, "(no title)");
    LIT(b, "</p>");
    if (pv->description) {
        LIT(b, "<p class=\"desc\">");
        esc(b, pv->description);
        LIT(b, "</p>");
    }
    LIT(b, "</div></div><p class=\"note\">");
    if (pv->no_image || !linkable(b->p, r->image))
        LIT(b, "No image shown");
    else if (pv->small)
        LIT(b, "Image as a small square thumbnail");
    else
        putf(b, "Image at %s", pv->net.ratio);
    putf(b, "; title cut at %u characters", pv->net.title_cut);
    if (pv->net.desc_cut)
        putf(b, ", description at %u", pv->net.desc_cut);
    else
        LIT(b, ", no description shown");
    LIT(b, ".</p></article>\n");
}

static void put_checks(buf *b, const smo_inspect_report *r)
{
    static const char *const label[] = { "Pass", "Warn", "Fail" };

    LIT(b, "<section aria-labelledby=\"h-checks\"><h2 id=\"h-checks\">"
        "Checks</h2><ul class=\"checks\">\n");
    for (int i = 0; i < r->checks->nelts; i++) {
        const smo_inspect_check *c =
            &APR_ARRAY_IDX(r->checks, i, smo_inspect_check);
        LIT(b, "<li class=\"");
        puts_(b, smo_inspect_verdict_name(c->verdict));
        LIT(b, "\"><span class=\"badge\">");
        puts_(b, label[c->verdict]);
        LIT(b, "</span> <span>");
        esc(b, c->message);
        LIT(b, "</span> <code>");
        esc(b, c->id);
        LIT(b, "</code></li>\n");
    }
    LIT(b, "</ul></section>\n");
}

static void put_props(buf *b, const smo_inspect_report *r)
{
    LIT(b, "<section aria-labelledby=\"h-meta\"><h2 id=\"h-meta\">Metadata "
        "as served</h2>");
    if (!r->props->nelts) {
        LIT(b, "<p>The head has no metadata.</p></section>\n");
        return;
    }
    LIT(b, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">"
        "Property</th><th scope=\"col\">Value</th><th scope=\"col\">Origin"
        "</th><th scope=\"col\">Byte</th></tr></thead><tbody>\n");
    for (int i = 0; i < r->props->nelts; i++) {
        const smo_inspect_prop *pr =
            &APR_ARRAY_IDX(r->props, i, smo_inspect_prop);
        LIT(b, "<tr><td><code>");
        esc(b, pr->name);
        LIT(b, "</code></td><td class=\"value\">");
        esc(b, pr->value);
        LIT(b, "</td><td class=\"nw\">");
        puts_(b, smo_inspect_origin_name(pr->origin));
        putf(b, "</td><td class=\"nw\">%" APR_UINT64_T_FMT "</td></tr>\n",
             pr->offset);
    }
    LIT(b, "</tbody></table></div></section>\n");
}

static void put_links(buf *b, const smo_inspect_report *r)
{
    LIT(b, "<section aria-labelledby=\"h-links\"><h2 id=\"h-links\">Share "
        "links</h2>");
    if (!r->links->nelts) {
        LIT(b, "<p>The page carries no mod_smo share link.</p></section>\n");
        return;
    }
    LIT(b, "<ul class=\"links\">\n");
    for (int i = 0; i < r->links->nelts; i++) {
        const smo_inspect_link *l =
            &APR_ARRAY_IDX(r->links, i, smo_inspect_link);
        LIT(b, "<li><strong>");
        esc(b, *l->label ? l->label : l->network);
        LIT(b, "</strong> (");
        esc(b, l->network);
        LIT(b, "): ");
        /* Only what is safe to follow is a link (no javascript:). */
        if (linkable(b->p, l->href)) {
            LIT(b, "<a href=\"");
            esc(b, l->href);
            LIT(b, "\" rel=\"nofollow noreferrer\">");
            esc(b, l->href);
            LIT(b, "</a>");
        } else {
            LIT(b, "<code>");
            esc(b, l->href);
            LIT(b, "</code>");
        }
        LIT(b, "</li>\n");
    }
    LIT(b, "</ul></section>\n");
}

static void put_head(buf *b, const smo_inspect_report *r)
{
    int n[3] = { 0, 0, 0 };

    for (int i = 0; i < r->checks->nelts; i++)
        n[APR_ARRAY_IDX(r->checks, i, smo_inspect_check).verdict]++;
    LIT(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"color-scheme\" content=\"light dark\">\n"
        "<meta name=\"robots\" content=\"noindex\">\n<title>Share inspector: ");
    esc(b, r->page_url);
    LIT(b, "</title>\n<style>");
    put(b, style, sizeof style - 1);
    put_ratios(b);
    LIT(b, "</style>\n</head>\n<body>\n<header><h1>Share inspector</h1>"
        "<p class=\"url\">");
    if (linkable(b->p, r->page_url)) {
        LIT(b, "<a href=\"");
        esc(b, r->page_url);
        LIT(b, "\">");
        esc(b, r->page_url);
        LIT(b, "</a>");
    } else {
        esc(b, r->page_url);
    }
    putf(b, "</p><p class=\"summary\">%d passed, %d warnings, %d failed."
         "</p></header>\n<main>\n", n[SMO_CHECK_PASS], n[SMO_CHECK_WARN],
         n[SMO_CHECK_FAIL]);
}

const char *smo_inspect_html(apr_pool_t *p, const smo_inspect_report *r)
{
    buf b = { p, NULL, 0, 0 };

    put_head(&b, r);
    LIT(&b, "<section aria-labelledby=\"h-previews\"><h2 id=\"h-previews\">"
        "How a share looks</h2><div class=\"grid\">\n");
    for (int i = 0; i < SMO_INSPECT_NETS; i++) {
        smo_inspect_preview pv;
        smo_inspect_preview_of(p, &smo_inspect_nets[i], r, &pv);
        put_preview(&b, r, &pv);
    }
    LIT(&b, "</div></section>\n");
    put_checks(&b, r);
    put_props(&b, r);
    put_links(&b, r);
    LIT(&b, "</main>\n<footer><p>mod_smo inspector. The networks' figures "
        "(ratios, minimum sizes, where titles are cut) are in "
        "docs/inspector.md; networks change them without notice.</p>"
        "</footer>\n</body>\n</html>\n");
    return b.s;
}

/* ---- JSON -------------------------------------------------------------- */

/* A JSON string (RFC 8259): quote, backslash and controls escaped; bytes
 * that are not UTF-8 become U+FFFD. */
static void jstr(buf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len, i = 0, run;

    if (!s) {
        LIT(b, "null");
        return;
    }
    len = strlen(s);
    LIT(b, "\"");
    if (!smo_utf8_valid(s, len)) {
        s = smo_to_utf8(b->p, s, len, "utf-8", &len);
        u = (const unsigned char *)s;
    }
    while (i < len) {
        for (run = i; run < len && u[run] >= 0x20 && u[run] != '"' &&
             u[run] != '\\' && u[run] != 0x7F; run++)
            ;
        put(b, s + i, run - i);
        if (run >= len)
            break;
        switch (u[run]) {
        case '"': LIT(b, "\\\""); break;
        case '\\': LIT(b, "\\\\"); break;
        case '\n': LIT(b, "\\n"); break;
        case '\r': LIT(b, "\\r"); break;
        case '\t': LIT(b, "\\t"); break;
        default: putf(b, "\\u%04x", u[run]); break;
        }
        i = run + 1;
    }
    LIT(b, "\"");
}

static void jkey(buf *b, const char *k, const char *v)
{
    jstr(b, k);
    LIT(b, ":");
    jstr(b, v);
}

static void json_previews(buf *b, const smo_inspect_report *r)
{
    LIT(b, "\"previews\":[");
    for (int i = 0; i < SMO_INSPECT_NETS; i++) {
        smo_inspect_preview pv;
        smo_inspect_preview_of(b->p, &smo_inspect_nets[i], r, &pv);
        puts_(b, i ? ",\n{" : "\n{");
        jkey(b, "network", pv.net.id);
        LIT(b, ",");
        jkey(b, "title", pv.title);
        LIT(b, ",");
        jkey(b, "description", pv.description);
        LIT(b, ",");
        jkey(b, "site", pv.site);
        LIT(b, ",");
        jkey(b, "image", pv.no_image ? NULL : r->image);
        LIT(b, ",");
        jkey(b, "ratio", pv.net.ratio);
        putf(b, ",\"thumbnail\":%s,", pv.small ? "true" : "false");
        jkey(b, "domain", r->domain);
        LIT(b, "}");
    }
    LIT(b, "]");
}

const char *smo_inspect_json(apr_pool_t *p, const smo_inspect_report *r)
{
    buf b = { p, NULL, 0, 0 };

    LIT(&b, "{");
    jkey(&b, "url", r->page_url);
    LIT(&b, ",\n\"properties\":[");
    for (int i = 0; i < r->props->nelts; i++) {
        const smo_inspect_prop *pr =
            &APR_ARRAY_IDX(r->props, i, smo_inspect_prop);
        puts_(&b, i ? ",\n{" : "\n{");
        jkey(&b, "name", pr->name);
        LIT(&b, ",");
        jkey(&b, "value", pr->value);
        LIT(&b, ",");
        jkey(&b, "origin", smo_inspect_origin_name(pr->origin));
        putf(&b, ",\"offset\":%" APR_UINT64_T_FMT "}", pr->offset);
    }
    LIT(&b, "],\n\"checks\":[");
    for (int i = 0; i < r->checks->nelts; i++) {
        const smo_inspect_check *c =
            &APR_ARRAY_IDX(r->checks, i, smo_inspect_check);
        puts_(&b, i ? ",\n{" : "\n{");
        jkey(&b, "id", c->id);
        LIT(&b, ",");
        jkey(&b, "verdict", smo_inspect_verdict_name(c->verdict));
        LIT(&b, ",");
        jkey(&b, "message", c->message);
        LIT(&b, "}");
    }
    LIT(&b, "],\n\"links\":[");
    for (int i = 0; i < r->links->nelts; i++) {
        const smo_inspect_link *l =
            &APR_ARRAY_IDX(r->links, i, smo_inspect_link);
        puts_(&b, i ? ",\n{" : "\n{");
        jkey(&b, "network", l->network);
        LIT(&b, ",");
        jkey(&b, "label", l->label);
        LIT(&b, ",");
        jkey(&b, "href", l->href);
        LIT(&b, "}");
    }
    LIT(&b, "],\n");
    json_previews(&b, r);
    LIT(&b, "}\n");
    return b.s;
}
