/* test_click.c — unit tests for lib/click.c: which GET /smo/click requests
 * the click handler answers with a redirect to a share intent, which it
 * refuses, and with what reason (SPEC sections 5 and 6). */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_uri.h>

#include "../lib/smo_click.h"
#include "../lib/smo_escape.h"
#include "toolkit.h"

/* Networks with only {url} in their template, so the expected Location is
 * the template's prefix followed by the percent-encoded page URL. */
static const smo_network facebook = {
    "facebook", "https://www.facebook.com/sharer/sharer.php?u={url}",
    "Facebook"
};
static const smo_network x_net = {
    "x", "https://x.com/intent/tweet?url={url}", "X"
};
static const smo_network email = { "email", "mailto:?body={url}", "Email" };

#define FB_PREFIX "https://www.facebook.com/sharer/sharer.php?u="

static smo_click_config cfg;

static apr_array_header_t *strings(const char *const *v)
{
    apr_array_header_t *a = apr_array_make(pool, 8, sizeof(const char *));

    for (; *v; v++)
        APR_ARRAY_PUSH(a, const char *) = *v;
    return a;
}

static void setup(void)
{
    /* ServerName, two ServerAliases (one a wildcard), an IPv6 literal,
     * and an SMOBaseURL host written carelessly (case, trailing dot). */
    static const char *const own[] = {
        "www.example.com", "example.com", "*.example.info", "[2001:db8::1]",
        "Blog.Example.ORG.", NULL
    };
    static const char *const allow[] = { "partner.example.net", NULL };
    static const char *const strip[] = {
        "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
        "igshid", "_ga", NULL
    };
    apr_array_header_t *nets;

    tk_pool_setup();
    memset(&cfg, 0, sizeof cfg);
    nets = apr_array_make(pool, 4, sizeof(const smo_network *));
    APR_ARRAY_PUSH(nets, const smo_network *) = &facebook;
    APR_ARRAY_PUSH(nets, const smo_network *) = &x_net;
    APR_ARRAY_PUSH(nets, const smo_network *) = &email;
    cfg.networks = nets;
    cfg.own_hosts = strings(own);
    cfg.allow_hosts = strings(allow);
    cfg.strip_params = strings(strip);
}

/* The query a share link carries: u percent-encoded as a whole. */
static const char *query(const char *n, const char *u)
{
    return apr_pstrcat(pool, "n=", n, "&u=",
                       smo_percent_encode(pool, u, strlen(u)), NULL);
}

static void assert_refused(const char *args, const char *reason)
{
    smo_click_result res;
    const char *got;

    memset(&res, 0xA5, sizeof res);   /* nothing may be left unset */
    got = smo_click_check(pool, &cfg, args, &res);
    ck_assert_msg(got && strcmp(got, reason) == 0,
                  "query [%s]: expected %s, got %s", args ? args : "(null)",
                  reason, got ? got : "accepted");
    ck_assert_str_eq(res.reason, reason);
    ck_assert_ptr_null(res.network);
    ck_assert_ptr_null(res.url);
    ck_assert_ptr_null(res.location);
    ck_assert_ptr_nonnull(res.message);
    ck_assert_str_eq(res.message, smo_click_message(reason));
}

static smo_click_result assert_accepted(const char *args)
{
    smo_click_result res;
    const char *got;

    memset(&res, 0xA5, sizeof res);
    got = smo_click_check(pool, &cfg, args, &res);
    ck_assert_msg(got == NULL, "query [%s] refused: %s", args, got);
    ck_assert_ptr_null(res.reason);
    ck_assert_ptr_null(res.message);
    ck_assert_ptr_nonnull(res.network);
    ck_assert_ptr_nonnull(res.url);
    ck_assert_ptr_nonnull(res.location);
    return res;
}

/* ---- accepted ------------------------------------------------------------ */

static const struct {
    const char *u, *canonical;
} accepted[] = {
    /* ServerName, ServerAlias, SMOBaseURL host, SMOClickAllowHost */
    { "https://www.example.com/post/1", "https://www.example.com/post/1" },
    { "https://example.com/a?b=1", "https://example.com/a?b=1" },
    { "https://blog.example.org/x", "https://blog.example.org/x" },
    { "https://partner.example.net/p", "https://partner.example.net/p" },
    /* wildcard ServerAlias */
    { "https://a.b.example.info/", "https://a.b.example.info/" },
    /* trailing dot, case */
    { "https://www.example.com./p", "https://www.example.com/p" },
    { "HTTPS://WWW.Example.COM/Path", "https://www.example.com/Path" },
    { "https://BLOG.example.org./", "https://blog.example.org/" },
    /* default port dropped, others kept */
    { "https://www.example.com:443/p", "https://www.example.com/p" },
    { "http://www.example.com:80/p", "http://www.example.com/p" },
    { "http://www.example.com:/p", "http://www.example.com/p" },
    { "https://www.example.com:8443/p", "https://www.example.com:8443/p" },
    { "http://www.example.com:443/p", "http://www.example.com:443/p" },
    /* tracking parameters stripped, others kept in order, fragment kept */
    { "https://www.example.com/p?utm_source=tw&id=7&fbclid=x#top",
      "https://www.example.com/p?id=7#top" },
    { "https://www.example.com/p?utm_source=a&utm_medium=b",
      "https://www.example.com/p" },
    { "https://www.example.com/p?b=2&a=1", "https://www.example.com/p?b=2&a=1" },
    /* '+' is a literal '+' */
    { "https://www.example.com/s?q=a+b", "https://www.example.com/s?q=a+b" },
    /* a path of at least "/" */
    { "https://www.example.com", "https://www.example.com/" },
    /* escapes kept as written (only one round of decoding) */
    { "https://www.example.com/a%20b%0A", "https://www.example.com/a%20b%0A" },
    /* non-ASCII in the path is encoded */
    { "https://www.example.com/caf\xC3\xA9", "https://www.example.com/caf%C3%A9" },
    /* IPv6 own host */
    { "http://[2001:DB8::1]:80/x", "http://[2001:db8::1]/x" },
};

START_TEST(accept_table)
{
    smo_click_result res = assert_accepted(query("facebook",
                                                 accepted[_i].u));

    ck_assert_ptr_eq(res.network, &facebook);
    ck_assert_str_eq(res.url, accepted[_i].canonical);
    ck_assert_str_eq(res.location,
                     apr_pstrcat(pool, FB_PREFIX,
                                 smo_percent_encode(pool, res.url,
                                                    strlen(res.url)),
                                 NULL));
}
END_TEST

/* A hand-written link: u not encoded at all, extra parameters around. */
START_TEST(accept_raw_query)
{
    smo_click_result res = assert_accepted(
        "utm_source=x&n=facebook&u=https://www.example.com/a?b=1&ref=nav");

    ck_assert_str_eq(res.url, "https://www.example.com/a?b=1");
    ck_assert_str_eq(res.location,
                     FB_PREFIX "https%3A%2F%2Fwww.example.com%2Fa%3Fb%3D1");

    /* u before n, n in upper case, an empty segment */
    res = assert_accepted("u=https%3A%2F%2Fexample.com%2F&&n=FaceBook");
    ck_assert_ptr_eq(res.network, &facebook);
    ck_assert_str_eq(res.url, "https://example.com/");
}
END_TEST

START_TEST(accept_networks)
{
    smo_click_result res;

    res = assert_accepted(query("x", "https://www.example.com/"));
    ck_assert_ptr_eq(res.network, &x_net);
    ck_assert_str_eq(res.location, "https://x.com/intent/tweet?url="
                                   "https%3A%2F%2Fwww.example.com%2F");
    /* twitter is x */
    res = assert_accepted(query("twitter", "https://www.example.com/"));
    ck_assert_ptr_eq(res.network, &x_net);
    ck_assert_str_eq(res.location, "https://x.com/intent/tweet?url="
                                   "https%3A%2F%2Fwww.example.com%2F");
    res = assert_accepted(query("email", "https://www.example.com/?a=1"));
    ck_assert_ptr_eq(res.network, &email);
    ck_assert_str_eq(res.location,
                     "mailto:?body=https%3A%2F%2Fwww.example.com%2F%3Fa%3D1");
}
END_TEST

/* A network configured as twitter (SMONetwork twitter ...) is found by x. */
START_TEST(alias_other_way)
{
    static const smo_network tw = {
        "twitter", "https://tw.example/share?u={url}", "Twitter"
    };
    apr_array_header_t *nets = apr_array_make(pool, 1,
                                              sizeof(const smo_network *));
    smo_click_result res;

    APR_ARRAY_PUSH(nets, const smo_network *) = &tw;
    cfg.networks = nets;
    res = assert_accepted(query("x", "https://example.com/"));
    ck_assert_ptr_eq(res.network, &tw);
    ck_assert_str_eq(res.location,
                     "https://tw.example/share?u=https%3A%2F%2Fexample.com%2F");
    assert_refused(query("facebook", "https://example.com/"),
                   "unknown-network");
}
END_TEST

/* The built-in catalogue (lib/share.c): the Location is x.com's intent
 * with the canonical URL in its url parameter. */
START_TEST(builtin_network)
{
    const smo_network *x = smo_share_builtin(pool, "twitter", NULL);
    apr_array_header_t *nets = apr_array_make(pool, 1,
                                              sizeof(const smo_network *));
    smo_click_result res;

    ck_assert_ptr_nonnull(x);
    APR_ARRAY_PUSH(nets, const smo_network *) = x;
    cfg.networks = nets;
    res = assert_accepted(query("twitter",
                                "https://WWW.example.com:443/p?utm_medium=s"));
    ck_assert_ptr_eq(res.network, x);
    ck_assert_str_eq(res.url, "https://www.example.com/p");
    ck_assert_msg(strncmp(res.location, "https://x.com/", 14) == 0,
                  "Location %s", res.location);
    ck_assert_ptr_nonnull(strstr(res.location,
                                 "url=https%3A%2F%2Fwww.example.com%2Fp"));
}
END_TEST

/* Boundaries of the limits: exactly at the limit is fine. */
START_TEST(limits)
{
    char *u = apr_palloc(pool, SMO_CLICK_MAX_URL + 2);
    char *n = apr_palloc(pool, SMO_CLICK_MAX_NETWORK + 2);
    const char *prefix = "https://www.example.com/";
    smo_click_result res;

    memset(u, 'a', SMO_CLICK_MAX_URL + 1);
    memcpy(u, prefix, strlen(prefix));
    u[SMO_CLICK_MAX_URL] = '\0';
    res = assert_accepted(apr_pstrcat(pool, "n=x&u=", u, NULL));
    ck_assert_uint_eq(strlen(res.url), SMO_CLICK_MAX_URL);
    u[SMO_CLICK_MAX_URL] = 'a';
    u[SMO_CLICK_MAX_URL + 1] = '\0';
    assert_refused(apr_pstrcat(pool, "n=x&u=", u, NULL), "too-long");

    /* u is measured decoded: %61 is one byte */
    assert_accepted(apr_pstrcat(pool, "n=x&u=", prefix, "%61%61%61", NULL));

    memset(n, 'a', SMO_CLICK_MAX_NETWORK + 1);
    n[SMO_CLICK_MAX_NETWORK] = '\0';
    assert_refused(query(n, "https://www.example.com/"), "unknown-network");
    n[SMO_CLICK_MAX_NETWORK] = 'a';
    n[SMO_CLICK_MAX_NETWORK + 1] = '\0';
    assert_refused(query(n, "https://www.example.com/"), "too-long");
}
END_TEST

START_TEST(query_too_long)
{
    char *pad = apr_palloc(pool, SMO_CLICK_MAX_QUERY + 1);
    const char *ok = query("x", "https://www.example.com/");
    size_t room = SMO_CLICK_MAX_QUERY - strlen(ok) - strlen("&p=");

    memset(pad, 'z', room + 1);
    pad[room] = '\0';
    assert_accepted(apr_pstrcat(pool, ok, "&p=", pad, NULL));
    pad[room] = 'z';
    pad[room + 1] = '\0';
    assert_refused(apr_pstrcat(pool, ok, "&p=", pad, NULL), "too-long");
}
END_TEST

/* ---- refused ------------------------------------------------------------- */

/* Raw query strings, as they reach r->args. */
static const struct {
    const char *args, *reason;
} refused[] = {
    /* missing */
    { "", "missing-n" },
    { "&&", "missing-n" },
    { "u=https%3A%2F%2Fwww.example.com%2F", "missing-n" },
    { "n=&u=https%3A%2F%2Fwww.example.com%2F", "missing-n" },
    { "n&u=https%3A%2F%2Fwww.example.com%2F", "missing-n" },
    { "N=x&u=https%3A%2F%2Fwww.example.com%2F", "missing-n" },
    { "n=x", "missing-u" },
    { "n=x&u=", "missing-u" },
    { "n=x&u", "missing-u" },
    /* networks */
    { "n=myspace&u=https%3A%2F%2Fwww.example.com%2F", "unknown-network" },
    { "n=linkedin&u=https%3A%2F%2Fwww.example.com%2F", "unknown-network" },
    { "n=x%00&u=https%3A%2F%2Fwww.example.com%2F", "unknown-network" },
    { "n=x+&u=https%3A%2F%2Fwww.example.com%2F", "unknown-network" },
    /* foreign hosts */
    { "n=x&u=https%3A%2F%2Fevil.com%2F", "foreign-host" },
    { "n=x&u=https://evil.com/", "foreign-host" },
    { "n=x&u=https://www.example.com.evil.com/", "foreign-host" },
    { "n=x&u=https://evilexample.com/", "foreign-host" },
    { "n=x&u=https://example.info.evil.com/", "foreign-host" },
    { "n=x&u=https://example.info/", "foreign-host" },
    { "n=x&u=https://www.example.com..", "bad-host" }, /* an empty label */
    { "n=x&u=http://127.0.0.1/", "foreign-host" },
    { "n=x&u=http://[::1]/", "foreign-host" },
    /* IDN: punycode is ASCII and another host; raw UTF-8 is refused */
    { "n=x&u=https://xn--xample-hva.com/", "foreign-host" },
    { "n=x&u=https%3A%2F%2Fe%CC%81xample.com%2F", "bad-host" },
    { "n=x&u=https://www.ex%D0%B0mple.com/", "bad-host" },
    { "n=x&u=https://www.ex%25D0%25B0mple.com/", "bad-host" },
    /* schemes */
    { "n=x&u=javascript:alert(1)", "bad-scheme" },
    { "n=x&u=javascript%3Aalert(document.cookie)", "bad-scheme" },
    { "n=x&u=JavaScript://www.example.com/%250Aalert(1)", "bad-scheme" },
    { "n=x&u=data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
      "bad-scheme" },
    { "n=x&u=data%3Atext%2Fhtml%2C%3Cscript%3E", "bad-char" },
    { "n=x&u=%2F%2Fevil.com%2F", "bad-scheme" },
    { "n=x&u=//www.example.com/", "bad-scheme" },
    { "n=x&u=ftp://www.example.com/", "bad-scheme" },
    { "n=x&u=mailto:a@www.example.com", "bad-scheme" },
    { "n=x&u=/relative/path", "not-absolute" },
    { "n=x&u=relative", "not-absolute" },
    { "n=x&u=http:/www.example.com/", "not-absolute" },
    { "n=x&u=http:www.example.com", "not-absolute" },
    /* userinfo */
    { "n=x&u=https://www.example.com@evil.com/", "userinfo" },
    { "n=x&u=https%3A%2F%2Fwww.example.com%40evil.com%2F", "userinfo" },
    { "n=x&u=https://www.example.com%2540evil.com/", "userinfo" },
    { "n=x&u=https://user:pw@www.example.com/", "userinfo" },
    { "n=x&u=https://@www.example.com/", "userinfo" },
    /* characters parsers read differently */
    { "n=x&u=https://evil.com\\@www.example.com/", "bad-char" },
    { "n=x&u=https://evil.com%5C@www.example.com/", "bad-char" },
    { "n=x&u=https:%5C%5Cevil.com", "bad-char" },
    { "n=x&u=https://www.example.com/%0Aevil", "bad-char" },
    { "n=x&u=https://www.example.com/%0D%0ALocation:%20evil", "bad-char" },
    { "n=x&u=https://www.example.com/%00", "bad-char" },
    { "n=x&u=https://www.example.com/%09", "bad-char" },
    { "n=x&u=https://www.example.com/%7F", "bad-char" },
    { "n=x&u=https://www.example.com/a b", "bad-char" },
    { "n=x&u=https://www.example.com/a%20b", "bad-char" },
    { "n=x&u=https://www.example.com/%22onmouseover=", "bad-char" },
    { "n=x&u=https://www.example.com/%27", "bad-char" },
    { "n=x&u=https://www.example.com/%3Cscript%3E", "bad-char" },
    { "n=x&u=%20https://www.example.com/", "bad-char" },
    /* hosts and ports */
    { "n=x&u=https:///path", "bad-host" },
    { "n=x&u=https://www.example.com:99999/", "bad-host" },
    { "n=x&u=https://www.example.com:0/", "bad-host" },
    { "n=x&u=https://www.example.com:8x/", "bad-host" },
    { "n=x&u=https://www.exa%25mple.com/", "bad-host" },
    { "n=x&u=https://www.example.com:80:80/", "bad-host" },
    { "n=x&u=http://[2001:db8::1/", "bad-host" },
    { "n=x&u=https://www.example.com:-1/", "bad-host" },
    { "n=x&u=1https://www.example.com/", "not-absolute" },
    /* malformed escapes */
    { "n=x&u=%zz", "bad-encoding" },
    { "n=x&u=https://www.example.com/%", "bad-encoding" },
    { "n=x&u=https://www.example.com/%4", "bad-encoding" },
    { "n=x&u=https://www.example.com/%G1", "bad-encoding" },
    { "n=%7x&u=https://www.example.com/", "bad-encoding" },
    { "%zz=1&n=x&u=https://www.example.com/", "bad-encoding" },
    /* duplicates, however spelt */
    { "n=x&n=facebook&u=https://www.example.com/", "duplicate-param" },
    { "n=x&n=x&u=https://www.example.com/", "duplicate-param" },
    { "n=x&u=https://www.example.com/&u=https://evil.com/",
      "duplicate-param" },
    { "n=x&u=https://www.example.com/&%75=https://evil.com/",
      "duplicate-param" },
    { "n=x&%6E=x&u=https://www.example.com/", "duplicate-param" },
    { "n=x&u=&u=https://www.example.com/", "duplicate-param" },
};

START_TEST(refuse_table)
{
    assert_refused(refused[_i].args, refused[_i].reason);
}
END_TEST

START_TEST(refuse_null_query)
{
    assert_refused(NULL, "missing-n");
}
END_TEST

/* No network enabled: nothing is a click. */
START_TEST(refuse_no_networks)
{
    cfg.networks = NULL;
    assert_refused(query("x", "https://www.example.com/"), "unknown-network");
    cfg.networks = apr_array_make(pool, 1, sizeof(const smo_network *));
    assert_refused(query("x", "https://www.example.com/"), "unknown-network");
}
END_TEST

/* Only this server's hosts when no SMOClickAllowHost is set. */
START_TEST(refuse_without_allow_list)
{
    cfg.allow_hosts = NULL;
    assert_refused(query("x", "https://partner.example.net/p"),
                   "foreign-host");
    assert_accepted(query("x", "https://www.example.com/p"));
}
END_TEST

/* The 400 body is fixed text: it never echoes what the request held. */
START_TEST(messages)
{
    static const char *const reasons[] = {
        "missing-n", "missing-u", "unknown-network", "bad-encoding",
        "bad-char", "not-absolute", "bad-scheme", "userinfo", "bad-host",
        "foreign-host", "too-long", "duplicate-param",
    };
    const char *generic = smo_click_message(NULL);
    smo_click_result res;
    size_t i, j;

    ck_assert_ptr_nonnull(generic);
    ck_assert_str_eq(smo_click_message("no-such-reason"), generic);
    for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
        const char *m = smo_click_message(reasons[i]);

        ck_assert_str_ne(m, generic);
        for (j = 0; j < i; j++)
            ck_assert_str_ne(m, smo_click_message(reasons[j]));
        ck_assert_ptr_null(strpbrk(m, "<>&\"\r\n"));
    }
    smo_click_check(pool, &cfg, "n=x&u=https://evil.com/%3Cb%3E", &res);
    ck_assert_ptr_null(strstr(res.message, "evil"));
}
END_TEST

/* ---- property: anything accepted is an own-host http(s) URL -------------- */

static unsigned long rng_state;

static unsigned pick(unsigned n)
{
    rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
    return (unsigned)((rng_state >> 33) % n);
}

#define PICK(a) (a)[pick(sizeof(a) / sizeof((a)[0]))]

/* Hosts an accepted URL may have, canonical form. */
static int own_or_allowed(const char *h)
{
    static const char *const hosts[] = {
        "www.example.com", "example.com", "blog.example.org",
        "partner.example.net", "2001:db8::1",
    };
    size_t i, n = strlen(h);

    for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++)
        if (strcmp(h, hosts[i]) == 0)
            return 1;
    return n > 13 && strcmp(h + n - 13, ".example.info") == 0;
}

START_TEST(property_only_own_hosts)
{
    static const char *const schemes[] = {
        "https://", "http://", "HTTPS://", "javascript:", "data:", "//",
        "ftp://", "", "https:", "https:/", "https:\\\\", "http%3A%2F%2F",
    };
    static const char *const users[] = {
        "", "", "", "user@", "www.example.com@", "evil.com%40",
        "u:p@", "www.example.com%2540", "@",
    };
    static const char *const hosts[] = {
        "www.example.com", "WWW.EXAMPLE.COM.", "example.com", "evil.com",
        "www.example.com.evil.com", "evil.com\\www.example.com",
        "xn--exmple-cua.com", "ex\xC3\xA4mple.com", "[2001:db8::1]",
        "[::1]", "partner.example.net", "a.example.info", "example.info",
        "blog.example.org", "", "www.example.com%2F.evil.com",
        "evil.com%23.www.example.com", "evil.com?.www.example.com",
        "evil.com#www.example.com", "evil.com/www.example.com",
        "www.example.com%00.evil.com", "www%2Eexample%2Ecom",
    };
    static const char *const ports[] = {
        "", "", ":443", ":80", ":8080", ":", ":x", ":99999", ":0",
    };
    static const char *const paths[] = {
        "/", "", "/a/b", "/a b", "/%0A", "/\\evil.com", "/?utm_source=1",
        "/?a=1&b=2", "/p?q=a+b#f", "/caf\xC3\xA9", "/%zz", "/@evil.com",
        "/%2540", "//evil.com",
    };
    static const char *const nets[] = {
        "x", "twitter", "facebook", "email", "linkedin", "",
    };
    unsigned accepted_n = 0, refused_n = 0, i;

    rng_state = 20240611UL;
    for (i = 0; i < 20000; i++) {
        const char *u = apr_pstrcat(pool, PICK(schemes), PICK(users),
                                    PICK(hosts), PICK(ports), PICK(paths),
                                    NULL);
        const char *n = PICK(nets);
        const char *args;
        smo_click_result res;
        apr_uri_t parsed;
        const char *c;

        switch (pick(3)) {
        case 0:     /* as mod_smo writes its links */
            args = query(n, u);
            break;
        case 1:     /* as typed by hand */
            args = apr_pstrcat(pool, "n=", n, "&u=", u, NULL);
            break;
        default:    /* encoded twice */
            args = query(n, smo_percent_encode(pool, u, strlen(u)));
            break;
        }
        if (smo_click_check(pool, &cfg, args, &res) != NULL) {
            refused_n++;
            ck_assert_ptr_null(res.url);
            ck_assert_ptr_null(res.location);
            continue;
        }
        accepted_n++;
        ck_assert_int_eq(apr_uri_parse(pool, res.url, &parsed), APR_SUCCESS);
        ck_assert_msg(strcmp(parsed.scheme, "https") == 0
                          || strcmp(parsed.scheme, "http") == 0,
                      "%s accepted as %s", args, res.url);
        ck_assert_msg(parsed.hostname && own_or_allowed(parsed.hostname),
                      "%s accepted as %s", args, res.url);
        ck_assert_ptr_null(parsed.user);
        ck_assert_ptr_null(parsed.password);
        ck_assert_ptr_null(strchr(parsed.hostinfo, '@'));
        ck_assert_ptr_null(strstr(res.url, "utm_"));
        for (c = res.url; *c; c++) {
            unsigned char ch = (unsigned char)*c;

            ck_assert_msg(ch > 0x20 && ch < 0x7F && !strchr("\"'<>\\", ch),
                          "%s accepted as %s", args, res.url);
        }
        /* The Location is the chosen network's share URL for that URL,
         * and so never leads anywhere but to the network. */
        if (res.network == &facebook)
            ck_assert_str_eq(res.location,
                             apr_pstrcat(pool, FB_PREFIX,
                                         smo_percent_encode(
                                             pool, res.url, strlen(res.url)),
                                         NULL));
        else
            ck_assert_ptr_nonnull(res.network);
    }
    /* Both outcomes were exercised. */
    ck_assert_uint_gt(accepted_n, 100);
    ck_assert_uint_gt(refused_n, 500);
}
END_TEST

/* The handler knows the built-in networks when told so, after the ones
 * defined at its location (SPEC 5). */
START_TEST(builtins_known)
{
    smo_click_result res;

    assert_refused(query("reddit", "https://www.example.com/"),
                   "unknown-network");
    cfg.builtins = 1;
    ck_assert_ptr_null(smo_click_check(pool, &cfg,
                                       query("reddit", "https://www.example.com/"),
                                       &res));
    ck_assert_str_eq(res.network->name, "reddit");
    /* A defined network wins over the built-in one of that name. */
    ck_assert_ptr_null(smo_click_check(pool, &cfg,
                                       query("facebook", "https://www.example.com/"),
                                       &res));
    ck_assert_ptr_eq(res.network, &facebook);
    assert_refused(query("digg", "https://www.example.com/"),
                   "unknown-network");
}
END_TEST

/* What the filter asks before it writes a tracked link: the handler's
 * answer for that network and page URL. */
START_TEST(refuses_for_links)
{
    static const smo_network other_x = {
        "x", "https://share.example.org/?u={url}", "X"
    };
    const smo_network *reddit = smo_share_builtin(pool, "reddit", NULL);
    char *long_url = apr_palloc(pool, 1500);

    ck_assert_ptr_null(smo_click_refuses(pool, &cfg, &x_net,
                                         "https://www.example.com/a?b=c"));
    ck_assert_str_eq(smo_click_refuses(pool, &cfg, reddit,
                                       "https://www.example.com/"),
                     "unknown-network");
    cfg.builtins = 1;
    ck_assert_ptr_null(smo_click_refuses(pool, &cfg, reddit,
                                         "https://www.example.com/"));
    ck_assert_str_eq(smo_click_refuses(pool, &cfg, &other_x,
                                       "https://www.example.com/"),
                     "unknown-network");
    ck_assert_str_eq(smo_click_refuses(pool, &cfg, &x_net,
                                       "https://elsewhere.example/story"),
                     "foreign-host");
    ck_assert_ptr_null(smo_click_refuses(pool, &cfg, &x_net,
                                         "https://partner.example.net/p"));
    ck_assert_str_eq(smo_click_refuses(pool, &cfg, &x_net,
                                       "https://www.example.com/a b"),
                     "bad-char");
    ck_assert_str_eq(smo_click_refuses(pool, &cfg, &x_net, "/relative"),
                     "not-absolute");
    ck_assert_str_eq(smo_click_refuses(pool, &cfg, &x_net, NULL),
                     "missing-u");
    /* Short enough decoded, too long once encoded in the query. */
    memcpy(long_url, "https://www.example.com/", 24);
    memset(long_url + 24, '/', 1400);
    long_url[1424] = '\0';
    ck_assert_str_eq(smo_click_refuses(pool, &cfg, &x_net, long_url),
                     "too-long");
    long_url[600] = '\0';
    ck_assert_ptr_null(smo_click_refuses(pool, &cfg, &x_net, long_url));
}
END_TEST

/* ---- the title, t (SPEC 7) ------------------------------------------------ */

/* The built-in X network, whose intent takes {title} and {url}. */
static void use_builtin_x(void)
{
    apr_array_header_t *nets = apr_array_make(pool, 1,
                                              sizeof(const smo_network *));

    APR_ARRAY_PUSH(nets, const smo_network *) =
        smo_share_builtin(pool, "x", NULL);
    cfg.networks = nets;
}

#define PAGE "https://www.example.com/menu"
#define E_PAGE "https%3A%2F%2Fwww.example.com%2Fmenu"

/* A tracked X link for PAGE with t as given (raw, already encoded). */
static smo_click_result x_click(const char *t_raw)
{
    use_builtin_x();
    return assert_accepted(apr_pstrcat(pool, query("x", PAGE),
                                       t_raw ? "&t=" : "", t_raw, NULL));
}

START_TEST(title_carried)
{
    /* "Café & crème brûlée", as the filter writes it. */
    const char *title = "Caf\xC3\xA9 & cr\xC3\xA8me br\xC3\xBBl\xC3\xA9" "e";
    smo_click_result res = x_click(smo_percent_encode(pool, title,
                                                      strlen(title)));

    ck_assert_str_eq(res.location, "https://x.com/intent/tweet?text="
                     "Caf%C3%A9%20%26%20cr%C3%A8me%20br%C3%BBl%C3%A9e"
                     "&url=" E_PAGE);
    ck_assert_ptr_null(res.title_dropped);
    /* SMO_URL is the page, never the title. */
    ck_assert_str_eq(res.url, PAGE);
}
END_TEST

START_TEST(title_in_text)
{
    const smo_network *wa = smo_share_builtin(pool, "whatsapp", NULL);
    apr_array_header_t *nets = apr_array_make(pool, 1,
                                              sizeof(const smo_network *));
    smo_click_result res;

    APR_ARRAY_PUSH(nets, const smo_network *) = wa;
    cfg.networks = nets;
    res = assert_accepted(apr_pstrcat(pool, query("whatsapp", PAGE),
                                      "&t=Green%20tea", NULL));
    /* {text}: the title, a space, the URL. */
    ck_assert_str_eq(res.location,
                     "https://wa.me/?text=Green%20tea%20" E_PAGE);
    res = assert_accepted(query("whatsapp", PAGE));
    ck_assert_str_eq(res.location, "https://wa.me/?text=" E_PAGE);
}
END_TEST

START_TEST(title_optional)
{
    smo_click_result res = x_click(NULL);

    ck_assert_str_eq(res.location,
                     "https://x.com/intent/tweet?text=&url=" E_PAGE);
    ck_assert_ptr_null(res.title_dropped);
    res = x_click("");
    ck_assert_str_eq(res.location,
                     "https://x.com/intent/tweet?text=&url=" E_PAGE);
}
END_TEST

/* Every t the handler cannot use: the click still counts and redirects,
 * without the title, and nothing of t reaches the Location. */
static const struct {
    const char *t;
    const char *why;    /* a word of res.title_dropped */
} bad_titles[] = {
    { "a%00b", "control" },                 /* NUL */
    { "line%0D%0ASet-Cookie:%20x=1", "control" },
    { "tab%09here", "control" },
    { "del%7F", "control" },
    { "c1%C2%85", "control" },              /* U+0085 NEL */
    { "%FF%FE", "UTF-8" },                  /* not UTF-8 */
    { "%C3", "UTF-8" },                     /* truncated */
    { "%C0%AF", "UTF-8" },                  /* overlong '/' */
    { "%ED%A0%80", "UTF-8" },               /* a surrogate */
    { "50%", "%-escape" },                  /* malformed */
    { "%zz", "%-escape" },
};

START_TEST(title_dropped_table)
{
    smo_click_result res = x_click(bad_titles[_i].t);

    ck_assert_str_eq(res.location,
                     "https://x.com/intent/tweet?text=&url=" E_PAGE);
    ck_assert_ptr_nonnull(res.title_dropped);
    ck_assert_msg(strstr(res.title_dropped, bad_titles[_i].why) != NULL,
                  "t=%s: %s", bad_titles[_i].t, res.title_dropped);
}
END_TEST

START_TEST(title_twice)
{
    smo_click_result res;

    use_builtin_x();
    res = assert_accepted(apr_pstrcat(pool, query("x", PAGE),
                                      "&t=One&t=Two", NULL));
    ck_assert_str_eq(res.location,
                     "https://x.com/intent/tweet?text=&url=" E_PAGE);
    ck_assert_str_eq(res.title_dropped, "given twice");
}
END_TEST

/* Quotes, '<', '&', '=', '#' and '+' are text: encoded, never markup,
 * a header or a parameter of their own. */
START_TEST(title_encoded)
{
    smo_click_result res = x_click("%22Tea%22%20%3Cb%3E%26x%3D1%23y+z");

    ck_assert_str_eq(res.location, "https://x.com/intent/tweet?text="
                     "%22Tea%22%20%3Cb%3E%26x%3D1%23y%2Bz&url=" E_PAGE);
}
END_TEST

START_TEST(title_length)
{
    /* 300 characters is the most; they may be 2 bytes each. */
    char *t = apr_palloc(pool, 2 * 301 + 1);
    smo_click_result res;
    const char *enc;

    for (int i = 0; i < 300; i++)
        memcpy(t + 2 * i, "\xC3\xA9", 2);
    t[600] = '\0';
    enc = smo_percent_encode(pool, t, 600);
    res = x_click(enc);
    ck_assert_ptr_null(res.title_dropped);
    ck_assert_ptr_nonnull(strstr(res.location, "text=%C3%A9"));
    /* One character more (in ASCII, so that the query stays short). */
    memset(t, 'a', 301);
    t[301] = '\0';
    res = x_click(t);
    ck_assert_str_eq(res.title_dropped, "over 300 characters");
    ck_assert_str_eq(res.location,
                     "https://x.com/intent/tweet?text=&url=" E_PAGE);
}
END_TEST

/* A 10 KB t: dropped unread, the click redirects (Apache's own
 * LimitRequestLine, 8190 bytes by default, comes first in a server).  t
 * does not count against the query's limit, within a bound. */
START_TEST(title_huge)
{
    size_t n = 10 * 1024;
    char *t = apr_palloc(pool, n + 1);
    smo_click_result res;

    memset(t, 'a', n);
    t[n] = '\0';
    res = x_click(t);
    ck_assert_str_eq(res.title_dropped, "over 300 characters");
    ck_assert_str_eq(res.location,
                     "https://x.com/intent/tweet?text=&url=" E_PAGE);
    n = SMO_CLICK_MAX_WHOLE_QUERY;
    t = apr_palloc(pool, n + 1);
    memset(t, 'a', n);
    t[n] = '\0';
    assert_refused(apr_pstrcat(pool, query("x", PAGE), "&t=", t, NULL),
                   "too-long");
}
END_TEST

START_TEST(title_check)
{
    ck_assert_ptr_null(smo_click_title_check("", 0));
    ck_assert_ptr_null(smo_click_title_check("Tea", 3));
    ck_assert_ptr_null(smo_click_title_check("\xE2\x80\x94", 3));
    ck_assert_ptr_nonnull(smo_click_title_check("a\0b", 3));
    ck_assert_ptr_nonnull(smo_click_title_check("a\nb", 3));
    ck_assert_ptr_nonnull(smo_click_title_check("\xE2\x80", 2));
}
END_TEST

/* ---- SMOShareUTM at the handler (SPEC 7) ---------------------------------- */

START_TEST(utm_on_shared_url)
{
    smo_click_result res;

    use_builtin_x();
    cfg.utm = "utm_source={network}&utm_medium=social";
    /* The page's own utm_* go (SMOStripParams); the handler's come on. */
    res = assert_accepted(apr_pstrcat(pool,
        query("x", "https://www.example.com/menu?id=7&utm_source=old"),
        "&t=Menu", NULL));
    ck_assert_str_eq(res.url, "https://www.example.com/menu?id=7");
    ck_assert_str_eq(res.location, "https://x.com/intent/tweet?text=Menu&url="
                     "https%3A%2F%2Fwww.example.com%2Fmenu%3Fid%3D7"
                     "%26utm_source%3Dx%26utm_medium%3Dsocial");
    res = assert_accepted(query("x", PAGE));
    ck_assert_str_eq(res.url, PAGE);
    ck_assert_str_eq(res.location, "https://x.com/intent/tweet?text=&url="
                     E_PAGE "%3Futm_source%3Dx%26utm_medium%3Dsocial");
}
END_TEST

static Suite *click_suite(void)
{
    Suite *s = suite_create("click");
    TCase *tc;

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))
    tc = tcase_create("accept");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_loop_test(tc, accept_table, 0, N(accepted));
    tcase_add_test(tc, accept_raw_query);
    tcase_add_test(tc, accept_networks);
    tcase_add_test(tc, alias_other_way);
    tcase_add_test(tc, builtin_network);
    tcase_add_test(tc, builtins_known);
    tcase_add_test(tc, refuses_for_links);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, query_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("title");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_test(tc, title_carried);
    tcase_add_test(tc, title_in_text);
    tcase_add_test(tc, title_optional);
    tcase_add_loop_test(tc, title_dropped_table, 0, N(bad_titles));
    tcase_add_test(tc, title_twice);
    tcase_add_test(tc, title_encoded);
    tcase_add_test(tc, title_length);
    tcase_add_test(tc, title_huge);
    tcase_add_test(tc, title_check);
    tcase_add_test(tc, utm_on_shared_url);
    suite_add_tcase(s, tc);

    tc = tcase_create("refuse");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_add_loop_test(tc, refuse_table, 0, N(refused));
    tcase_add_test(tc, refuse_null_query);
    tcase_add_test(tc, refuse_no_networks);
    tcase_add_test(tc, refuse_without_allow_list);
    tcase_add_test(tc, messages);
    suite_add_tcase(s, tc);

    tc = tcase_create("property");
    tcase_add_checked_fixture(tc, setup, tk_pool_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, property_only_own_hosts);
    suite_add_tcase(s, tc);
#undef N
    return s;
}

const tk_program tk_tests = { click_suite, 0, NULL };
