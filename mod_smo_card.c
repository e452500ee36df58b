/* mod_smo_card.c — SMOCard (SPEC 9): the card URL the metadata rules
 * write for a page without og:image, the key that signs it, and the
 * smo-card handler that renders a card once and serves it ever after.
 *
 * A card URL names its content and is signed (lib/cardsign.c), so the
 * handler needs no state to know a card is genuine, any server sharing
 * the key renders the same card for it, and no one can have it draw text
 * the site did not produce.  The key lives in the card directory
 * (SMOCardCache), written once by whichever server starts first; the
 * parent reads it before the children start, so they never need to.
 *
 * A card is looked for in this process's memory, then in the directory,
 * and only then rendered: under one lock per process, because Pango and
 * fontconfig objects must not be used by two threads at once, and
 * because rendering is CPU work a burst of crawlers should queue for.
 */

#include "mod_smo_private.h"

#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "unixd.h"

#include "apr_file_io.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"

#include <errno.h>
#include <unistd.h>

#include "smo_cardcache.h"
#include "smo_cardsign.h"
#ifdef HAVE_SMO_CARDS
#include "smo_card.h"
#endif

/* A kept card larger than this is not a card we wrote. */
#define CARD_FILE_MAX (4 * 1024 * 1024)
/* Key file: 32 random bytes, written as 64 hex digits. */
#define KEY_BYTES 32
#define KEY_FILE "card.key"

/* What one child process shares between its servers. */
typedef struct {
    smo_card_cache *memory;
    apr_thread_mutex_t *lock;        /* one render at a time */
#ifdef HAVE_SMO_CARDS
    smo_card_renderer *renderer;     /* made at the first render */
#endif
    apr_pool_t *pool;                /* the child's */
} card_process;

struct smo_card_state {
    smo_card_signer signer;          /* the key and the look */
    const char *dir;                 /* where cards are kept */
    const char *fingerprint;         /* of key and look, for plan keys */
#ifdef HAVE_SMO_CARDS
    smo_card_look look;
#endif
    card_process *proc;              /* set in child_init */
};

/* ------------------------------------------------------------------ */
/* Start-up: the directory, the key, the look                          */

static const char *read_key(apr_pool_t *p, const char *path,
                            const unsigned char **key, apr_size_t *len)
{
    apr_file_t *f;
    char buf[257];
    apr_size_t n = sizeof buf - 1;
    apr_status_t rv;

    rv = apr_file_open(&f, path, APR_READ | APR_BINARY, 0, p);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "cannot read %s: %pm", path, &rv);
    }
    rv = apr_file_read_full(f, buf, n, &n);
    apr_file_close(f);
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        return apr_psprintf(p, "cannot read %s: %pm", path, &rv);
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'
                     || buf[n - 1] == ' ')) {
        n--;
    }
    if (n < SMO_CARD_KEY_MIN) {
        return apr_psprintf(p, "%s holds %" APR_SIZE_T_FMT " bytes: a key "
                            "needs at least %d (delete it to have a new "
                            "one made)", path, n, SMO_CARD_KEY_MIN);
    }
    *key = apr_pmemdup(p, buf, n);
    *len = n;
    return NULL;
}

/* The key of `dir`: its key file, or a new one published with link(),
 * which fails if another server got there first (then theirs is read),
 * so that every server sharing the directory signs alike. */
static const char *dir_key(apr_pool_t *p, apr_pool_t *ptemp,
                           const char *dir, const unsigned char **key,
                           apr_size_t *len)
{
    const char *path = apr_pstrcat(p, dir, "/" KEY_FILE, NULL);
    unsigned char raw[KEY_BYTES];
    char hex[2 * KEY_BYTES + 2];
    char *tmp;
    apr_file_t *f;
    apr_status_t rv;
    apr_finfo_t fi;

    if (apr_stat(&fi, path, APR_FINFO_TYPE, ptemp) == APR_SUCCESS) {
        return read_key(p, path, key, len);
    }
    rv = apr_generate_random_bytes(raw, sizeof raw);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "no random bytes for a key: %pm", &rv);
    }
    for (int i = 0; i < KEY_BYTES; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    }
    hex[2 * KEY_BYTES] = '\n';
    hex[2 * KEY_BYTES + 1] = '\0';
    tmp = apr_pstrcat(ptemp, dir, "/." KEY_FILE ".XXXXXX", NULL);
    rv = apr_file_mktemp(&f, tmp, APR_CREATE | APR_WRITE | APR_EXCL
                         | APR_BINARY, ptemp);
    if (rv == APR_SUCCESS) {
        apr_size_t n = 2 * KEY_BYTES + 1;
        rv = apr_file_write_full(f, hex, n, &n);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(p, "cannot write a key in %s: %pm", dir, &rv);
    }
    if (link(tmp, path) != 0 && errno != EEXIST) {
        int e = errno;
        unlink(tmp);
        return apr_psprintf(p, "cannot write %s: %s", path, strerror(e));
    }
    unlink(tmp);
    return read_key(p, path, key, len);
}

/* The card directory, made if need be and given to the user the children
 * run as (they write the cards; the key file stays the parent's). */
static const char *make_dir(apr_pool_t *p, const char *dir)
{
    apr_status_t rv = apr_dir_make_recursive(
        dir, APR_FPROT_OS_DEFAULT, p);

    if (rv != APR_SUCCESS && !APR_STATUS_IS_EEXIST(rv)) {
        return apr_psprintf(p, "cannot create %s: %pm", dir, &rv);
    }
    if (geteuid() == 0 && chown(dir, ap_unixd_config.user_id, (gid_t)-1)) {
        return apr_psprintf(p, "cannot give %s to the server's user: %s",
                            dir, strerror(errno));
    }
    return NULL;
}

/* A file's identity in the look: a changed logo is a new look. */
static const char *file_id(apr_pool_t *p, const char *path)
{
    apr_finfo_t fi;

    if (path == NULL) {
        return "";
    }
    if (apr_stat(&fi, path, APR_FINFO_SIZE | APR_FINFO_MTIME, p)
        != APR_SUCCESS) {
        return path;
    }
    return apr_psprintf(p, "%s:%" APR_OFF_T_FMT ":%" APR_TIME_T_FMT, path,
                        fi.size, fi.mtime);
}

static smo_card_state *make_state(apr_pool_t *p, apr_pool_t *ptemp,
                                  server_rec *s, const smo_card_settings *cs,
                                  apr_hash_t *keys)
{
    smo_card_state *st = apr_pcalloc(p, sizeof(*st));
    const char *why;
    const unsigned char *key;
    apr_size_t len;
    smo_card_text none = { "", "", "" };

    st->dir = cs->dir ? cs->dir : ap_runtime_dir_relative(p, "smo-cards");
    key = apr_hash_get(keys, st->dir, APR_HASH_KEY_STRING);
    if (key) {
        len = strlen((const char *)key);
    } else {
        why = make_dir(ptemp, st->dir);
        if (why == NULL) {
            why = dir_key(p, ptemp, st->dir, &key, &len);
        }
        if (why) {
            ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                         "SMO: SMOCard: no cards for %s: %s",
                         s->server_hostname ? s->server_hostname : "",
                         why);
            return NULL;
        }
        apr_hash_set(keys, st->dir, APR_HASH_KEY_STRING,
                     apr_pstrmemdup(p, (const char *)key, len));
    }
    st->signer.key = key;
    st->signer.key_len = len;
#ifdef HAVE_SMO_CARDS
    smo_card_look_default(&st->look);
    if (cs->font) {
        st->look.font = cs->font;
    }
    if (cs->colors_set) {
        st->look.background = cs->colors[0];
        st->look.foreground = cs->colors[1];
        st->look.accent = cs->colors[2];
    }
    st->look.logo = cs->logo;
    st->look.image = cs->background;
#endif
    st->signer.look = apr_psprintf(
        p, "font=%s;colors=%d:%06lx,%06lx,%06lx;logo=%s;background=%s",
        cs->font ? cs->font : "", cs->colors_set, cs->colors[0],
        cs->colors[1], cs->colors[2], file_id(p, cs->logo),
        file_id(p, cs->background));
    st->fingerprint = smo_card_id(p, &st->signer, &none);
    return st;
}

int smo_card_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *keys = apr_hash_make(ptemp);
    server_rec *v;
    int used = 0;

    (void)plog;
    for (v = s; v; v = v->next) {
        smo_server_conf *sc = ap_get_module_config(v->module_config,
                                                   &smo_module);
        sc->cards = NULL;
        used |= sc->card_used;
    }
    /* SMOCard On in the main server's sections applies to every host. */
    for (v = s; used && v; v = v->next) {
        smo_server_conf *sc = ap_get_module_config(v->module_config,
                                                   &smo_module);
        sc->cards = make_state(pconf, ptemp, v, &sc->card, keys);
    }
    return OK;
}

void smo_card_child_init(apr_pool_t *pchild, server_rec *s)
{
    const smo_server_conf *main_sc = ap_get_module_config(s->module_config,
                                                          &smo_module);
    card_process *proc = NULL;
    server_rec *v;

    for (v = s; v; v = v->next) {
        smo_server_conf *sc = ap_get_module_config(v->module_config,
                                                   &smo_module);
        if (sc->cards == NULL) {
            continue;
        }
        if (proc == NULL) {
            proc = apr_pcalloc(pchild, sizeof(*proc));
            proc->pool = pchild;
            proc->memory = smo_card_cache_create(
                pchild, main_sc->card.memory_set ? main_sc->card.memory
                                                 : SMO_CARD_MEMORY_DEFAULT);
            if (proc->memory == NULL
                || apr_thread_mutex_create(&proc->lock,
                                           APR_THREAD_MUTEX_DEFAULT, pchild)
                   != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                             "SMO: SMOCard: no cards in this process: "
                             "cannot create its lock");
                proc = NULL;
                break;
            }
        }
        sc->cards->proc = proc;
    }
}

/* ------------------------------------------------------------------ */
/* The filter's side: a card URL for a page                            */

typedef struct {
    request_rec *r;
    const smo_card_state *st;
    const char *card_url;
    const char *host;
} page_card;

static const char *card_for_page(void *ctx, const char *title,
                                 const char *site)
{
    page_card *pc = ctx;
    smo_card_text txt;

    if (title == NULL || *title == '\0') {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, pc->r,
                      "SMO: no card for %s: the page has no title",
                      pc->r->uri);
        return NULL;
    }
    txt.title = smo_card_cut(pc->r->pool, title, SMO_CARD_TEXT_MAX);
    txt.site = smo_card_cut(pc->r->pool, site, SMO_CARD_SITE_MAX);
    txt.host = pc->host;
    if (*txt.title == '\0') {
        return NULL;
    }
    return smo_card_url(pc->r->pool, &pc->st->signer, pc->card_url, &txt);
}

int smo_card_settings_for(request_rec *r, const smo_dir_conf *conf,
                          smo_meta_config *mc)
{
    const smo_server_conf *sc = ap_get_module_config(r->server->module_config,
                                                     &smo_module);
    page_card *pc;
    apr_uri_t u;

    if (conf->card != 1 || sc->cards == NULL || sc->cards->proc == NULL) {
        return 0;
    }
    pc = apr_pcalloc(r->pool, sizeof(*pc));
    pc->r = r;
    pc->st = sc->cards;
    pc->card_url = conf->card_url ? conf->card_url : SMO_CARD_URL_DEFAULT;
    pc->host = "";
    /* The host the canonical URL names (SMOBaseURL's, else ServerName). */
    if (mc->page_url && apr_uri_parse(r->pool, mc->page_url, &u) == APR_SUCCESS
        && u.hostname) {
        pc->host = smo_card_cut(r->pool, u.hostname, SMO_CARD_SITE_MAX);
    }
    mc->card_url = card_for_page;
    mc->card_ctx = pc;
    mc->card_key = apr_pstrcat(r->pool, pc->st->fingerprint, " ",
                               pc->card_url, " ", pc->host, NULL);
    return 1;
}

/* ------------------------------------------------------------------ */
/* The handler                                                         */

/* The kept card `id` of the directory, or NULL. */
static const unsigned char *read_kept(request_rec *r, const char *path,
                                      apr_size_t *len)
{
    apr_file_t *f;
    apr_finfo_t fi;
    unsigned char *buf;
    apr_size_t n;

    if (apr_file_open(&f, path, APR_READ | APR_BINARY, 0, r->pool)
        != APR_SUCCESS) {
        return NULL;
    }
    if (apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS
        || fi.size < 8 || fi.size > CARD_FILE_MAX) {
        apr_file_close(f);
        return NULL;
    }
    n = (apr_size_t)fi.size;
    buf = apr_palloc(r->pool, n);
    if (apr_file_read_full(f, buf, n, &n) != APR_SUCCESS
        || memcmp(buf, "\x89PNG\r\n\x1a\n", 8) != 0) {
        apr_file_close(f);
        return NULL;
    }
    apr_file_close(f);
    *len = n;
    return buf;
}

/* Keep a rendered card: written to a temporary file, then renamed, so
 * that a reader (of any process or server) sees a whole card or none. */
static void keep(request_rec *r, const char *dir, const char *path,
                 const unsigned char *png, apr_size_t len)
{
    char *tmp = apr_pstrcat(r->pool, dir, "/.card.XXXXXX", NULL);
    apr_file_t *f;
    apr_status_t rv;

    rv = apr_file_mktemp(&f, tmp, APR_CREATE | APR_WRITE | APR_EXCL
                         | APR_BINARY, r->pool);
    if (rv == APR_SUCCESS) {
        apr_size_t n = len;
        rv = apr_file_write_full(f, png, n, &n);
        if (apr_file_close(f) != APR_SUCCESS && rv == APR_SUCCESS) {
            rv = APR_EGENERAL;
        }
        if (rv == APR_SUCCESS) {
            apr_file_perms_set(tmp, APR_FPROT_UREAD | APR_FPROT_UWRITE
                               | APR_FPROT_GREAD | APR_FPROT_WREAD);
            rv = apr_file_rename(tmp, path, r->pool);
        }
        if (rv != APR_SUCCESS) {
            apr_file_remove(tmp, r->pool);
        }
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, rv, r,
                      "SMO: card not kept in %s (it is rendered again by "
                      "each process that needs it)", dir);
    }
}

#ifdef HAVE_SMO_CARDS
/* Render the card, under the process's lock; NULL (logged) on failure. */
static const unsigned char *render(request_rec *r, const smo_card_state *st,
                                   const char *id, const smo_card_text *txt,
                                   apr_size_t *len, int *again)
{
    card_process *proc = st->proc;
    const unsigned char *png = NULL;
    smo_card_layout lay;
    const char *err = NULL;
    size_t n = 0;
    apr_time_t t0;

    apr_thread_mutex_lock(proc->lock);
    /* Another thread may have rendered it while this one waited. */
    if (smo_card_cache_get(proc->memory, id, r->pool, &png, &n)) {
        apr_thread_mutex_unlock(proc->lock);
        *len = n;
        *again = 1;
        return png;
    }
    t0 = apr_time_now();
    if (proc->renderer == NULL) {
        proc->renderer = smo_card_renderer_create(proc->pool);
    }
    if (proc->renderer == NULL) {
        err = "Pango and fontconfig could not be set up";
    } else {
        memset(&lay, 0, sizeof(lay));
        err = smo_card_render(proc->renderer, r->pool, &st->look, txt->title,
                              *txt->site ? txt->site : NULL,
                              *txt->host ? txt->host : NULL, &png, &n, &lay);
    }
    if (err == NULL) {
        smo_card_cache_put(proc->memory, id, png, n);
    }
    apr_thread_mutex_unlock(proc->lock);
    if (err) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "SMO: card %s not rendered: %s", id, err);
        return NULL;
    }
    if (lay.warning) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "SMO: card %s: %s",
                      id, lay.warning);
    }
    if (lay.unknown_glyphs) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: card %s: %d characters of its text are in no "
                      "installed font (install e.g. fonts-noto-core, "
                      "fonts-noto-cjk)", id, lay.unknown_glyphs);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "SMO: card %s rendered in %.1f ms (%" APR_SIZE_T_FMT
                  " bytes, %d lines at %.0f px%s)", id,
                  (double)(apr_time_now() - t0) / 1000.0, n, lay.lines,
                  lay.size, lay.ellipsized ? ", ellipsised" : "");
    *len = n;
    *again = 0;
    return png;
}
#endif

/* The card's bytes: from memory, from the directory, or rendered. */
static const unsigned char *card_bytes(request_rec *r,
                                       const smo_card_state *st,
                                       const char *id,
                                       const smo_card_text *txt,
                                       apr_size_t *len)
{
    const char *path = apr_pstrcat(r->pool, st->dir, "/", id, ".png", NULL);
    const unsigned char *png;
    size_t n;
    apr_time_t t0 = apr_time_now();
    int again = 0;

    if (smo_card_cache_get(st->proc->memory, id, r->pool, &png, &n)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "SMO: card %s served from memory", id);
        *len = n;
        return png;
    }
    png = read_kept(r, path, len);
    if (png) {
        smo_card_cache_put(st->proc->memory, id, png, *len);
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "SMO: card %s read from %s in %.1f ms", id, path,
                      (double)(apr_time_now() - t0) / 1000.0);
        return png;
    }
#ifdef HAVE_SMO_CARDS
    png = render(r, st, id, txt, len, &again);
    if (png && !again) {
        keep(r, st->dir, path, png, *len);
    }
    return png;
#else
    (void)txt;
    (void)again;
    (void)keep;
    return NULL;
#endif
}

int smo_card_handler(request_rec *r)
{
    const smo_server_conf *sc;
    smo_card_text txt;
    const char *why, *id;
    const unsigned char *png;
    apr_size_t len = 0;
    apr_bucket_brigade *bb;
    int rv;

    if (r->handler == NULL || strcmp(r->handler, SMO_CARD_HANDLER) != 0) {
        return DECLINED;
    }
    if (smo_handler_prologue(r, "card", &rv)) {
        return rv;
    }
    sc = ap_get_module_config(r->server->module_config, &smo_module);
    if (sc->cards == NULL || sc->cards->proc == NULL) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: card refused: no cards are made here (no "
                      "SMOCard On in the configuration, or the card "
                      "directory or key could not be set up: see the log "
                      "at start-up)");
        return smo_plain_answer(r, HTTP_NOT_FOUND, "No such card.");
    }
    /* The last segment of the path: r->path_info depends on what the
     * document root holds under SMOCardURL. */
    why = smo_card_verify(r->pool, &sc->cards->signer, strrchr(r->uri, '/'),
                          r->args, &txt, &id);
    if (why) {
        /* The reason only: the texts asked for are not logged. */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: card refused: %s", why);
        return smo_plain_answer(r, HTTP_FORBIDDEN,
                                "This is not a card this server made.");
    }

    /* The URL names the content: it never changes. */
    apr_table_setn(r->headers_out, "ETag",
                   apr_pstrcat(r->pool, "\"", id, "\"", NULL));
    apr_table_setn(r->headers_out, "Cache-Control",
                   "public, max-age=31536000, immutable");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    rv = ap_meets_conditions(r);
    if (rv != OK) {
        return rv;
    }
    png = card_bytes(r, sc->cards, id, &txt, &len);
    if (png == NULL) {
        apr_table_unset(r->headers_out, "ETag");
        apr_table_unset(r->headers_out, "Cache-Control");
#ifndef HAVE_SMO_CARDS
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: card %s is not kept and this mod_smo was built "
                      "without cards", id);
#endif
        return smo_plain_answer(r, HTTP_SERVICE_UNAVAILABLE,
                                "The card cannot be made now.");
    }
    ap_set_content_type(r, "image/png");
    ap_set_content_length(r, (apr_off_t)len);
    if (r->header_only) {
        return OK;
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_pool_create(
        (const char *)png, len, r->pool, r->connection->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(
        r->connection->bucket_alloc));
    return ap_pass_brigade_fchk(r, bb, "SMO: card %s not sent", id);
}
