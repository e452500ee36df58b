/* mod_smo_private.h — what the files of mod_smo's Apache glue share: the
 * configuration structs, the module's logging, the names and limits used
 * by more than one file, and the functions one file calls in another.
 * Nothing here is exported from mod_smo.so but smo_module itself.
 *
 * The files, one concern each:
 *   mod_smo.c          module record, hooks, the decision to filter
 *   mod_smo_config.c   create/merge, the directive table and parsers
 */
#ifndef MOD_SMO_PRIVATE_H
#define MOD_SMO_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "ap_expr.h"

#include "apr_tables.h"

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

/* Built-in defaults applied where the values are used. */
#define SMO_CLICK_URL_DEFAULT "/smo/click"
#define SMO_CLICK_HANDLER "smo-click"

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
    int track_clicks;                 /* SMOTrackClicks */
    const char *click_url;            /* SMOClickURL */
    const char *mastodon;             /* SMOMastodonInstance */
    apr_array_header_t *click_allow;  /* SMOClickAllowHost (const char *);
                                       * empty after `none` */
    int plan_cache;                   /* SMOPlanCache */
} smo_dir_conf;

/* Per-server state: the plan cache of this child process, shared by every
 * virtual host (its keys name all the settings), set in child_init. */
typedef struct {
    smo_plan_cache *plans;
} smo_server_conf;

/* ---- mod_smo_config.c ---- */

void *smo_create_dir_conf(apr_pool_t *p, char *dir);
void *smo_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);
void *smo_create_server_conf(apr_pool_t *p, server_rec *s);
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

#endif
