/* mod_smo_config.c — mod_smo's configuration: the per-directory and
 * per-server records with their merging, the directive table and a
 * parser for each directive.  What a value does is in lib/; here it is
 * only checked, so that a mistake stops configtest with its file and line.
 */

#include "mod_smo_private.h"

#include "http_core.h"

#include "apr_file_io.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "smo_confcheck.h"
#include "smo_escape.h"
#include "smo_url.h"

/* A sanity bound: the head is held in memory for every request. */
#define SMO_HEAD_LIMIT_MAX ((apr_uint64_t)1024 * 1024 * 1024)
/* A share block template is markup for a few links, not a page. */
#define SMO_SHARE_TEMPLATE_MAX ((apr_size_t)64 * 1024)

/* SPEC section 3: tracking parameters dropped by default. */
static const char *const smo_default_strip[] = {
    "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid",
    "igshid", "_ga"
};

/* The default list as an APR array, read-only and shared by every request
 * (nothing pushes to it: the engine and the click check take it const). */
static const apr_array_header_t smo_default_strip_array = {
    NULL, (int)sizeof(const char *),
    (int)(sizeof(smo_default_strip) / sizeof(smo_default_strip[0])),
    (int)(sizeof(smo_default_strip) / sizeof(smo_default_strip[0])),
    (char *)smo_default_strip
};

const apr_array_header_t *smo_strip_globs(const smo_dir_conf *conf)
{
    return conf->strip_params ? conf->strip_params : &smo_default_strip_array;
}

void *smo_create_dir_conf(apr_pool_t *p, char *dir)
{
    smo_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    c->engine = SMO_UNSET;
    c->canonical = SMO_UNSET;
    c->head_limit = SMO_UNSET;
    c->base_url = NULL;
    c->strip_params = NULL;
    c->meta = NULL;
    c->meta_override = SMO_UNSET;
    c->auto_meta = SMO_UNSET;
    c->share_at = SMO_UNSET;
    c->track_clicks = SMO_UNSET;
    c->plan_cache = SMO_UNSET;
    c->image_info = SMO_UNSET;
    c->card = SMO_UNSET;
    return c;
}

/* The entry for property `name` in `list` (names compare
 * case-insensitively, as HTML attribute values of meta names do), or
 * NULL. */
static smo_conf_meta *find_meta(apr_array_header_t *list, const char *name)
{
    int i;

    for (i = 0; i < list->nelts; i++) {
        smo_conf_meta *m = &APR_ARRAY_IDX(list, i, smo_conf_meta);

        if (ap_cstr_casecmp(m->name, name) == 0) {
            return m;
        }
    }
    return NULL;
}

/* Lists that merge by name (SMOMeta, SMONetwork; SPEC section 1): the
 * outer entries in their order, each replaced by the inner entry of that
 * name, then the inner section's other names in its order.  Their
 * elements start with the name (const char *). */
static apr_array_header_t *merge_by_name(apr_pool_t *p,
                                         const apr_array_header_t *base,
                                         const apr_array_header_t *add)
{
    apr_array_header_t *out;
    int i, j;

    if (add == NULL) {
        return (apr_array_header_t *)base;
    }
    if (base == NULL) {
        return (apr_array_header_t *)add;
    }
    out = apr_array_copy(p, base);
    for (i = 0; i < add->nelts; i++) {
        const char *elt = add->elts + (apr_size_t)i * add->elt_size;
        const char *name = *(const char *const *)(const void *)elt;
        void *slot = NULL;

        for (j = 0; j < out->nelts && slot == NULL; j++) {
            char *o = out->elts + (apr_size_t)j * out->elt_size;

            if (ap_cstr_casecmp(*(const char **)(void *)o, name) == 0) {
                slot = o;
            }
        }
        memcpy(slot ? slot : apr_array_push(out), elt, add->elt_size);
    }
    return out;
}

/* The SMONetwork entry named `name` (stored lowercase), or NULL. */
smo_network *smo_find_network(const apr_array_header_t *list,
                              const char *name)
{
    int i;

    for (i = 0; list && i < list->nelts; i++) {
        smo_network *n = &APR_ARRAY_IDX(list, i, smo_network);

        if (ap_cstr_casecmp(n->name, name) == 0) {
            return n;
        }
    }
    return NULL;
}

void *smo_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    const smo_dir_conf *base = basev;
    const smo_dir_conf *add = addv;
    smo_dir_conf *c = apr_pcalloc(p, sizeof(*c));

    c->engine = add->engine != SMO_UNSET ? add->engine : base->engine;
    c->canonical = add->canonical != SMO_UNSET ? add->canonical
                                               : base->canonical;
    c->head_limit = add->head_limit != SMO_UNSET ? add->head_limit
                                                 : base->head_limit;
    c->base_url = add->base_url ? add->base_url : base->base_url;
    /* A list replaces the outer list as a whole (SPEC section 1). */
    c->strip_params = add->strip_params ? add->strip_params
                                        : base->strip_params;
    c->meta = merge_by_name(p, base->meta, add->meta);
    c->meta_override = add->meta_override != SMO_UNSET ? add->meta_override
                                                       : base->meta_override;
    c->auto_meta = add->auto_meta != SMO_UNSET ? add->auto_meta
                                               : base->auto_meta;
    c->share = add->share ? add->share : base->share;
    c->networks = merge_by_name(p, base->networks, add->networks);
    /* The position and its selector go together. */
    if (add->share_at != SMO_UNSET) {
        c->share_at = add->share_at;
        c->share_sel = add->share_sel;
    }
    else {
        c->share_at = base->share_at;
        c->share_sel = base->share_sel;
    }
    c->share_template = add->share_template ? add->share_template
                                            : base->share_template;
    c->share_style = add->share_style ? add->share_style : base->share_style;
    c->share_utm = add->share_utm ? add->share_utm : base->share_utm;
    c->track_clicks = add->track_clicks != SMO_UNSET ? add->track_clicks
                                                     : base->track_clicks;
    c->click_url = add->click_url ? add->click_url : base->click_url;
    c->mastodon = add->mastodon ? add->mastodon : base->mastodon;
    c->click_allow = add->click_allow ? add->click_allow : base->click_allow;
    c->plan_cache = add->plan_cache != SMO_UNSET ? add->plan_cache
                                                 : base->plan_cache;
    c->image_info = add->image_info != SMO_UNSET ? add->image_info
                                                 : base->image_info;
    c->card = add->card != SMO_UNSET ? add->card : base->card;
    c->card_url = add->card_url ? add->card_url : base->card_url;
    return c;
}

void *smo_create_server_conf(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(smo_server_conf));
}

/* A virtual host has the main server's card look and directory unless it
 * sets its own.  (The caches and the card state are set later, for
 * every server.) */
void *smo_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    const smo_server_conf *base = basev, *add = addv;
    smo_server_conf *c = apr_pcalloc(p, sizeof(*c));
    const smo_card_settings *b = &base->card, *a = &add->card;

    c->card.dir = a->dir ? a->dir : b->dir;
    c->card.memory_set = a->memory_set || b->memory_set;
    c->card.memory = a->memory_set ? a->memory : b->memory;
    c->card.font = a->font ? a->font : b->font;
    c->card.colors_set = a->colors_set || b->colors_set;
    memcpy(c->card.colors, a->colors_set ? a->colors : b->colors,
           sizeof c->card.colors);
    c->card.logo = a->logo ? a->logo : b->logo;
    c->card.background = a->background ? a->background : b->background;
    c->card_used = add->card_used || base->card_used;
    return c;
}

/* ------------------------------------------------------------------ */
/* Directives                                                          */

/* On|Off, one word: Apache's FLAG directives ignore what follows the
 * first word (`SMOEngine On Off` passes configtest as On), so these are
 * TAKE1 and say so. */
static const char *on_off(cmd_parms *cmd, const char *arg, int *out)
{
    if (ap_cstr_casecmp(arg, "on") == 0) {
        *out = 1;
    }
    else if (ap_cstr_casecmp(arg, "off") == 0) {
        *out = 0;
    }
    else {
        return apr_psprintf(cmd->pool, "%s must be On or Off, not '%s'",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_engine(cmd_parms *cmd, void *dcfg, const char *arg)
{
    return on_off(cmd, arg, &((smo_dir_conf *)dcfg)->engine);
}

static const char *set_canonical(cmd_parms *cmd, void *dcfg, const char *arg)
{
    return on_off(cmd, arg, &((smo_dir_conf *)dcfg)->canonical);
}

/* Bytes with an optional K or M suffix (SPEC section 6). */
static const char *set_head_limit(cmd_parms *cmd, void *dcfg,
                                  const char *arg)
{
    uint64_t n = 0;

    switch (smo_parse_size(arg, SMO_HEAD_LIMIT_MAX, &n)) {
    case SMO_SIZE_OK:
        ((smo_dir_conf *)dcfg)->head_limit = (apr_off_t)n;
        return NULL;
    case SMO_SIZE_TOO_LARGE:
        return apr_psprintf(cmd->pool, "%s: '%s' is too large (at most "
                            "1024M)", cmd->cmd->name, arg);
    default:
        return apr_psprintf(cmd->pool, "%s: '%s' is not a size; give bytes "
                            "with an optional K or M suffix, e.g. 256K",
                            cmd->cmd->name, arg);
    }
}

static const char *set_base_url(cmd_parms *cmd, void *dcfg, const char *arg)
{
    const char *err = NULL;
    const char *url = smo_url_parse_base(cmd->pool, arg, &err);

    if (url == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid URL '%s': %s",
                            cmd->cmd->name, arg,
                            err ? err : "not an absolute http(s) URL");
    }
    ((smo_dir_conf *)dcfg)->base_url = url;
    return NULL;
}

/* Number of words on the current directive line: `none` must stand
 * alone, and ITERATE hands us one word at a time. */
static int directive_words(cmd_parms *cmd)
{
    const char *line;
    int n = 0;

    if (cmd->directive == NULL || cmd->directive->args == NULL) {
        return 1;
    }
    line = cmd->directive->args;
    while (*line) {
        const char *w = ap_getword_conf(cmd->temp_pool, &line);
        if (*w) {
            n++;
        }
    }
    return n;
}

/* The list directives (SMOStripParams, SMOShare, SMOClickAllowHost;
 * SPEC 1): the first line of a section starts a new list, replacing the
 * outer one rather than extending it, and `none` alone empties it.
 * Returns an error, or sets *done when `arg` was that `none`. */
static const char *list_start(cmd_parms *cmd, apr_array_header_t **list,
                              const char *arg, const char *what, int *done)
{
    *done = 0;
    if (*list == NULL) {
        *list = apr_array_make(cmd->pool, 8, sizeof(const char *));
    }
    if (ap_cstr_casecmp(arg, "none") != 0) {
        return NULL;
    }
    if (directive_words(cmd) > 1) {
        return apr_psprintf(cmd->pool, "%s: 'none' cannot be combined "
                            "with %s", cmd->cmd->name, what);
    }
    apr_array_clear(*list);
    *done = 1;
    return NULL;
}

static const char *set_strip_params(cmd_parms *cmd, void *dcfg,
                                    const char *arg)
{
    smo_dir_conf *c = dcfg;
    int done;
    const char *err = list_start(cmd, &c->strip_params, arg,
                                 "parameter names", &done);

    if (err || done) {
        return err;
    }
    if (*arg == '\0' || strpbrk(arg, "&=#") != NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a query parameter "
                            "name or glob", cmd->cmd->name, arg);
    }
    APR_ARRAY_PUSH(c->strip_params, const char *) =
        apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_meta(cmd_parms *cmd, void *dcfg, const char *name,
                            const char *value)
{
    smo_dir_conf *c = dcfg;
    const char *why = smo_check_meta_name(name);
    const char *err = NULL;
    ap_expr_info_t *expr = NULL;
    smo_conf_meta *slot;

    if (why) {
        return apr_psprintf(cmd->pool, "%s: property name '%s' %s (expected "
                            "e.g. og:image, twitter:site, description)",
                            cmd->cmd->name, name, why);
    }
    if (value && !smo_utf8_valid(value, strlen(value))) {
        return apr_psprintf(cmd->pool, "%s %s: the value is not valid UTF-8 "
                            "(write the configuration in UTF-8)",
                            cmd->cmd->name, name);
    }
    /* Parsed once here, so that a bad expression stops configtest with
     * the file and line; evaluated per request (mod_smo_settings.c). */
    if (value && *value) {
        expr = ap_expr_parse_cmd(cmd, value, AP_EXPR_FLAG_STRING_RESULT,
                                 &err, NULL);
    }
    if (err) {
        return apr_psprintf(cmd->pool, "%s %s: cannot parse the value '%s' "
                            "as an expression: %s", cmd->cmd->name, name,
                            value, err);
    }
    if (c->meta == NULL) {
        c->meta = apr_array_make(cmd->pool, 8, sizeof(smo_conf_meta));
    }
    /* The same name twice in one section: the later line wins, at the
     * place of the first. */
    slot = find_meta(c->meta, name);
    if (slot == NULL) {
        slot = apr_array_push(c->meta);
    }
    slot->name = apr_pstrdup(cmd->pool, name);
    slot->expr = expr;
    return NULL;
}

static const char *set_meta_policy(cmd_parms *cmd, void *dcfg,
                                   const char *arg)
{
    smo_dir_conf *c = dcfg;

    if (ap_cstr_casecmp(arg, "keep") == 0) {
        c->meta_override = 0;
    }
    else if (ap_cstr_casecmp(arg, "override") == 0) {
        c->meta_override = 1;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a policy; use "
                            "'keep' or 'override'", cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_auto_meta(cmd_parms *cmd, void *dcfg, const char *arg)
{
    return on_off(cmd, arg, &((smo_dir_conf *)dcfg)->auto_meta);
}

/* ---- share links (SPEC section 4) ---- */

/* SMOShare may name a network that an SMONetwork line defines anywhere in
 * the configuration, in this section or an outer one, before or after
 * it; which definition applies is known only per request, from the
 * merged configuration.  So the names every SMONetwork line defines are
 * collected while the configuration is read (on pconf, which is cleared
 * for each reading), and smo_check_config() refuses an SMOShare name that
 * is neither built in nor defined anywhere, with its file and line. */
typedef struct {
    apr_hash_t *defined;      /* lowercase name -> "" */
    apr_array_header_t *uses; /* share_use: names to check at the end */
} share_registry;

typedef struct {
    const char *name;
    const char *file;
    unsigned line;
} share_use;

static const char share_registry_key[] = "smo-share-registry";

static share_registry *get_registry(cmd_parms *cmd)
{
    apr_pool_t *pconf = cmd->server->process->pconf;
    void *v = NULL;
    share_registry *reg;

    apr_pool_userdata_get(&v, share_registry_key, pconf);
    if (v) {
        return v;
    }
    reg = apr_pcalloc(pconf, sizeof(*reg));
    reg->defined = apr_hash_make(pconf);
    reg->uses = apr_array_make(pconf, 8, sizeof(share_use));
    apr_pool_userdata_set(reg, share_registry_key, apr_pool_cleanup_null,
                          pconf);
    return reg;
}

static char *lowercase(apr_pool_t *p, const char *s)
{
    char *out = apr_pstrdup(p, s), *c;

    for (c = out; *c; c++) {
        *c = (char)apr_tolower((unsigned char)*c);
    }
    return out;
}

/* True while reading an .htaccess file (no server or <Directory>
 * context), where the main configuration is complete. */
static int in_htaccess(const cmd_parms *cmd)
{
    return (cmd->override & (RSRC_CONF | ACCESS_CONF)) == 0;
}

static const char *set_share(cmd_parms *cmd, void *dcfg, const char *arg)
{
    smo_dir_conf *c = dcfg;
    const char *why;
    const char *name;
    int done;

    why = list_start(cmd, &c->share, arg, "network names", &done);
    if (why || done) {
        return why;
    }
    why = smo_share_check_name(arg);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a network name: %s",
                            cmd->cmd->name, arg, why);
    }
    name = lowercase(cmd->pool, arg);
    if (smo_share_builtin(cmd->temp_pool, name, NULL) == NULL
        && smo_find_network(c->networks, name) == NULL) {
        share_registry *reg = get_registry(cmd);

        if (in_htaccess(cmd)) {
            if (apr_hash_get(reg->defined, name, APR_HASH_KEY_STRING)
                == NULL) {
                return apr_psprintf(cmd->pool, "%s: unknown network '%s' "
                                    "(not built in, and no SMONetwork line "
                                    "defines it)", cmd->cmd->name, arg);
            }
        }
        else {
            share_use *u = apr_array_push(reg->uses);

            u->name = apr_pstrdup(reg->uses->pool, name);
            u->file = cmd->directive && cmd->directive->filename
                      ? apr_pstrdup(reg->uses->pool,
                                    cmd->directive->filename)
                      : "(unknown)";
            u->line = cmd->directive ? (unsigned)cmd->directive->line_num
                                     : 0;
        }
    }
    APR_ARRAY_PUSH(c->share, const char *) = name;
    return NULL;
}

static const char *set_network(cmd_parms *cmd, void *dcfg, const char *args)
{
    smo_dir_conf *c = dcfg;
    const char *name = ap_getword_conf(cmd->pool, &args);
    const char *tmpl = ap_getword_conf(cmd->pool, &args);
    const char *label = ap_getword_conf(cmd->pool, &args);
    const char *why;
    smo_network *slot;

    if (*name == '\0' || *tmpl == '\0') {
        return apr_psprintf(cmd->pool, "%s takes a name, a URL template and "
                            "an optional label, e.g. %s digg "
                            "\"https://digg.com/submit?url={url}\" "
                            "\"digg this\"", cmd->cmd->name,
                            cmd->cmd->name);
    }
    if (*args != '\0' && *ap_getword_conf(cmd->temp_pool, &args) != '\0') {
        return apr_psprintf(cmd->pool, "%s %s: too many arguments (quote a "
                            "label that holds spaces)", cmd->cmd->name,
                            name);
    }
    why = smo_share_check_name(name);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a network name: %s",
                            cmd->cmd->name, name, why);
    }
    why = smo_share_check_template(tmpl);
    if (why) {
        return apr_psprintf(cmd->pool, "%s %s: bad template '%s': %s",
                            cmd->cmd->name, name, tmpl, why);
    }
    if (!smo_utf8_valid(label, strlen(label))) {
        return apr_psprintf(cmd->pool, "%s %s: the label is not valid UTF-8",
                            cmd->cmd->name, name);
    }
    if (c->networks == NULL) {
        c->networks = apr_array_make(cmd->pool, 4, sizeof(smo_network));
    }
    name = lowercase(cmd->pool, name);
    slot = smo_find_network(c->networks, name);
    if (slot == NULL) {
        slot = apr_array_push(c->networks);
    }
    slot->name = name;
    slot->tmpl = tmpl;
    /* Without a label the name is shown, as written in the directive. */
    slot->label = *label ? label : apr_pstrdup(cmd->pool, name);
    if (!in_htaccess(cmd)) {
        share_registry *reg = get_registry(cmd);
        const char *key = apr_pstrdup(apr_hash_pool_get(reg->defined), name);

        apr_hash_set(reg->defined, key, APR_HASH_KEY_STRING, "");
    }
    return NULL;
}

/* Runs after the whole configuration is read, also for configtest. */
int smo_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                     apr_pool_t *ptemp, server_rec *s)
{
    void *v = NULL;
    share_registry *reg;
    int i, bad = 0;

    (void)plog;
    (void)ptemp;
    apr_pool_userdata_get(&v, share_registry_key, pconf);
    reg = v;
    for (i = 0; reg && i < reg->uses->nelts; i++) {
        const share_use *u = &APR_ARRAY_IDX(reg->uses, i, share_use);

        if (apr_hash_get(reg->defined, u->name, APR_HASH_KEY_STRING)) {
            continue;
        }
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     "Syntax error on line %u of %s: SMOShare: unknown "
                     "network '%s' (not built in, and no SMONetwork line "
                     "defines it)", u->line, u->file, u->name);
        bad = 1;
    }
    return bad ? HTTP_INTERNAL_SERVER_ERROR : OK;
}

/* SMOShareAt body-end | body-start | marker | before|prepend|append|after
 * SELECTOR: the selector may be written with or without quotes around
 * the whole value, and an attribute selector may quote its value. */
static const char *set_share_at(cmd_parms *cmd, void *dcfg, const char *args)
{
    smo_dir_conf *c = dcfg;
    const char *line = args;
    const char *first = ap_getword_conf(cmd->temp_pool, &line);
    const char *arg, *why;
    smo_share_where where;
    const smo_selector *sel = NULL;

    while (apr_isspace(*line)) {
        line++;
    }
    arg = *line ? apr_pstrcat(cmd->temp_pool, first, " ", line, NULL)
                : first;
    if (*arg) {
        /* Trailing blanks of the raw line are not part of a selector. */
        char *t = apr_pstrdup(cmd->temp_pool, arg);
        size_t n = strlen(t);

        while (n > 0 && apr_isspace(t[n - 1])) {
            t[--n] = '\0';
        }
        arg = t;
    }
    if (*arg == '\0') {
        return apr_psprintf(cmd->pool, "%s takes body-end, body-start, "
                            "marker, or before|prepend|append|after "
                            "SELECTOR", cmd->cmd->name);
    }
    why = smo_share_parse_at(cmd->pool, arg, &where, &sel);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name, arg,
                            why);
    }
    c->share_at = (int)where;
    c->share_sel = sel;
    return NULL;
}

/* Read once, here: at start-up for the main configuration (a missing
 * file stops configtest with the directive's file and line). */
static const char *set_share_template(cmd_parms *cmd, void *dcfg,
                                      const char *arg)
{
    smo_dir_conf *c = dcfg;
    const char *path = ap_server_root_relative(cmd->temp_pool, arg);
    apr_file_t *fd;
    apr_finfo_t fi;
    apr_size_t got = 0;
    apr_status_t rv;
    char *buf = NULL, errbuf[120];
    const char *why;

    if (path == NULL) {
        return apr_psprintf(cmd->pool, "%s: invalid file path '%s'",
                            cmd->cmd->name, arg);
    }
    rv = apr_file_open(&fd, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, cmd->temp_pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, fd);
        if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
            apr_file_close(fd);
            return apr_psprintf(cmd->pool, "%s: '%s' is not a regular file",
                                cmd->cmd->name, path);
        }
        if (rv == APR_SUCCESS && fi.size > (apr_off_t)SMO_SHARE_TEMPLATE_MAX) {
            apr_file_close(fd);
            return apr_psprintf(cmd->pool, "%s: '%s' is larger than %"
                                APR_SIZE_T_FMT " bytes", cmd->cmd->name,
                                path, SMO_SHARE_TEMPLATE_MAX);
        }
    }
    if (rv == APR_SUCCESS) {
        buf = apr_palloc(cmd->pool, (apr_size_t)fi.size + 1);
        rv = apr_file_read_full(fd, buf, (apr_size_t)fi.size, &got);
        if (rv == APR_EOF && got == 0 && fi.size == 0) {
            rv = APR_SUCCESS;
        }
        apr_file_close(fd);
    }
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot read '%s': %s",
                            cmd->cmd->name, path,
                            apr_strerror(rv, errbuf, sizeof(errbuf)));
    }
    buf[got] = '\0';
    if (strlen(buf) != got) {
        return apr_psprintf(cmd->pool, "%s: '%s' holds a NUL byte",
                            cmd->cmd->name, path);
    }
    if (!smo_utf8_valid(buf, got)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not valid UTF-8 (save "
                            "it as UTF-8; mod_smo writes every non-ASCII "
                            "character as a character reference)",
                            cmd->cmd->name, path);
    }
    why = smo_share_check_block_template(buf);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name, path,
                            why);
    }
    c->share_template = buf;
    return NULL;
}

static const char *set_share_style(cmd_parms *cmd, void *dcfg,
                                   const char *arg)
{
    smo_dir_conf *c = dcfg;
    const char *why;

    if (ap_cstr_casecmp(arg, "none") == 0) {
        c->share_style = "";
        return NULL;
    }
    why = smo_url_check_stylesheet(arg);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a style sheet URL "
                            "(or 'none'): %s", cmd->cmd->name, arg, why);
    }
    c->share_style = arg;
    return NULL;
}

/* Off, On (SMO_SHARE_UTM_ON) or the parameters themselves (SPEC 7). */
static const char *set_share_utm(cmd_parms *cmd, void *dcfg, const char *arg)
{
    smo_dir_conf *c = dcfg;
    const char *why;

    if (ap_cstr_casecmp(arg, "off") == 0) {
        c->share_utm = "";
        return NULL;
    }
    if (ap_cstr_casecmp(arg, "on") == 0) {
        c->share_utm = SMO_SHARE_UTM_ON;
        return NULL;
    }
    why = smo_share_check_utm(arg);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not On, Off or query "
                            "parameters such as utm_source={network}&"
                            "utm_medium=social: %s", cmd->cmd->name, arg,
                            why);
    }
    c->share_utm = arg;
    return NULL;
}

static const char *set_track_clicks(cmd_parms *cmd, void *dcfg, const char *arg)
{
    return on_off(cmd, arg, &((smo_dir_conf *)dcfg)->track_clicks);
}

static const char *set_plan_cache(cmd_parms *cmd, void *dcfg, const char *arg)
{
    return on_off(cmd, arg, &((smo_dir_conf *)dcfg)->plan_cache);
}

static const char *set_image_info(cmd_parms *cmd, void *dcfg, const char *arg)
{
    return on_off(cmd, arg, &((smo_dir_conf *)dcfg)->image_info);
}

/* A path on this server, e.g. SMOClickURL (the share links append
 * ?n=...&u=... to it) or SMOCardURL (/<id>.png?t=...); NULL if it is. */
static const char *check_path(cmd_parms *cmd, const char *arg)
{
    const unsigned char *s = (const unsigned char *)arg;

    if (*s != '/' || s[1] == '/') {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a path on this "
                            "server (it must start with a single '/', "
                            "e.g. /smo/click)", cmd->cmd->name, arg);
    }
    for (; *s; s++) {
        if (*s <= ' ' || *s >= 0x7f || *s == '?' || *s == '#' || *s == '"'
            || *s == '\'' || *s == '<' || *s == '>' || *s == '\\') {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a plain path "
                                "(no query, fragment, space, quote or "
                                "non-ASCII character)", cmd->cmd->name, arg);
        }
    }
    return NULL;
}

static const char *set_click_url(cmd_parms *cmd, void *dcfg, const char *arg)
{
    const char *why = check_path(cmd, arg);

    if (why == NULL) {
        ((smo_dir_conf *)dcfg)->click_url = arg;
    }
    return why;
}

static const char *set_card_url(cmd_parms *cmd, void *dcfg, const char *arg)
{
    const char *why = check_path(cmd, arg);

    if (why == NULL) {
        ((smo_dir_conf *)dcfg)->card_url = arg;
    }
    return why;
}

static smo_server_conf *server_conf(cmd_parms *cmd)
{
    return ap_get_module_config(cmd->server->module_config, &smo_module);
}

static const char *set_card(cmd_parms *cmd, void *dcfg, const char *arg)
{
    int *card = &((smo_dir_conf *)dcfg)->card;
    const char *why = on_off(cmd, arg, card);

    if (why) {
        return why;
    }
#ifndef HAVE_SMO_CARDS
    if (*card == 1) {
        return "SMOCard: this mod_smo was built without cards (configure "
               "--without-cards, or cairo and Pango were missing): "
               "rebuild it with libcairo2-dev and libpango1.0-dev "
               "installed, or remove SMOCard On";
    }
#endif
    if (*card == 1) {
        server_conf(cmd)->card_used = 1;
    }
    return NULL;
}

/* SMOCardCache DIRECTORY [BYTES] */
static const char *set_card_cache(cmd_parms *cmd, void *dcfg,
                                  const char *dir, const char *bytes)
{
    smo_card_settings *cs = &server_conf(cmd)->card;

    (void)dcfg;
    cs->dir = ap_server_root_relative(cmd->pool, dir);
    if (cs->dir == NULL) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a valid path",
                            cmd->cmd->name, dir);
    }
    if (bytes) {
        uint64_t n;
        if (smo_parse_size(bytes, (uint64_t)1 << 32, &n) != SMO_SIZE_OK) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a size of at "
                                "most 4G (bytes, or with K or M: 8M)",
                                cmd->cmd->name, bytes);
        }
        cs->memory = (apr_size_t)n;
        cs->memory_set = 1;
    }
    return NULL;
}

static const char *set_card_font(cmd_parms *cmd, void *dcfg, const char *arg)
{
    (void)dcfg;
    if (*arg == '\0' || strpbrk(arg, "\"<>\\\r\n")) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a font family list "
                            "(e.g. \"Noto Sans, DejaVu Sans\")",
                            cmd->cmd->name, arg);
    }
    server_conf(cmd)->card.font = arg;
    return NULL;
}

/* SMOCardColors BACKGROUND TEXT ACCENT, each #RRGGBB. */
static const char *set_card_colors(cmd_parms *cmd, void *dcfg,
                                   const char *bg, const char *fg,
                                   const char *accent)
{
    smo_card_settings *cs = &server_conf(cmd)->card;
    const char *args[3] = { bg, fg, accent };

    (void)dcfg;
    for (int i = 0; i < 3; i++) {
        if (args[i] == NULL || smo_parse_color(args[i], &cs->colors[i])) {
            return apr_psprintf(cmd->pool, "%s takes three colours, "
                                "background, text and accent, each "
                                "#RRGGBB (e.g. #0b1f33 #ffffff #f2a541)%s%s",
                                cmd->cmd->name, args[i] ? ": not " : "",
                                args[i] ? args[i] : "");
        }
    }
    cs->colors_set = 1;
    return NULL;
}

/* SMOCardLogo and SMOCardBackground: a PNG file, there at start-up. */
static const char *card_png(cmd_parms *cmd, const char *arg,
                            const char **out)
{
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_file_t *f;
    unsigned char sig[8];
    apr_size_t n = sizeof sig;

    if (path == NULL || apr_file_open(&f, path, APR_READ | APR_BINARY, 0,
                                      cmd->temp_pool) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: cannot open '%s'",
                            cmd->cmd->name, path ? path : arg);
    }
    if (apr_file_read_full(f, sig, n, &n) != APR_SUCCESS
        || memcmp(sig, "\x89PNG\r\n\x1a\n", 8) != 0) {
        apr_file_close(f);
        return apr_psprintf(cmd->pool, "%s: '%s' is not a PNG file",
                            cmd->cmd->name, path);
    }
    apr_file_close(f);
    *out = path;
    return NULL;
}

static const char *set_card_logo(cmd_parms *cmd, void *dcfg, const char *arg)
{
    (void)dcfg;
    return card_png(cmd, arg, &server_conf(cmd)->card.logo);
}

static const char *set_card_background(cmd_parms *cmd, void *dcfg,
                                       const char *arg)
{
    (void)dcfg;
    return card_png(cmd, arg, &server_conf(cmd)->card.background);
}

static const char *set_mastodon(cmd_parms *cmd, void *dcfg, const char *arg)
{
    const char *why = smo_share_check_instance(arg);

    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name, arg,
                            why);
    }
    ((smo_dir_conf *)dcfg)->mastodon = lowercase(cmd->pool, arg);
    return NULL;
}

static const char *set_click_allow(cmd_parms *cmd, void *dcfg,
                                   const char *arg)
{
    smo_dir_conf *c = dcfg;
    const char *why;
    int done;

    why = list_start(cmd, &c->click_allow, arg, "host names", &done);
    if (why || done) {
        return why;
    }
    why = smo_check_host(arg);
    if (why) {
        return apr_psprintf(cmd->pool, "%s: '%s' %s", cmd->cmd->name, arg,
                            why);
    }
    if (strspn(arg, "*.?") == strlen(arg)) {
        /* Allowed, as a wildcard of its own, but worth a word: the click
         * log may then record shares of any site's pages. */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, cmd->server,
                     "%s:%d: %s %s matches every host: the click handler "
                     "redirects and logs shares of pages on any site",
                     cmd->directive->filename, cmd->directive->line_num,
                     cmd->cmd->name, arg);
    }
    APR_ARRAY_PUSH(c->click_allow, const char *) = lowercase(cmd->pool, arg);
    return NULL;
}

#define SMO_CONTEXT (RSRC_CONF | ACCESS_CONF | OR_FILEINFO)

const command_rec smo_cmds[] = {
    AP_INIT_TAKE1("SMOEngine", set_engine, NULL, SMO_CONTEXT,
                 "On to insert the SMO filter for text/html and "
                 "application/xhtml+xml responses (default Off)"),
    AP_INIT_TAKE1("SMOHeadLimit", set_head_limit, NULL, SMO_CONTEXT,
                  "Bytes of <head> held back so rules see the whole head, "
                  "with an optional K or M suffix (default 256K)"),
    AP_INIT_TAKE1("SMOCanonical", set_canonical, NULL, SMO_CONTEXT,
                 "On to insert <link rel=\"canonical\"> when the page has "
                 "none (default On)"),
    AP_INIT_TAKE1("SMOBaseURL", set_base_url, NULL, SMO_CONTEXT,
                  "Public origin (and optional path prefix) used to make "
                  "absolute URLs, e.g. https://www.example.com"),
    AP_INIT_ITERATE("SMOStripParams", set_strip_params, NULL, SMO_CONTEXT,
                    "Query parameters (globs with * and ?) dropped from "
                    "canonical URLs, or 'none'"),
    /* TAKE12, not TAKE2: Apache reads an empty "" as a missing argument,
     * and `SMOMeta og:image ""` is how a section turns a property off. */
    AP_INIT_TAKE12("SMOMeta", set_meta, NULL, SMO_CONTEXT,
                   "A meta property and its value, an ap_expr string, e.g. "
                   "SMOMeta og:image \"https://cdn.example.com%{REQUEST_URI}"
                   ".png\"; an empty value (\"\") writes nothing for it"),
    AP_INIT_TAKE1("SMOMetaPolicy", set_meta_policy, NULL, SMO_CONTEXT,
                  "'keep' (the page's own values win, default) or "
                  "'override' (SMOMeta values replace them)"),
    AP_INIT_TAKE1("SMOAutoMeta", set_auto_meta, NULL, SMO_CONTEXT,
                 "On to derive og:title, og:description, og:url, og:type, "
                 "og:locale and twitter:card from the page (default On)"),
    AP_INIT_ITERATE("SMOShare", set_share, NULL, SMO_CONTEXT,
                    "Share networks to show, in order (x, facebook, "
                    "linkedin, reddit, whatsapp, telegram, bluesky, threads, "
                    "mastodon, hackernews, pinterest, tumblr, email, or an "
                    "SMONetwork name), or 'none' (default)"),
    AP_INIT_RAW_ARGS("SMONetwork", set_network, NULL, SMO_CONTEXT,
                     "Define or redefine a share network: NAME, URL "
                     "TEMPLATE with {url} {title} {description} {image} "
                     "{text}, optional LABEL"),
    AP_INIT_RAW_ARGS("SMOShareAt", set_share_at, NULL, SMO_CONTEXT,
                     "Where the share block goes: body-end (default), "
                     "body-start, marker (each <!-- smo:share -->), or "
                     "before|prepend|append|after SELECTOR"),
    AP_INIT_TAKE1("SMOShareTemplate", set_share_template, NULL, SMO_CONTEXT,
                  "File holding the share block's markup ({links} {url} "
                  "{title}), read at start-up"),
    AP_INIT_TAKE1("SMOShareStyle", set_share_style, NULL, SMO_CONTEXT,
                  "URL of a style sheet linked in the head of pages with "
                  "a share block, or 'none'"),
    AP_INIT_TAKE1("SMOShareUTM", set_share_utm, NULL, SMO_CONTEXT,
                  "Off, On (utm_source={network}&utm_medium=social) or "
                  "the query parameters to put on the URL that is shared "
                  "(default Off)"),
    AP_INIT_TAKE1("SMOTrackClicks", set_track_clicks, NULL, SMO_CONTEXT,
                 "On to send share links through the smo-click handler "
                 "(default Off)"),
    AP_INIT_TAKE1("SMOClickURL", set_click_url, NULL, SMO_CONTEXT,
                  "Path of the smo-click handler (default /smo/click)"),
    AP_INIT_TAKE1("SMOMastodonInstance", set_mastodon, NULL, SMO_CONTEXT,
                  "Host name of the Mastodon server the mastodon share "
                  "link goes to (default: a neutral share service)"),
    AP_INIT_ITERATE("SMOClickAllowHost", set_click_allow, NULL, SMO_CONTEXT,
                    "Hosts besides this server's whose pages the click "
                    "handler accepts, or 'none'"),
    AP_INIT_TAKE1("SMOImageInfo", set_image_info, NULL, SMO_CONTEXT,
                  "Off not to read og:image's width, height and type from "
                  "the image file (default On)"),
    AP_INIT_TAKE1("SMOCard", set_card, NULL, SMO_CONTEXT,
                  "On to give pages without og:image a generated 1200x630 "
                  "card (default Off)"),
    AP_INIT_TAKE1("SMOCardURL", set_card_url, NULL, SMO_CONTEXT,
                  "Path of the smo-card handler (default /smo/card)"),
    AP_INIT_TAKE12("SMOCardCache", set_card_cache, NULL, RSRC_CONF,
                   "Directory where rendered cards (and the card key) are "
                   "kept, and the bytes of cards kept in memory per "
                   "process (default 8M)"),
    AP_INIT_TAKE1("SMOCardFont", set_card_font, NULL, RSRC_CONF,
                  "Font families of the cards, in order of preference"),
    AP_INIT_TAKE3("SMOCardColors", set_card_colors, NULL, RSRC_CONF,
                  "Background, text and accent colours of the cards, "
                  "#RRGGBB each"),
    AP_INIT_TAKE1("SMOCardLogo", set_card_logo, NULL, RSRC_CONF,
                  "PNG file drawn on every card"),
    AP_INIT_TAKE1("SMOCardBackground", set_card_background, NULL, RSRC_CONF,
                  "PNG file drawn behind the text of every card"),
    AP_INIT_TAKE1("SMOPlanCache", set_plan_cache, NULL, SMO_CONTEXT,
                 "Off to parse every response of a static file again "
                 "instead of reusing the edits of the first (default On)"),
    {NULL}
};
