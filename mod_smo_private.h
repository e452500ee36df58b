/* mod_smo_private.h — what the files of mod_smo's Apache glue share: the
 * configuration structs, the module's logging, the names and limits used
 * by more than one file, and the functions one file calls in another.
 * Nothing here is exported from mod_smo.so but smo_module itself.
 *
 * The files, one concern each:
 *   mod_smo.c          module record, hooks, the decision to filter
 *   mod_smo_config.c   create/merge, the directive table and parsers
 *   mod_smo_settings.c the engine's settings for one request
 *   mod_smo_filter.c   the output filter: context, sink, buckets
 *   mod_smo_plan.c     SMOPlanCache: plan key, keep, replay
 *   mod_smo_etag.c     the filtered ETag and conditional requests
 *   mod_smo_click.c    the smo-click handler
 *   mod_smo_image.c    SMOImageInfo: the og:image's size and type
 *   mod_smo_card.c     SMOCard: card URLs, the key, the smo-card handler
 *   mod_smo_inspect.c  the smo-inspect handler and its subrequests
 */
#ifndef MOD_SMO_PRIVATE_H
#define MOD_SMO_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_filter.h"

#include "ap_expr.h"

#include "apr_buckets.h"
#include "apr_tables.h"

#include "smo_click.h"
#include "smo_engine.h"
#include "smo_plan.h"
#include "smo_share.h"

/* Per-module logging (LogLevel smo:debug) in every file of the glue; it
 * also declares smo_module. */
APLOG_USE_MODULE(smo);

#define SMO_UNSET (-1)
#define SMO_HEAD_LIMIT_DEFAULT ((apr_off_t)256 * 1024)

/* The plan cache: plans per child process, and the most one may take
 * (key, edits and inserted markup; the markup is 1-2 KiB as a rule). */
#define SMO_PLAN_CACHE_ENTRIES 256
#define SMO_PLAN_MAX (16 * 1024)

/* The image facts cache (SMOImageInfo): files per child process. */
#define SMO_IMAGE_CACHE_ENTRIES 256

/* Built-in defaults applied where the values are used. */
#define SMO_CLICK_URL_DEFAULT "/smo/click"
#define SMO_CLICK_HANDLER "smo-click"
#define SMO_CARD_URL_DEFAULT "/smo/card"
#define SMO_CARD_HANDLER "smo-card"
#define SMO_INSPECT_HANDLER "smo-inspect"
/* Rendered cards kept per child process by default (SMOCardCache). */
#define SMO_CARD_MEMORY_DEFAULT ((apr_size_t)8 * 1024 * 1024)

/* Set on r->notes by the SMO filter that rewrites the response, so that
 * a second instance (e.g. SMOEngine On plus AddOutputFilterByType SMO,
 * which mod_filter runs under its own name) steps aside. */
#define SMO_ACTIVE_NOTE "smo-active"

/* One SMOMeta line: the property name and its value, an ap_expr string
 * parsed once at configuration time and evaluated for each request; NULL
 * for an empty value, which writes nothing for that name and stops
 * SMOAutoMeta deriving it (how an inner section turns an inherited
 * property off). */
typedef struct {
    const char *name;
    const ap_expr_info_t *expr;
} smo_conf_meta;

/* Per-directory configuration.  Every field has an "unset" value (SMO_UNSET
 * or NULL) so that merging lets an inner section override only what it
 * sets; defaults are applied where the value is used, never at creation. */
typedef struct {
    int engine;                       /* SMOEngine */
    int canonical;                    /* SMOCanonical */
    apr_off_t head_limit;             /* SMOHeadLimit, bytes */
    const char *base_url;             /* SMOBaseURL, normalised */
    apr_array_header_t *strip_params; /* SMOStripParams (const char *);
                                       * empty after `none` */
    apr_array_header_t *meta;         /* SMOMeta (smo_conf_meta), one entry
                                       * per name, in configuration order */
    int meta_override;                /* SMOMetaPolicy: 1 override, 0 keep */
    int auto_meta;                    /* SMOAutoMeta */
    apr_array_header_t *share;        /* SMOShare (const char *, lowercase,
                                       * as written); empty after `none` */
    apr_array_header_t *networks;     /* SMONetwork (smo_network), one
                                       * entry per name */
    int share_at;                     /* SMOShareAt: smo_share_where */
    const smo_selector *share_sel;    /* ... its selector, or NULL */
    const char *share_template;       /* SMOShareTemplate file contents */
    const char *share_style;          /* SMOShareStyle; "" after `none` */
    const char *share_utm;            /* SMOShareUTM parameters; "" Off */
    int track_clicks;                 /* SMOTrackClicks */
    const char *click_url;            /* SMOClickURL */
    const char *mastodon;             /* SMOMastodonInstance */
    apr_array_header_t *click_allow;  /* SMOClickAllowHost (const char *);
                                       * empty after `none` */
    int plan_cache;                   /* SMOPlanCache */
    int image_info;                   /* SMOImageInfo */
    int card;                         /* SMOCard */
    const char *card_url;             /* SMOCardURL */
} smo_dir_conf;

/* Per-server state: the plan cache of this child process, shared by every
 * virtual host (its keys name all the settings), set in child_init. */
/* The look of the cards (SMOCardFont, SMOCardColors, SMOCardLogo,
 * SMOCardBackground) and where they are kept (SMOCardCache): per server,
 * a virtual host inheriting what it does not set. */
typedef struct {
    const char *dir;                  /* SMOCardCache directory */
    apr_size_t memory;                /* ... bytes kept per process */
    int memory_set;
    const char *font;
    unsigned long colors[3];          /* background, text, accent */
    int colors_set;
    const char *logo, *background;    /* PNG files, or NULL */
} smo_card_settings;

/* What mod_smo_card.c makes of them: the key and the look at start-up
 * (post_config, in the parent), the renderer and the memory cache in
 * each child. */
typedef struct smo_card_state smo_card_state;

typedef struct {
    smo_plan_cache *plans;
    struct smo_image_cache *images;   /* SMOImageInfo's (mod_smo_image.c) */
    smo_card_settings card;
    int card_used;                    /* SMOCard On in this server's config */
    smo_card_state *cards;            /* NULL: no card is made */
} smo_server_conf;

/* ---- mod_smo_config.c ---- */

void *smo_create_dir_conf(apr_pool_t *p, char *dir);
void *smo_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void *smo_create_server_conf(apr_pool_t *p, server_rec *s);
void *smo_merge_server_conf(apr_pool_t *p, void *basev, void *addv);
extern const command_rec smo_cmds[];

/* The check_config hook: the SMOShare names no SMONetwork line defines. */
int smo_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                     server_rec *s);

/* The SMONetwork entry named `name` (stored lowercase) in `list`, which
 * may be NULL; or NULL. */
smo_network *smo_find_network(const apr_array_header_t *list,
                              const char *name);

/* SMOStripParams, or the default list when it is unset. */
const apr_array_header_t *smo_strip_globs(const smo_dir_conf *conf);

/* ---- mod_smo.c: the decision to filter ---- */

/* text/html (0) or application/xhtml+xml (1) in *xhtml, parameters
 * ignored; 0 for any other type or NULL. */
int smo_html_type(const char *ct, int *xhtml);

/* Why the body must pass untouched, or NULL. */
const char *smo_skip_reason(request_rec *r, int *xhtml, int detail);

/* ---- mod_smo_etag.c ---- */

/* Our suffix on the response's ETag (dropped when it is no entity-tag). */
void smo_suffix_etags(request_rec *r);
/* Before the handler: If-None-Match / If-Match in the handler's terms. */
void smo_fix_conditionals(request_rec *r);
/* Unfiltered after all: the client's own If-None-Match; 1 for a 304. */
int smo_restore_conditionals(request_rec *r);
/* A 304 for a filtered page carries the filtered ETag. */
void smo_fix_304_etag(request_rec *r);

/* ---- mod_smo_settings.c ---- */

/* SMOBaseURL, else the virtual host's scheme, ServerName and port. */
const char *smo_request_base(request_rec *r, const smo_dir_conf *conf);
/* The charset of the Content-Type the response will be sent with. */
const char *smo_sent_charset(request_rec *r);
/* Fill `ec` for this request from the merged configuration. */
void smo_engine_settings(request_rec *r, const smo_dir_conf *conf, int xhtml,
                         smo_engine_config *ec);

/* ---- mod_smo_filter.c (and mod_smo_plan.c, which shares its state) ---- */

typedef struct {
    request_rec *r;
    smo_engine *engine;
    apr_bucket_brigade *held;  /* fed to the engine, not yet passed */
    apr_bucket_brigade *out;   /* ready to go down the chain */
    apr_bucket_brigade *whole; /* Range requests: the body collected
                                * (NULL until needed) */
    apr_uint64_t held_off;     /* stream offset of the first held byte */
    apr_uint64_t in_off;       /* stream offset after all bytes fed */
    apr_size_t out_bytes;      /* data bytes waiting in `out` */
    char *scratch;             /* file bytes read for the engine only */
    apr_size_t scratch_size;
    apr_size_t whole_mem;      /* bytes in `whole` held in memory */
    apr_size_t whole_max;      /* ... and the most we accept */
    int collect;               /* pass nothing before EOS (Range) */
    int aside;                 /* engine finished: buckets just go on */
    int sink_failed;
    int failed;                /* the engine failed: keep no plan */
    /* The plan cache: a plan to apply instead of parsing, or the key under
     * which to keep what the engine does to this file. */
    const smo_plan *plan;
    smo_plan_cache *plans;
    smo_plan_recorder *recorder;
    const char *plan_key;
    apr_size_t plan_key_len;
} smo_filter_ctx;

/* How much of a file is read at a time.  A file kept as file buckets
 * (sendfile, Range; see smo_read_file_piece()) is read a small first piece
 * at a time: a typical head fits, and once nothing more will change the
 * rest goes out unread.  Any other file the core would read into memory
 * anyway, so a larger piece is read at once. */
#define SMO_FILE_PIECE (32 * 1024)
#define SMO_FILE_READ_MAX (256 * 1024)

/* The sink the engine (or a plan replay) writes the response through. */
extern const smo_sink smo_filter_sink;

/* The SMO and SMO_AFTER_HEADERS output filter. */
apr_status_t smo_filter(ap_filter_t *f, apr_bucket_brigade *bb);
/* Send what is ready down the chain (while collecting for a Range
 * request, and not `final`, keep it). */
apr_status_t smo_pass_out(ap_filter_t *f, smo_filter_ctx *ctx, int final);
/* Read the next piece of file bucket `b` for the engine; NULL to read it
 * the generic way. */
apr_bucket *smo_read_file_piece(smo_filter_ctx *ctx, apr_bucket *b,
                                const char **data, apr_size_t *len);

/* ---- mod_smo_plan.c ---- */

/* This response's key in the plan cache, or NULL when it has none. */
const char *smo_cached_plan_key(smo_filter_ctx *ctx,
                                const smo_dir_conf *conf,
                                const smo_engine_config *ec,
                                apr_bucket_brigade *bb, apr_size_t *len);
/* Keep what the engine did to this file (once). */
void smo_cached_plan_keep(smo_filter_ctx *ctx);
/* Apply ctx->plan to `bb`, the whole file, and pass it on. */
apr_status_t smo_cached_plan_replay(ap_filter_t *f, smo_filter_ctx *ctx,
                                    apr_bucket_brigade *bb);

/* ---- mod_smo_click.c ---- */

/* A short plain-text answer with `status` that holds nothing from the
 * request (no-store, noindex); returns OK. */
int smo_plain_answer(request_rec *r, int status, const char *text);

/* What the click handler with configuration `conf` accepts: its
 * networks and this server's hosts (SPEC 5); the inspector takes its
 * URLs by the same host rules. */
void smo_click_config_of(request_rec *r, const smo_dir_conf *conf,
                         smo_click_config *cc);

/* The handler hook: requests for the smo-click handler. */
int smo_click_handler(request_rec *r);

/* What the smo-click handler at `click_url` accepts, or NULL. */
const smo_click_config *smo_click_view(request_rec *r, const char *click_url,
                                       int *no_handler);

/* ---- mod_smo_image.c ---- */

/* The smo_meta_image_fn of SMOImageInfo (1 facts, 0 none for a URL of
 * this server, -1 not a URL of this server); ctx is the request. */
int smo_image_lookup(void *ctx, const char *url, smo_meta_image *out);

/* ---- mod_smo_card.c ---- */

/* post_config: the card key (read from, or first written to, the card
 * directory) and the look of every server, when SMOCard is used. */
int smo_card_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                         apr_pool_t *ptemp, server_rec *s);
/* child_init: the memory cache and the render lock of this process. */
void smo_card_child_init(apr_pool_t *pchild, server_rec *s);
/* The handler hook: requests for the smo-card handler. */
int smo_card_handler(request_rec *r);
/* For the metadata rules: the card URL callback and its context for
 * this request (SMOCard On), or 0 when no card can be made. */
int smo_card_settings_for(request_rec *r, const smo_dir_conf *conf,
                          smo_meta_config *mc);

/* ---- mod_smo_inspect.c ---- */

/* The handler hook: requests for the smo-inspect handler. */
int smo_inspect_handler(request_rec *r);
/* Is r the inspector's subrequest that runs the SMO filter? */
int smo_inspect_subrequest(const request_rec *r);
/* insert_filter for the inspector's subrequests: SMO (named
 * `smo_filter`) when it runs one, then the capture filter. */
void smo_inspect_insert_filter(request_rec *r, const char *smo_filter);
/* Register the capture filter. */
void smo_inspect_register(void);

/* ---- mod_smo_click.c: this server's hosts ---- */

/* ServerName, every ServerAlias (wildcards included) and the SMOBaseURL
 * host, in r->pool. */
apr_array_header_t *smo_own_hosts(request_rec *r, const smo_dir_conf *conf);

#endif
