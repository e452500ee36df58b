/* test_confcheck.c — unit tests for lib/confcheck.c: the values of
 * SMOHeadLimit, SMOMeta's property name and SMOClickAllowHost that
 * configtest accepts or refuses, and the charset read from a
 * Content-Type. */
#include <stdint.h>
#include <string.h>

#include <check.h>
#include <apr_pools.h>

#include "../lib/smo_confcheck.h"
#include "toolkit.h"

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The bound the glue gives SMOHeadLimit: 1024M. */
#define HEAD_MAX ((uint64_t)1024 * 1024 * 1024)

/* ---- smo_parse_size ----------------------------------------------------- */

static const struct {
    const char *in;
    uint64_t max;
    smo_size_status st;
    uint64_t out;
} size_cases[] = {
    { "0", HEAD_MAX, SMO_SIZE_OK, 0 },
    { "1", HEAD_MAX, SMO_SIZE_OK, 1 },
    { "007", HEAD_MAX, SMO_SIZE_OK, 7 },
    { "262144", HEAD_MAX, SMO_SIZE_OK, 262144 },
    { "256K", HEAD_MAX, SMO_SIZE_OK, 262144 },
    { "256k", HEAD_MAX, SMO_SIZE_OK, 262144 },
    { "0K", HEAD_MAX, SMO_SIZE_OK, 0 },
    { "1M", HEAD_MAX, SMO_SIZE_OK, 1048576 },
    { "1m", HEAD_MAX, SMO_SIZE_OK, 1048576 },
    /* The bound itself is allowed, in any unit. */
    { "1024M", HEAD_MAX, SMO_SIZE_OK, HEAD_MAX },
    { "1048576K", HEAD_MAX, SMO_SIZE_OK, HEAD_MAX },
    { "1073741824", HEAD_MAX, SMO_SIZE_OK, HEAD_MAX },
    /* One past it is not. */
    { "1025M", HEAD_MAX, SMO_SIZE_TOO_LARGE, 0 },
    { "1048577K", HEAD_MAX, SMO_SIZE_TOO_LARGE, 0 },
    { "1073741825", HEAD_MAX, SMO_SIZE_TOO_LARGE, 0 },
    /* Not sizes. */
    { "", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "K", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "M", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "-1", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "+1", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { " 1", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "1 ", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "1 K", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "1KB", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "1KK", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "1G", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "1.5M", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "0x10", HEAD_MAX, SMO_SIZE_BAD, 0 },
    { "12a", HEAD_MAX, SMO_SIZE_BAD, 0 },
    /* Too many digits for 64 bits: too large, even with junk after. */
    { "18446744073709551616", UINT64_MAX, SMO_SIZE_TOO_LARGE, 0 },
    { "99999999999999999999999x", HEAD_MAX, SMO_SIZE_TOO_LARGE, 0 },
    { "18446744073709551609", UINT64_MAX, SMO_SIZE_OK,
      UINT64_C(18446744073709551609) },
    /* A unit that would overflow the product is refused, not wrapped. */
    { "17592186044416M", UINT64_MAX, SMO_SIZE_TOO_LARGE, 0 },
    { "17592186044415M", UINT64_MAX, SMO_SIZE_OK,
      UINT64_C(17592186044415) * 1024 * 1024 },
    /* A smaller bound. */
    { "1000", 1000, SMO_SIZE_OK, 1000 },
    { "1001", 1000, SMO_SIZE_TOO_LARGE, 0 },
    { "1K", 1000, SMO_SIZE_TOO_LARGE, 0 },
    { "0M", 0, SMO_SIZE_OK, 0 },
};

START_TEST(size_table)
{
    uint64_t out = 42;
    smo_size_status st = smo_parse_size(size_cases[_i].in, size_cases[_i].max,
                                        &out);

    ck_assert_msg(st == size_cases[_i].st, "'%s': status %d, expected %d",
                  size_cases[_i].in, (int)st, (int)size_cases[_i].st);
    if (st == SMO_SIZE_OK) {
        ck_assert_msg(out == size_cases[_i].out, "'%s': %llu, expected %llu",
                      size_cases[_i].in, (unsigned long long)out,
                      (unsigned long long)size_cases[_i].out);
    }
    else {
        /* A refused value leaves the output alone. */
        ck_assert_msg(out == 42, "'%s': output changed", size_cases[_i].in);
    }
}
END_TEST

/* ---- smo_check_meta_name ------------------------------------------------ */

static const char *const meta_ok[] = {
    "og:image", "og:image:width", "twitter:site", "article:author",
    "description", "a", "OG:Title", "x-custom_name.1", "fb:app_id",
};

START_TEST(meta_accepts)
{
    const char *why = smo_check_meta_name(meta_ok[_i]);

    ck_assert_msg(why == NULL, "'%s' refused: %s", meta_ok[_i], why);
}
END_TEST

static const struct {
    const char *in, *reason_has;
} meta_bad[] = {
    { "", "empty" },
    { "og image", "whitespace" },
    { "og:image\t", "whitespace" },
    { "\nog:image", "whitespace" },
    { "og:\x01image", "control" },
    { "og:image\x7f", "control" },
    { "og:\"image", "quote" },
    { "it's", "quote" },
    { "`x`", "quote" },
    { "<meta", "'<'" },
    { "a>b", "'>'" },
    { "og:image=x", "'='" },
};

START_TEST(meta_refuses)
{
    const char *why = smo_check_meta_name(meta_bad[_i].in);

    ck_assert_msg(why != NULL, "'%s' accepted", meta_bad[_i].in);
    ck_assert_msg(strstr(why, meta_bad[_i].reason_has) != NULL,
                  "'%s': reason \"%s\" lacks \"%s\"", meta_bad[_i].in, why,
                  meta_bad[_i].reason_has);
}
END_TEST

/* ---- smo_check_host ----------------------------------------------------- */

static const char *const host_ok[] = {
    "example.com", "www.example.com", "EXAMPLE.COM", "localhost",
    "a-b.example", "my_host", "example.com.", "*.example.com",
    "exa?ple.com", "*", "192.0.2.1", "[::1]", "[2001:db8::1]",
    "[::ffff:192.0.2.1]", "[FE80::1]",
};

START_TEST(host_accepts)
{
    const char *why = smo_check_host(host_ok[_i]);

    ck_assert_msg(why == NULL, "'%s' refused: %s", host_ok[_i], why);
}
END_TEST

static const struct {
    const char *in, *reason_has;
} host_bad[] = {
    { "", "empty" },
    { ".example.com", "starts with" },
    { "-example.com", "starts with" },
    { "a..b", "empty label" },
    { "example..com", "empty label" },
    { "http://example.com", "not a host name" },
    { "example.com:8080", "not a host name" },
    { "example.com/path", "not a host name" },
    { "user@example.com", "not a host name" },
    { "exam ple.com", "not a host name" },
    { "::1", "not a host name" },
    { "[::1", "IPv6" },
    { "[::1]:80", "IPv6" },
    { "[]", "IPv6" },
    { "[:]", "IPv6" },
    { "[::g]", "IPv6" },
    { "[example.com]", "IPv6" },
};

START_TEST(host_refuses)
{
    const char *why = smo_check_host(host_bad[_i].in);

    ck_assert_msg(why != NULL, "'%s' accepted", host_bad[_i].in);
    ck_assert_msg(strstr(why, host_bad[_i].reason_has) != NULL,
                  "'%s': reason \"%s\" lacks \"%s\"", host_bad[_i].in, why,
                  host_bad[_i].reason_has);
}
END_TEST

/* A name of 253 bytes and a trailing dot is the longest; one more is
 * refused for its length before anything else. */
START_TEST(host_length)
{
    char name[300];
    const char *why;

    memset(name, 'a', sizeof(name));
    name[254] = '\0';
    ck_assert_ptr_null(smo_check_host(name));
    name[254] = 'a';
    name[255] = '\0';
    why = smo_check_host(name);
    ck_assert_ptr_nonnull(why);
    ck_assert_ptr_nonnull(strstr(why, "too long"));
    name[0] = '.';
    ck_assert_ptr_nonnull(strstr(smo_check_host(name), "too long"));
}
END_TEST

/* ---- smo_content_type_charset ------------------------------------------- */

static const struct {
    const char *in, *out;
} ct_cases[] = {
    { "text/html; charset=utf-8", "utf-8" },
    { "text/html;charset=UTF-8", "UTF-8" },         /* case kept */
    { "text/html; CharSet=ISO-8859-1", "ISO-8859-1" },
    { "text/html; CHARSET=koi8-r", "koi8-r" },
    { "text/html; charset=\"utf-8\"", "utf-8" },
    { "text/html; charset=\"a b\"", "a b" },
    { "text/html; charset=\"utf-8", "utf-8" },      /* unclosed quote */
    { "text/html; charset = utf-8", "utf-8" },
    { "text/html;\tcharset=windows-1252\t", "windows-1252" },
    { "text/html; charset=utf-8; foo=bar", "utf-8" },
    { "text/html; charset=utf-8 ; x", "utf-8" },
    { "text/html; foo=bar; charset=shift_jis", "shift_jis" },
    { "text/html; foo=\"a;charset=x\"; charset=y", "y" },
    { "text/html; charset; charset=euc-jp", "euc-jp" },
    { "text/html; charset=a; charset=b", "a" },     /* the first */
    { "application/xhtml+xml; charset=utf-8", "utf-8" },
    /* None. */
    { "text/html", NULL },
    { "", NULL },
    { "text/html;", NULL },
    { "text/html; charset=", NULL },
    { "text/html; charset=\"\"", NULL },
    { "text/html; charset", NULL },
    { "text/html; charsets=utf-8", NULL },
    { "text/html; xcharset=utf-8", NULL },
    { "text/html; level=1", NULL },
    { "charset=utf-8", NULL },                      /* not a parameter */
};

START_TEST(ct_table)
{
    const char *got = smo_content_type_charset(pool, ct_cases[_i].in);

    ck_assert_msg(ct_cases[_i].out ? got && strcmp(got, ct_cases[_i].out) == 0
                                   : got == NULL,
                  "'%s': got %s, expected %s", ct_cases[_i].in,
                  got ? got : "NULL",
                  ct_cases[_i].out ? ct_cases[_i].out : "NULL");
}
END_TEST

START_TEST(ct_null)
{
    ck_assert_ptr_null(smo_content_type_charset(pool, NULL));
}
END_TEST

/* The value is a copy: it outlives the header it was read from. */
START_TEST(ct_copy)
{
    char ct[] = "text/html; charset=utf-8";
    const char *got = smo_content_type_charset(pool, ct);

    memset(ct, 'x', sizeof(ct) - 1);
    ck_assert_str_eq(got, "utf-8");
}
END_TEST

/* ---- SMOCardColors ------------------------------------------------------ */

START_TEST(colors)
{
    static const char *const bad[] = {
        "", "#", "0b1f33", "#0b1f3", "#0b1f334", "#0b1g33", "# b1f33",
        "#0b1f33 ", "red", "rgb(1,2,3)",
    };
    unsigned long v = 7;

    ck_assert_int_eq(smo_parse_color("#0b1f33", &v), 0);
    ck_assert_uint_eq(v, 0x0b1f33);
    ck_assert_int_eq(smo_parse_color("#FFFFFF", &v), 0);
    ck_assert_uint_eq(v, 0xffffff);
    ck_assert_int_eq(smo_parse_color("#F2a541", &v), 0);
    ck_assert_uint_eq(v, 0xf2a541);
    for (size_t i = 0; i < N(bad); i++) {
        v = 7;
        ck_assert_msg(smo_parse_color(bad[i], &v) == -1, "accepted '%s'", bad[i]);
        ck_assert_uint_eq(v, 7);
    }
}
END_TEST

static Suite *confcheck_suite(void)
{
    Suite *s = suite_create("confcheck");
    TCase *tc;

    tc = tcase_create("size");
    tcase_add_loop_test(tc, size_table, 0, N(size_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("meta_name");
    tcase_add_loop_test(tc, meta_accepts, 0, N(meta_ok));
    tcase_add_loop_test(tc, meta_refuses, 0, N(meta_bad));
    suite_add_tcase(s, tc);

    tc = tcase_create("host");
    tcase_add_loop_test(tc, host_accepts, 0, N(host_ok));
    tcase_add_loop_test(tc, host_refuses, 0, N(host_bad));
    tcase_add_test(tc, host_length);
    suite_add_tcase(s, tc);

    tc = tcase_create("charset");
    tcase_add_checked_fixture(tc, tk_pool_setup, tk_pool_teardown);
    tcase_add_loop_test(tc, ct_table, 0, N(ct_cases));
    tcase_add_test(tc, ct_null);
    tcase_add_test(tc, ct_copy);
    suite_add_tcase(s, tc);

    tc = tcase_create("color");
    tcase_add_test(tc, colors);
    suite_add_tcase(s, tc);
    return s;
}

const tk_program tk_tests = { confcheck_suite, 0, NULL };
