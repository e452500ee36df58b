/* test_share.c — unit tests for lib/share.c: the built-in share intents,
 * custom networks, the block's markup (escaping, click tracking, XHTML
 * well-formedness, block templates), SMOShareAt and its selectors, and the
 * marker comment (SPEC sections 4 and 6). */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "../lib/smo_click.h"
#include "../lib/smo_escape.h"
#include "../lib/smo_share.h"
#include "../lib/smo_tokenizer.h"
#include "../lib/smo_url.h"
#include "toolkit.h"

/* The page of the brief: a URL with an escape and a query, a title with
 * non-ASCII, an ampersand and quotes. */
static const smo_share_page page = {
    "https://example.com/caf%C3%A9?a=1&b=2",
    "Caf\xC3\xA9 & \"Tea\"",
    "A <b>bold</b> caf\xC3\xA9",
    "https://example.com/img/tea.png",
};

#define E_URL   "https%3A%2F%2Fexample.com%2Fcaf%25C3%25A9%3Fa%3D1%26b%3D2"
#define E_TITLE "Caf%C3%A9%20%26%20%22Tea%22"
#define E_TEXT  E_TITLE "%20" E_URL
#define E_DESC  "A%20%3Cb%3Ebold%3C%2Fb%3E%20caf%C3%A9"
#define E_IMAGE "https%3A%2F%2Fexample.com%2Fimg%2Ftea.png"

static const char *share_url(const char *name)
{
    const smo_network *n = smo_share_builtin(pool, name, NULL);
    ck_assert_msg(n != NULL, "no built-in network %s", name);
    return smo_share_url(pool, n, &page);
}

/* ---- the catalogue ----------------------------------------------------- */

START_TEST(test_builtin_urls)
{
    static const struct { const char *name, *want; } cases[] = {
        { "x", "https://x.com/intent/tweet?text=" E_TITLE "&url=" E_URL },
        { "facebook", "https://www.facebook.com/sharer/sharer.php?u=" E_URL },
        { "linkedin",
          "https://www.linkedin.com/sharing/share-offsite/?url=" E_URL },
        { "reddit",
          "https://www.reddit.com/submit?url=" E_URL "&title=" E_TITLE },
        { "whatsapp", "https://wa.me/?text=" E_TEXT },
        { "telegram", "https://t.me/share/url?url=" E_URL "&text=" E_TITLE },
        { "bluesky", "https://bsky.app/intent/compose?text=" E_TEXT },
        { "threads", "https://www.threads.com/intent/post?text=" E_TEXT },
        { "mastodon", "https://s2f.kytta.dev/?text=" E_TEXT },
        { "hackernews",
          "https://news.ycombinator.com/submitlink?u=" E_URL "&t=" E_TITLE },
        { "pinterest", "https://www.pinterest.com/pin/create/button/?url="
          E_URL "&media=" E_IMAGE "&description=" E_TITLE },
        { "tumblr", "https://www.tumblr.com/widgets/share/tool?canonicalUrl="
          E_URL "&title=" E_TITLE "&caption=" E_DESC },
        { "email", "mailto:?subject=" E_TITLE "&body=" E_TEXT },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const smo_network *n = smo_share_builtin(pool, cases[i].name, NULL);
        ck_assert_ptr_nonnull(n);
        ck_assert_str_eq(n->name, cases[i].name);
        ck_assert_str_eq(smo_share_url(pool, n, &page), cases[i].want);
        /* Every built-in template passes the check custom ones get. */
        ck_assert_ptr_null(smo_share_check_template(n->tmpl));
    }
}
END_TEST

START_TEST(test_builtin_labels)
{
    static const char *const names[] = {
        "x", "facebook", "linkedin", "reddit", "whatsapp", "telegram",
        "bluesky", "threads", "mastodon", "hackernews", "pinterest",
        "tumblr", "email",
    };
    static const char *const labels[] = {
        "X", "Facebook", "LinkedIn", "Reddit", "WhatsApp", "Telegram",
        "Bluesky", "Threads", "Mastodon", "Hacker News", "Pinterest",
        "Tumblr", "Email",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_str_eq(smo_share_builtin(pool, names[i], NULL)->label,
                         labels[i]);
    ck_assert_ptr_null(smo_share_builtin(pool, "digg", NULL));
    ck_assert_ptr_null(smo_share_builtin(pool, "", NULL));
    ck_assert_ptr_null(smo_share_builtin(pool, NULL, NULL));
}
END_TEST

START_TEST(test_twitter_alias)
{
    const smo_network *t = smo_share_builtin(pool, "twitter", NULL);
    const smo_network *x = smo_share_builtin(pool, "X", NULL);
    apr_array_header_t *nets = apr_array_make(pool, 1, sizeof(t));
    smo_share_config cfg = { nets, 0, NULL, NULL, 0, NULL, NULL };
    const char *block;

    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_eq(t, x);
    ck_assert_str_eq(t->name, "x");
    ck_assert_ptr_eq(smo_share_builtin(pool, "Twitter", NULL), x);
    APR_ARRAY_PUSH(nets, const smo_network *) = t;
    block = smo_share_block(pool, &cfg, &page);
    ck_assert_ptr_nonnull(strstr(block, "class=\"smo-share-link smo-share-x\""));
    ck_assert_ptr_null(strstr(block, "smo-share-twitter"));
}
END_TEST

START_TEST(test_mastodon_instance)
{
    const smo_network *m = smo_share_builtin(pool, "mastodon",
                                             "Social.Example.org");
    ck_assert_str_eq(m->name, "mastodon");
    ck_assert_str_eq(m->label, "Mastodon");
    ck_assert_str_eq(smo_share_url(pool, m, &page),
                     "https://social.example.org/share?text=" E_TEXT);

    /* Not a host name: the neutral service, never a broken URL. */
    m = smo_share_builtin(pool, "mastodon", "evil.example/x?y=");
    ck_assert_str_eq(smo_share_url(pool, m, &page),
                     "https://s2f.kytta.dev/?text=" E_TEXT);
    ck_assert_ptr_nonnull(smo_share_check_instance("evil.example/x?y="));
    ck_assert_ptr_nonnull(smo_share_check_instance("https://a.example"));
    ck_assert_ptr_nonnull(smo_share_check_instance(""));
    ck_assert_ptr_null(smo_share_check_instance("mastodon.social"));
    /* Host syntax (issue 13, item 11). */
    ck_assert_ptr_nonnull(smo_share_check_instance("a..b"));
    ck_assert_ptr_nonnull(smo_share_check_instance(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.social"));
    ck_assert_ptr_null(smo_share_check_template("https://n.example:8443/?u={url}"));
    ck_assert_ptr_null(smo_share_check_template("https://[2001:db8::1]:8443/?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("https://n.example:99999/?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("https://n.example:0/?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("https://n..example/?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("https://[2001:db8::1/?u={url}"));

    /* The instance is for mastodon only. */
    ck_assert_str_eq(smo_share_url(pool, smo_share_builtin(
                         pool, "bluesky", "social.example.org"), &page),
                     "https://bsky.app/intent/compose?text=" E_TEXT);
}
END_TEST

START_TEST(test_text_without_title)
{
    smo_share_page p = { "https://example.com/a b", NULL, NULL, NULL };
    const smo_network *w = smo_share_builtin(pool, "whatsapp", NULL);

    ck_assert_str_eq(smo_share_url(pool, w, &p),
                     "https://wa.me/?text=https%3A%2F%2Fexample.com%2Fa%20b");
    p.title = "";
    ck_assert_str_eq(smo_share_url(pool, w, &p),
                     "https://wa.me/?text=https%3A%2F%2Fexample.com%2Fa%20b");
    /* Absent values are empty, the parameter stays. */
    ck_assert_str_eq(smo_share_url(pool,
                                   smo_share_builtin(pool, "pinterest", NULL),
                                   &p),
                     "https://www.pinterest.com/pin/create/button/?url="
                     "https%3A%2F%2Fexample.com%2Fa%20b&media=&description=");
}
END_TEST

/* ---- custom networks and template checks ------------------------------- */

START_TEST(test_custom_network)
{
    smo_network digg = { "digg",
                         "https://digg.com/submit?url={url}&title={title}",
                         "digg this" };
    apr_array_header_t *nets = apr_array_make(pool, 1, sizeof(smo_network *));
    smo_share_config cfg = { nets, 0, NULL, NULL, 0, NULL, NULL };
    const char *block;

    ck_assert_ptr_null(smo_share_check_template(digg.tmpl));
    ck_assert_ptr_null(smo_share_check_name("digg"));
    ck_assert_str_eq(smo_share_url(pool, &digg, &page),
                     "https://digg.com/submit?url=" E_URL "&title=" E_TITLE);
    APR_ARRAY_PUSH(nets, const smo_network *) = &digg;
    block = smo_share_block(pool, &cfg, &page);
    ck_assert_ptr_nonnull(strstr(block,
        "<a class=\"smo-share-link smo-share-digg\" href=\"https://digg.com/"
        "submit?url=" E_URL "&amp;title=" E_TITLE "\" rel=\"nofollow noopener"
        " noreferrer\" target=\"_blank\" aria-label=\"Share on digg this\">"
        "digg this</a>"));
}
END_TEST

START_TEST(test_template_checks)
{
    ck_assert_ptr_null(smo_share_check_template(
        "https://example.com/share?u={url}&d={description}&i={image}"));
    ck_assert_ptr_null(smo_share_check_template("HTTP://example.com/?t={text}"));
    ck_assert_ptr_null(smo_share_check_template("mailto:?body={text}"));

    ck_assert_ptr_nonnull(smo_share_check_template(
        "https://example.com/?u={link}"));
    ck_assert_ptr_nonnull(smo_share_check_template(
        "https://example.com/?u={URL}"));
    ck_assert_ptr_nonnull(smo_share_check_template(
        "https://example.com/?u={url"));
    ck_assert_ptr_nonnull(smo_share_check_template(
        "https://example.com/?u=url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("javascript:alert({url})"));
    ck_assert_ptr_nonnull(smo_share_check_template("JavaScript:alert(1)"));
    ck_assert_ptr_nonnull(smo_share_check_template("data:text/html,{url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("//example.com/?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("/share?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("https:///?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template("https://{url}"));
    ck_assert_ptr_nonnull(smo_share_check_template(
        "https://user@example.com/?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template(
        "https://example.com/?u={url}\" onclick=\"x"));
    ck_assert_ptr_nonnull(smo_share_check_template(
        "https://example.com/a b?u={url}"));
    ck_assert_ptr_nonnull(smo_share_check_template(""));
    ck_assert_ptr_nonnull(smo_share_check_template(NULL));
}
END_TEST

START_TEST(test_name_checks)
{
    ck_assert_ptr_null(smo_share_check_name("my-intranet_2"));
    ck_assert_ptr_nonnull(smo_share_check_name("none"));
    ck_assert_ptr_nonnull(smo_share_check_name("a b"));
    ck_assert_ptr_nonnull(smo_share_check_name("a\"b"));
    ck_assert_ptr_nonnull(smo_share_check_name(""));
    ck_assert_ptr_nonnull(smo_share_check_name(
        "abcdefghijklmnopqrstuvwxyz0123456"));
}
END_TEST

START_TEST(test_unknown_placeholder_at_run_time)
{
    /* Not through the check (a caller that skipped it): unknown is empty. */
    smo_network n = { "n", "https://example.com/?a={nope}&b={url}&c={", "N" };
    ck_assert_str_eq(smo_share_url(pool, &n, &page),
                     "https://example.com/?a=&b=" E_URL "&c={");
}
END_TEST

/* ---- the block --------------------------------------------------------- */

static apr_array_header_t *networks(const char *a, const char *b)
{
    apr_array_header_t *nets = apr_array_make(pool, 2,
                                              sizeof(smo_network *));
    APR_ARRAY_PUSH(nets, const smo_network *) =
        smo_share_builtin(pool, a, NULL);
    if (b)
        APR_ARRAY_PUSH(nets, const smo_network *) =
            smo_share_builtin(pool, b, NULL);
    return nets;
}

START_TEST(test_block_default_markup)
{
    smo_share_config cfg = { networks("facebook", "email"), 0, NULL, NULL, 0, NULL, NULL };
    ck_assert_str_eq(smo_share_block(pool, &cfg, &page),
        "\n<nav class=\"smo-share\" aria-label=\"Share\">\n"
        "<a class=\"smo-share-link smo-share-facebook\" "
        "href=\"https://www.facebook.com/sharer/sharer.php?u=" E_URL "\" "
        "rel=\"nofollow noopener noreferrer\" target=\"_blank\" "
        "aria-label=\"Share on Facebook\">Facebook</a>\n"
        "<a class=\"smo-share-link smo-share-email\" "
        "href=\"mailto:?subject=" E_TITLE "&amp;body=" E_TEXT "\" "
        "rel=\"nofollow noopener noreferrer\" "
        "aria-label=\"Share on Email\">Email</a>\n"
        "</nav>\n");
}
END_TEST

START_TEST(test_block_track_clicks)
{
    smo_share_config cfg = { networks("x", "reddit"), 1, NULL, NULL, 0, NULL, NULL };
    const char *want =
        "\n<nav class=\"smo-share\" aria-label=\"Share\">\n"
        "<a class=\"smo-share-link smo-share-x\" "
        "href=\"/smo/click?n=x&amp;u=" E_URL "&amp;t=" E_TITLE "\" "
        "rel=\"nofollow noopener noreferrer\" target=\"_blank\" "
        "aria-label=\"Share on X\">X</a>\n"
        "<a class=\"smo-share-link smo-share-reddit\" "
        "href=\"/smo/click?n=reddit&amp;u=" E_URL "&amp;t=" E_TITLE "\" "
        "rel=\"nofollow noopener noreferrer\" target=\"_blank\" "
        "aria-label=\"Share on Reddit\">Reddit</a>\n"
        "</nav>\n";
    const char *block;

    ck_assert_str_eq(smo_share_block(pool, &cfg, &page), want);

    cfg.click_url = "/go/share";
    block = smo_share_block(pool, &cfg, &page);
    ck_assert_ptr_nonnull(strstr(block, "href=\"/go/share?n=x&amp;u=" E_URL
                                        "&amp;t=" E_TITLE "\""));
    ck_assert_ptr_null(strstr(block, "/smo/click"));
    /* Not the network's URL: nothing leaves before the handler logs it. */
    ck_assert_ptr_null(strstr(block, "x.com"));
}
END_TEST

/* SPEC 5: a tracked link only where the click handler will take it; a
 * network it does not know (or knows with another template) and a page
 * URL on a host it refuses get direct links. */
START_TEST(test_block_track_only_accepted)
{
    static const smo_network digg = {
        "digg", "https://digg.com/submit?url={url}", "Digg"
    };
    static const smo_network my_x = {
        "x", "https://share.example.org/?u={url}", "X"
    };
    apr_array_header_t *nets = networks("x", "reddit");
    apr_array_header_t *own = apr_array_make(pool, 1, sizeof(const char *));
    smo_click_config cc;
    smo_share_config cfg = { nets, 1, NULL, NULL, 0, &cc, NULL };
    smo_share_page off = page;
    const char *block;

    APR_ARRAY_PUSH(nets, const smo_network *) = &digg;
    APR_ARRAY_PUSH(own, const char *) = "example.com";
    memset(&cc, 0, sizeof cc);
    cc.networks = apr_array_make(pool, 1, sizeof(const smo_network *));
    cc.builtins = 1;
    cc.own_hosts = own;

    block = smo_share_block(pool, &cfg, &page);
    ck_assert_ptr_nonnull(strstr(block, "href=\"/smo/click?n=x&amp;u="
                                        E_URL "&amp;t=" E_TITLE "\""));
    ck_assert_ptr_nonnull(strstr(block, "href=\"/smo/click?n=reddit&amp;u="
                                        E_URL "&amp;t=" E_TITLE "\""));
    ck_assert_ptr_nonnull(strstr(block, "href=\"https://digg.com/submit?"
                                        "url=" E_URL "\""));
    ck_assert_ptr_null(strstr(block, "n=digg"));

    /* digg defined where the handler is: tracked too. */
    APR_ARRAY_PUSH((apr_array_header_t *)cc.networks, const smo_network *) =
        &digg;
    block = smo_share_block(pool, &cfg, &page);
    ck_assert_ptr_nonnull(strstr(block, "/smo/click?n=digg&amp;"));

    /* The page's x is not the handler's x. */
    APR_ARRAY_IDX(nets, 0, const smo_network *) = &my_x;
    block = smo_share_block(pool, &cfg, &page);
    ck_assert_ptr_null(strstr(block, "n=x&amp;"));
    ck_assert_ptr_nonnull(strstr(block, "href=\"https://share.example.org/"));

    /* A page URL on another host: every link direct. */
    off.url = "https://elsewhere.example/story";
    block = smo_share_block(pool, &cfg, &off);
    ck_assert_ptr_null(strstr(block, "/smo/click"));
    ck_assert_ptr_nonnull(strstr(block, "reddit.com"));
}
END_TEST

START_TEST(test_block_escaping)
{
    smo_network evil = { "evil", "https://example.com/?t={title}",
                         "<b>\"Evil\" & co</b>" };
    apr_array_header_t *nets = networks("x", NULL);
    smo_share_config cfg = { nets, 0, NULL, NULL, 0, NULL, NULL };
    smo_share_page p = page;
    const char *block, *inner;

    APR_ARRAY_PUSH(nets, const smo_network *) = &evil;
    p.title = "\"><script>alert(1)</script>";
    block = smo_share_block(pool, &cfg, &p);
    /* Inside the markup we wrote, no raw quote or '<' comes from values:
     * every '"' is one of our attribute delimiters. */
    ck_assert_ptr_null(strstr(block, "<script"));
    ck_assert_ptr_null(strstr(block, "<b>"));
    ck_assert_ptr_nonnull(strstr(block,
        "aria-label=\"Share on &lt;b&gt;&quot;Evil&quot; &amp; co&lt;/b&gt;\">"
        "&lt;b&gt;&quot;Evil&quot; &amp; co&lt;/b&gt;</a>"));
    /* Every '&' in an href is written &amp;. */
    for (inner = block; (inner = strstr(inner, "href=\"")) != NULL; inner++) {
        const char *end = strchr(inner + 6, '"');
        for (const char *c = inner + 6; c < end; c++)
            if (*c == '&')
                ck_assert_int_eq(strncmp(c, "&amp;", 5), 0);
    }
}
END_TEST

/* Parse `block` as XML inside a root element; the first <a>'s href and
 * text are returned so the caller can see what a browser would read. */
static xmlDocPtr parse_xml(const char *block)
{
    const char *doc = apr_pstrcat(pool, "<root>", block, "</root>", NULL);
    return xmlReadMemory(doc, (int)strlen(doc), "block.xml", "UTF-8",
                         XML_PARSE_NONET | XML_PARSE_NOERROR
                         | XML_PARSE_NOWARNING);
}

START_TEST(test_block_xhtml_well_formed)
{
    smo_network fr = { "partage", "https://example.com/?u={url}&t={text}",
                       "Partager \xE2\x9C\x93" };
    apr_array_header_t *nets = networks("pinterest", "email");
    smo_share_config cfg = { nets, 0, NULL, NULL, 1, NULL, NULL };
    xmlDocPtr doc;
    xmlNodePtr nav, a;
    xmlChar *href, *text;
    int n = 0;

    APR_ARRAY_PUSH(nets, const smo_network *) = &fr;
    doc = parse_xml(smo_share_block(pool, &cfg, &page));
    ck_assert_ptr_nonnull(doc);
    nav = xmlDocGetRootElement(doc)->children;
    while (nav && nav->type != XML_ELEMENT_NODE)
        nav = nav->next;
    ck_assert_ptr_nonnull(nav);
    ck_assert_str_eq((const char *)nav->name, "nav");
    for (a = nav->children; a; a = a->next) {
        if (a->type != XML_ELEMENT_NODE)
            continue;
        ck_assert_str_eq((const char *)a->name, "a");
        n++;
    }
    ck_assert_int_eq(n, 3);

    /* What the parser reads back is the share URL itself. */
    for (a = nav->children; a->type != XML_ELEMENT_NODE; a = a->next)
        ;
    href = xmlGetProp(a, (const xmlChar *)"href");
    ck_assert_str_eq((const char *)href,
                     share_url("pinterest"));
    xmlFree(href);
    for (a = nav->last; a->type != XML_ELEMENT_NODE; a = a->prev)
        ;
    text = xmlNodeGetContent(a);
    ck_assert_str_eq((const char *)text, "Partager \xE2\x9C\x93");
    xmlFree(text);
    xmlFreeDoc(doc);

    /* The same with tracking on. */
    cfg.track_clicks = 1;
    doc = parse_xml(smo_share_block(pool, &cfg, &page));
    ck_assert_ptr_nonnull(doc);
    xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_block_no_network)
{
    apr_array_header_t *nets = apr_array_make(pool, 1, sizeof(smo_network *));
    smo_share_config cfg = { nets, 0, NULL, NULL, 0, NULL, NULL };

    ck_assert_ptr_null(smo_share_block(pool, &cfg, &page));
    cfg.networks = NULL;
    ck_assert_ptr_null(smo_share_block(pool, &cfg, &page));
}
END_TEST

START_TEST(test_block_template)
{
    const char *tmpl =
        "<aside class=\"share\" data-url=\"{url}\">\n"
        "<style>.share a{margin:0 1ex}</style>\n"
        "<h2>Share \xE2\x80\x9C{title}\xE2\x80\x9D</h2>\n{links}\n</aside>\n";
    smo_share_config cfg = { networks("linkedin", "hackernews"), 0, NULL,
                             tmpl, 0, NULL, NULL };
    const char *got;

    ck_assert_ptr_null(smo_share_check_block_template(tmpl));
    got = smo_share_block(pool, &cfg, &page);
    ck_assert_str_eq(got,
        "<aside class=\"share\" data-url=\"https://example.com/caf%C3%A9?a=1"
        "&amp;b=2\">\n"
        "<style>.share a{margin:0 1ex}</style>\n"
        "<h2>Share \xE2\x80\x9C" "Caf&#xE9; &amp; &quot;Tea&quot;"
        "\xE2\x80\x9D</h2>\n"
        "<a class=\"smo-share-link smo-share-linkedin\" "
        "href=\"https://www.linkedin.com/sharing/share-offsite/?url=" E_URL
        "\" rel=\"nofollow noopener noreferrer\" target=\"_blank\" "
        "aria-label=\"Share on LinkedIn\">LinkedIn</a>\n"
        "<a class=\"smo-share-link smo-share-hackernews\" "
        "href=\"https://news.ycombinator.com/submitlink?u=" E_URL
        "&amp;t=" E_TITLE "\" rel=\"nofollow noopener noreferrer\" "
        "target=\"_blank\" aria-label=\"Share on Hacker News\">"
        "Hacker News</a>\n</aside>\n");
}
END_TEST

START_TEST(test_block_template_checks)
{
    ck_assert_ptr_null(smo_share_check_block_template("{links}"));
    ck_assert_ptr_null(smo_share_check_block_template(
        "<div>{title} {url}</div>{links}<style>p{x:y}</style>"));
    ck_assert_ptr_nonnull(smo_share_check_block_template(
        "<div>{title}</div>"));
    ck_assert_ptr_nonnull(smo_share_check_block_template(
        "{links}{description}"));
    ck_assert_ptr_nonnull(smo_share_check_block_template("{links}{text}"));
    ck_assert_ptr_nonnull(smo_share_check_block_template(""));
    ck_assert_ptr_nonnull(smo_share_check_block_template(NULL));
}
END_TEST

/* ---- SMOShareAt -------------------------------------------------------- */

static const smo_selector *at(const char *arg, smo_share_where want)
{
    smo_share_where where = (smo_share_where)-1;
    const smo_selector *sel = NULL;
    const char *err = smo_share_parse_at(pool, arg, &where, &sel);

    ck_assert_msg(err == NULL, "'%s' refused: %s", arg, err);
    ck_assert_int_eq(where, want);
    return sel;
}

static const char *at_error(const char *arg)
{
    smo_share_where where = SMO_SHARE_AT_BODY_END;
    const smo_selector *sel = NULL;
    const char *err = smo_share_parse_at(pool, arg, &where, &sel);

    ck_assert_msg(err != NULL, "'%s' accepted", arg);
    return err;
}

START_TEST(test_parse_at_forms)
{
    ck_assert_ptr_null(at("body-end", SMO_SHARE_AT_BODY_END));
    ck_assert_ptr_null(at("BODY-START", SMO_SHARE_AT_BODY_START));
    ck_assert_ptr_null(at("  Marker ", SMO_SHARE_AT_MARKER));
    ck_assert_ptr_nonnull(at("before nav", SMO_SHARE_AT_BEFORE));
    ck_assert_ptr_nonnull(at("Prepend #main", SMO_SHARE_AT_PREPEND));
    ck_assert_ptr_nonnull(at("append .post-body", SMO_SHARE_AT_APPEND));
    ck_assert_ptr_nonnull(at("AFTER   article#post-1 ", SMO_SHARE_AT_AFTER));
    ck_assert_ptr_nonnull(at("after nav.main", SMO_SHARE_AT_AFTER));
    ck_assert_ptr_nonnull(at("after [data-share]", SMO_SHARE_AT_AFTER));
    ck_assert_ptr_nonnull(at("after [role=main]", SMO_SHARE_AT_AFTER));
    ck_assert_ptr_nonnull(at("after [data-x=\"a b, c>d\"]",
                             SMO_SHARE_AT_AFTER));
    ck_assert_ptr_nonnull(at("after [data-x='']", SMO_SHARE_AT_AFTER));
    ck_assert_ptr_nonnull(at("after [ data-x = y ]", SMO_SHARE_AT_AFTER));
    ck_assert_ptr_nonnull(at("after my-element", SMO_SHARE_AT_AFTER));
}
END_TEST

START_TEST(test_parse_at_errors)
{
    ck_assert_ptr_nonnull(strstr(at_error("after div p"), "descendant"));
    ck_assert_ptr_nonnull(strstr(at_error("after div > p"), "combinator"));
    ck_assert_ptr_nonnull(strstr(at_error("after div+p"), "combinator"));
    ck_assert_ptr_nonnull(strstr(at_error("after a, b"), "list"));
    ck_assert_ptr_nonnull(strstr(at_error("after a:hover"), "pseudo"));
    ck_assert_ptr_nonnull(strstr(at_error("after *"), "universal"));
    ck_assert_ptr_nonnull(strstr(at_error("after div.a.b"), "one"));
    ck_assert_ptr_nonnull(strstr(at_error("after #a#b"), "one"));
    ck_assert_ptr_nonnull(strstr(at_error("after [href^=http]"),
                                 "[attr=value]"));
    ck_assert_ptr_nonnull(strstr(at_error("after [x=\"y]"), "unterminated"));
    ck_assert_ptr_nonnull(strstr(at_error("after [x"), "unterminated"));
    ck_assert_ptr_nonnull(strstr(at_error("after"), "needs a selector"));
    ck_assert_ptr_nonnull(strstr(at_error("before  "), "needs a selector"));
    ck_assert_ptr_nonnull(strstr(at_error("body-end div"), "no selector"));
    ck_assert_ptr_nonnull(strstr(at_error("marker x"), "no selector"));
    ck_assert_ptr_nonnull(strstr(at_error("inside div"), "unknown position"));
    ck_assert_ptr_nonnull(strstr(at_error(""), "unknown position"));
    at_error("after #");
    at_error("after .");
    at_error("after div[x]");
    at_error("after []");
    at_error("after [x=a b]");
    at_error("after 1div");
    at_error("after abcdefghijklmnopqrstuvwxyz0123456789");
}
END_TEST

/* ---- selector matching, on real tokens ---------------------------------- */

typedef struct {
    const smo_selector *sel;
    int index, first_match;
} match_ctx;

static int on_tag(void *ctx, const smo_token *t)
{
    match_ctx *m = ctx;

    if (t->type != SMO_TOKEN_START_TAG)
        return 0;
    if (m->first_match < 0 && smo_selector_match(pool, m->sel, t))
        m->first_match = m->index;
    m->index++;
    return 0;
}

/* The index of the first start tag of `html` that the selector of
 * "after SEL" matches, -1 for none. */
static int first_match(const char *sel, const char *html)
{
    match_ctx m = { NULL, 0, -1 };
    smo_tokenizer *t;

    m.sel = at(apr_pstrcat(pool, "after ", sel, NULL), SMO_SHARE_AT_AFTER);
    t = smo_tokenizer_create(pool, SMO_TAIL_LIMIT_DEFAULT, on_tag, &m);
    ck_assert_int_eq(smo_tokenizer_feed(t, html, strlen(html), 1), 0);
    return m.first_match;
}

START_TEST(test_match_tag)
{
    ck_assert_int_eq(first_match("nav", "<div><NAV class=x><nav>"), 1);
    ck_assert_int_eq(first_match("NAV", "<div><nav>"), 1);
    ck_assert_int_eq(first_match("na", "<nav>"), -1);
    ck_assert_int_eq(first_match("nav", "</nav><navigation>"), -1);
    ck_assert_int_eq(first_match("my-element", "<p><My-Element>"), 1);
}
END_TEST

START_TEST(test_match_id)
{
    ck_assert_int_eq(first_match("#main", "<div id=mainx><div ID=\"main\">"),
                     1);
    /* ids are case-sensitive */
    ck_assert_int_eq(first_match("#main", "<div id=Main>"), -1);
    ck_assert_int_eq(first_match("article#post",
                                 "<div id=post><article id='post'>"), 1);
    /* character references are decoded first */
    ck_assert_int_eq(first_match("#caf\xC3\xA9", "<p id=\"caf&eacute;\">"), 0);
    ck_assert_int_eq(first_match("#a-b", "<p id=\"a&#x2D;b\">"), 0);
    /* the first of duplicate attributes wins, as in the parser */
    ck_assert_int_eq(first_match("#two", "<p id=one id=two>"), -1);
}
END_TEST

START_TEST(test_match_class)
{
    ck_assert_int_eq(first_match(".b", "<p class=\"ab\"><p class=\"a  b\tc\">"),
                     1);
    ck_assert_int_eq(first_match(".b", "<p class=\"\nb\n\">"), 0);
    /* classes are case-sensitive */
    ck_assert_int_eq(first_match(".Post", "<p class=post>"), -1);
    ck_assert_int_eq(first_match("nav.main",
                                 "<div class=main><nav class=\"top main\">"),
                     1);
}
END_TEST

START_TEST(test_match_attr)
{
    ck_assert_int_eq(first_match("[data-share]",
                                 "<p data-sharex><p DATA-SHARE>"), 1);
    ck_assert_int_eq(first_match("[data-share]", "<p data-share=\"\">"), 0);
    ck_assert_int_eq(first_match("[role=main]",
                                 "<div role=\"navigation\"><div role=main>"),
                     1);
    ck_assert_int_eq(first_match("[role=main]", "<div role=Main>"), -1);
    ck_assert_int_eq(first_match("[data-x=\"a b\"]",
                                 "<p data-x='a b'>"), 0);
    ck_assert_int_eq(first_match("[data-x='A&B']",
                                 "<p data-x=\"A&amp;B\">"), 0);
    ck_assert_int_eq(first_match("[data-x=\"\"]", "<p data-x><p>"), 0);
    ck_assert_int_eq(first_match("[data-x]", "<p><p data-y>"), -1);
    /* in an attribute, "&amp=" is not a reference (legacy rule) */
    ck_assert_int_eq(first_match("[href='?a=1&amp=2']",
                                 "<a href='?a=1&amp=2'>"), 0);
}
END_TEST

START_TEST(test_match_truncated)
{
    smo_token t;
    const smo_selector *sel = at("after nav", SMO_SHARE_AT_AFTER);

    memset(&t, 0, sizeof t);
    t.type = SMO_TOKEN_START_TAG;
    strcpy(t.name, "nav");
    t.name_len = 3;
    t.raw = "<nav>";
    t.raw_len = 5;
    ck_assert(smo_selector_match(pool, sel, &t));
    t.raw = NULL;
    t.truncated = 1;
    ck_assert(!smo_selector_match(pool, sel, &t));
    /* an end tag is never a match */
    t.raw = "</nav>";
    t.raw_len = 6;
    t.truncated = 0;
    t.type = SMO_TOKEN_END_TAG;
    ck_assert(!smo_selector_match(pool, sel, &t));
}
END_TEST

START_TEST(test_match_long_tag_name)
{
    /* a name longer than the tokenizer keeps is never mistaken for a
     * selector matching its first 31 bytes */
    ck_assert_int_eq(first_match("abcdefghijklmnopqrstuvwxyz01234",
        "<abcdefghijklmnopqrstuvwxyz0123456789>"), -1);
    ck_assert_int_eq(first_match("abcdefghijklmnopqrstuvwxyz01234",
        "<abcdefghijklmnopqrstuvwxyz01234>"), 0);
}
END_TEST

/* ---- the marker -------------------------------------------------------- */

static int marker(const char *s)
{
    return smo_share_is_marker(s, strlen(s));
}

START_TEST(test_marker)
{
    ck_assert(marker("smo:share"));
    ck_assert(marker(" smo:share "));
    ck_assert(marker("\n\tsmo:share\r\n"));
    ck_assert(marker("SMO:Share"));
    ck_assert(!marker("smo:shares"));
    ck_assert(!marker("smo: share"));
    ck_assert(!marker("smo:share here"));
    ck_assert(!marker("xsmo:share"));
    ck_assert(!marker(""));
    ck_assert(!marker("   "));
    ck_assert(!smo_share_is_marker("smo:share", 8));
    ck_assert(!smo_share_is_marker(NULL, 0));
}
END_TEST

/* Every link's href in the block is the network's share URL, escaped:
 * the block encodes each page value once for all networks, and this
 * must not change a byte, whatever the values hold. */
START_TEST(test_block_hrefs_are_share_urls)
{
    static const char *const all[] = {
        "x", "facebook", "linkedin", "reddit", "whatsapp", "telegram",
        "bluesky", "threads", "mastodon", "hackernews", "pinterest",
        "tumblr", "email",
    };
    static const smo_share_page pages[] = {
        { "https://example.com/caf%C3%A9?a=1&b=2", "Caf\xC3\xA9 & \"Tea\"",
          "A <b>bold</b> caf\xC3\xA9", "https://example.com/img/tea.png" },
        { "https://example.com/", NULL, NULL, NULL },
        { NULL, "bad \xC3 utf-8 \xF0\x9F\x98\x80 'q' <x>", "\x01\x7F", "" },
        { "", "", "", "" },
    };
    apr_array_header_t *nets = apr_array_make(pool, 13, sizeof(void *));
    smo_share_config cfg;
    size_t i, k;

    for (i = 0; i < sizeof all / sizeof all[0]; i++)
        APR_ARRAY_PUSH(nets, const smo_network *) =
            smo_share_builtin(pool, all[i], NULL);
    memset(&cfg, 0, sizeof cfg);
    cfg.networks = nets;
    for (k = 0; k < sizeof pages / sizeof pages[0]; k++) {
        const char *block = smo_share_block(pool, &cfg, &pages[k]);
        const char *at = block;

        for (i = 0; i < sizeof all / sizeof all[0]; i++) {
            const smo_network *n = APR_ARRAY_IDX(nets, i, const smo_network *);
            const char *u = smo_share_url(pool, n, &pages[k]);
            const char *want = apr_pstrcat(
                pool, "href=\"", smo_escape_attr(pool, u, strlen(u)), "\"",
                NULL);

            at = strstr(at, want);
            ck_assert_msg(at != NULL, "page %d, %s: no %s", (int)k, all[i],
                          want);
            at += strlen(want);
        }
    }
}
END_TEST

START_TEST(test_controls_percent_encoded)
{
    /* Page text keeps its control characters (U+FFFD for a NUL comes
     * from decoding): in a URL they are percent-encoded, never raw. */
    static const smo_share_page ctl = {
        "https://example.com/a", "a\xEF\xBF\xBD" "b\x01" "c\x7F" "d\t",
        NULL, NULL,
    };
    apr_array_header_t *nets = apr_array_make(pool, 1, sizeof(smo_network *));
    smo_share_config sc = { nets, 0, NULL, NULL, 0, NULL, NULL };
    const char *u = smo_share_url(pool, smo_share_builtin(pool, "x", NULL),
                                  &ctl), *block;

    ck_assert_str_eq(u, "https://x.com/intent/tweet?text="
                        "a%EF%BF%BDb%01c%7Fd%09&url=https%3A%2F%2Fexample.com%2Fa");
    APR_ARRAY_PUSH(nets, const smo_network *) =
        smo_share_builtin(pool, "email", NULL);
    block = smo_share_block(pool, &sc, &ctl);
    ck_assert_ptr_nonnull(block);
    for (const char *c = block; *c; c++)
        ck_assert(*c == '\n' || ((unsigned char)*c >= 0x20 &&
                                  (unsigned char)*c < 0x7F));
}
END_TEST

START_TEST(test_share_urls_from_raw_canonical)
{
    /* SPEC 6 "Share URLs are URLs": the page's canonical as the engine
     * hands it over (smo_url_resolve() of the raw href), in the direct
     * and the tracked link alike; {url} decodes to a valid URL the click
     * handler accepts. */
    const char *url = smo_url_resolve(pool, "https://example.com/p",
                                      "http://www.example.com/News Feed/a.aspx");
    smo_share_page pg = { url, "News", NULL, NULL };
    apr_array_header_t *nets = apr_array_make(pool, 1, sizeof(smo_network *));
    smo_share_config sc = { nets, 1, NULL, NULL, 0, NULL, NULL };
    const char *block, *u;
    size_t n;

    ck_assert_str_eq(url, "http://www.example.com/News%20Feed/a.aspx");
    ck_assert_str_eq(smo_share_url(pool, smo_share_builtin(pool, "x", NULL),
                                   &pg),
                     "https://x.com/intent/tweet?text=News&url="
                     "http%3A%2F%2Fwww.example.com%2FNews%2520Feed%2Fa.aspx");
    APR_ARRAY_PUSH(nets, const smo_network *) =
        smo_share_builtin(pool, "x", NULL);
    block = smo_share_block(pool, &sc, &pg);
    ck_assert_ptr_nonnull(strstr(block, "href=\"/smo/click?n=x&amp;u="
        "http%3A%2F%2Fwww.example.com%2FNews%2520Feed%2Fa.aspx&amp;t=News\""));
    u = smo_percent_decode(pool, "http%3A%2F%2Fwww.example.com%2FNews%2520Feed"
                           "%2Fa.aspx", 53, &n);
    ck_assert_str_eq(u, url);
    ck_assert_str_eq(smo_url_host(pool, u, NULL), "www.example.com");
}
END_TEST

/* ---- SMOShareUTM and the tracked title (SPEC 7) ------------------------ */

START_TEST(test_utm_checks)
{
    static const char *const good[] = {
        SMO_SHARE_UTM_ON, "a=1", "utm_campaign=spring%202026&utm_source={network}",
        "x=", "a=b=c", "utm_content={network}-{network}", NULL
    };
    static const char *const bad[] = {
        "", "a", "=x", "a=1&", "&a=1", "a=1&&b=2", "a b=1", "a=\"x\"",
        "a=<b>", "a=1#f", "?a=1", "a=%zz", "a=50%", "a={url}", "a=}",
        "a=caf\xC3\xA9", "a=\t", "a=\\", NULL
    };
    char big[SMO_SHARE_MAX_UTM + 2];

    for (const char *const *g = good; *g; g++)
        ck_assert_msg(smo_share_check_utm(*g) == NULL, "refused: %s", *g);
    for (const char *const *b = bad; *b; b++)
        ck_assert_msg(smo_share_check_utm(*b) != NULL, "accepted: %s", *b);
    ck_assert_ptr_nonnull(smo_share_check_utm(NULL));
    memset(big, 'a', sizeof big - 1);
    big[0] = 'a'; big[1] = '=';
    big[sizeof big - 1] = '\0';
    ck_assert_ptr_nonnull(smo_share_check_utm(big));
    big[sizeof big - 2] = '\0';
    ck_assert_ptr_null(smo_share_check_utm(big));
}
END_TEST

START_TEST(test_utm_url)
{
    const char *on = SMO_SHARE_UTM_ON;

    /* The separator the query needs. */
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/p", on, "x"),
                     "https://e.com/p?utm_source=x&utm_medium=social");
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/p?id=7", on, "x"),
                     "https://e.com/p?id=7&utm_source=x&utm_medium=social");
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/p?", on, "x"),
                     "https://e.com/p?utm_source=x&utm_medium=social");
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/p?a=1&", on, "x"),
                     "https://e.com/p?a=1&utm_source=x&utm_medium=social");
    /* Before a fragment (a page's own canonical may carry one). */
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/p#top", on,
                                       "reddit"),
                     "https://e.com/p?utm_source=reddit&utm_medium=social#top");
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/p?a=1#q?r", on,
                                       "x"),
                     "https://e.com/p?a=1&utm_source=x&utm_medium=social#q?r");
    /* The name percent-encoded, each time it appears. */
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/",
                                       "s={network}&c={network}", "my net"),
                     "https://e.com/?s=my%20net&c=my%20net");
    /* Off. */
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/", NULL, "x"),
                     "https://e.com/");
    ck_assert_str_eq(smo_share_utm_url(pool, "https://e.com/", "", "x"),
                     "https://e.com/");
    ck_assert_ptr_null(smo_share_utm_url(pool, NULL, on, "x"));
}
END_TEST

#define E_UTM(net) "%3Futm_source%3D" net "%26utm_medium%3Dsocial"
#define E_PLAIN "https%3A%2F%2Fexample.com%2Fp"

/* Direct links share the URL with the parameters, each network its own;
 * {text} carries it too. */
START_TEST(test_block_utm_direct)
{
    smo_share_page pg = { "https://example.com/p", "Tea", NULL, NULL };
    smo_share_config cfg = { networks("x", "whatsapp"), 0, NULL, NULL, 0,
                             NULL, SMO_SHARE_UTM_ON };
    const char *block = smo_share_block(pool, &cfg, &pg);

    ck_assert_ptr_nonnull(strstr(block,
        "href=\"https://x.com/intent/tweet?text=Tea&amp;url=" E_PLAIN
        E_UTM("x") "\""));
    ck_assert_ptr_nonnull(strstr(block,
        "href=\"https://wa.me/?text=Tea%20" E_PLAIN E_UTM("whatsapp") "\""));
    /* The page values are not changed for the next block. */
    cfg.utm = NULL;
    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_null(strstr(block, "utm_"));
}
END_TEST

/* Tracked links carry the canonical URL and the title; the handler adds
 * the parameters, when its SMOShareUTM is the page's. */
START_TEST(test_block_utm_tracked)
{
    smo_share_page pg = { "https://example.com/p", "Tea", NULL, NULL };
    apr_array_header_t *own = apr_array_make(pool, 1, sizeof(const char *));
    smo_click_config cc;
    smo_share_config cfg = { networks("x", "reddit"), 1, NULL, NULL, 0, &cc,
                             SMO_SHARE_UTM_ON };
    const char *block;

    APR_ARRAY_PUSH(own, const char *) = "example.com";
    memset(&cc, 0, sizeof cc);
    cc.networks = apr_array_make(pool, 1, sizeof(const smo_network *));
    cc.builtins = 1;
    cc.own_hosts = own;
    cc.utm = SMO_SHARE_UTM_ON;
    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_nonnull(strstr(block,
        "href=\"/smo/click?n=x&amp;u=" E_PLAIN "&amp;t=Tea\""));
    ck_assert_ptr_null(strstr(block, "utm_"));
    ck_assert_ptr_null(smo_share_direct_reason(pool, &cfg, APR_ARRAY_IDX(
        cfg.networks, 0, const smo_network *), pg.url));

    /* The handler would share another URL: the links go direct. */
    cc.utm = "utm_source={network}";
    ck_assert_str_eq(smo_share_direct_reason(pool, &cfg, APR_ARRAY_IDX(
        cfg.networks, 0, const smo_network *), pg.url), "utm");
    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_null(strstr(block, "/smo/click"));
    ck_assert_ptr_nonnull(strstr(block, E_PLAIN E_UTM("reddit")));
    cc.utm = NULL;
    cfg.utm = NULL;
    ck_assert_ptr_null(smo_share_direct_reason(pool, &cfg, APR_ARRAY_IDX(
        cfg.networks, 0, const smo_network *), pg.url));
}
END_TEST

/* A title the handler would drop is not written into the tracked link,
 * nor one that would make the query too long; the link still works. */
START_TEST(test_block_tracked_title_left_out)
{
    smo_share_page pg = { "https://example.com/p", "a\x01" "b", NULL, NULL };
    smo_share_config cfg = { networks("x", "email"), 1, NULL, NULL, 0, NULL,
                             NULL };
    char *longer = apr_palloc(pool, 302), *url;
    const char *block;
    size_t n;

    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_nonnull(strstr(block, "u=" E_PLAIN "\""));
    ck_assert_ptr_null(strstr(block, "&amp;t="));

    memset(longer, 'a', 301);
    longer[301] = '\0';
    pg.title = longer;
    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_null(strstr(block, "&amp;t="));
    longer[300] = '\0';
    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_nonnull(strstr(block, "&amp;t=aaa"));

    /* A URL near the limit: the title would not fit. */
    n = SMO_CLICK_MAX_QUERY - 300;
    url = apr_palloc(pool, n + 1);
    memcpy(url, "https://example.com/", 20);
    memset(url + 20, 'p', n - 20);
    url[n] = '\0';
    pg.url = url;
    pg.title = "Tea";
    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_nonnull(strstr(block, "&amp;t=Tea"));
    pg.title = longer;
    block = smo_share_block(pool, &cfg, &pg);
    ck_assert_ptr_null(strstr(block, "&amp;t="));
    ck_assert_ptr_nonnull(strstr(block, "/smo/click?n=x&amp;u="));
}
END_TEST

static Suite *share_suite(void)
{
    Suite *s = suite_create("share");
    TCase *tc = tcase_create("share");

    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_test(tc, test_builtin_urls);
    tcase_add_test(tc, test_builtin_labels);
    tcase_add_test(tc, test_twitter_alias);
    tcase_add_test(tc, test_mastodon_instance);
    tcase_add_test(tc, test_text_without_title);
    tcase_add_test(tc, test_custom_network);
    tcase_add_test(tc, test_template_checks);
    tcase_add_test(tc, test_name_checks);
    tcase_add_test(tc, test_unknown_placeholder_at_run_time);
    tcase_add_test(tc, test_block_default_markup);
    tcase_add_test(tc, test_block_track_clicks);
    tcase_add_test(tc, test_block_track_only_accepted);
    tcase_add_test(tc, test_block_escaping);
    tcase_add_test(tc, test_block_xhtml_well_formed);
    tcase_add_test(tc, test_block_no_network);
    tcase_add_test(tc, test_block_template);
    tcase_add_test(tc, test_block_template_checks);
    tcase_add_test(tc, test_block_hrefs_are_share_urls);
    tcase_add_test(tc, test_parse_at_forms);
    tcase_add_test(tc, test_parse_at_errors);
    tcase_add_test(tc, test_match_tag);
    tcase_add_test(tc, test_match_id);
    tcase_add_test(tc, test_match_class);
    tcase_add_test(tc, test_match_attr);
    tcase_add_test(tc, test_match_truncated);
    tcase_add_test(tc, test_match_long_tag_name);
    tcase_add_test(tc, test_marker);
    tcase_add_test(tc, test_controls_percent_encoded);
    tcase_add_test(tc, test_share_urls_from_raw_canonical);
    tcase_add_test(tc, test_utm_checks);
    tcase_add_test(tc, test_utm_url);
    tcase_add_test(tc, test_block_utm_direct);
    tcase_add_test(tc, test_block_utm_tracked);
    tcase_add_test(tc, test_block_tracked_title_left_out);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { share_suite, 0, NULL };
