/* mod_smo_image.c — SMOImageInfo (SPEC 8): the size and type of a page's
 * og:image, read from the file Apache would serve for it, so that
 * og:image:width, og:image:height and og:image:type can be declared
 * (Facebook shows no image on a link's first share without them).
 *
 * The image URL must be on this server's hosts; it is mapped with a
 * subrequest lookup (Alias, DocumentRoot, mod_rewrite and access rules
 * apply; nothing is fetched), the first bytes of the file are read by
 * lib/image.c and what is learned is kept per file (lib/imagecache.c), so
 * a page served a thousand times reads its image's header once.  An image
 * the crawlers will refuse is logged at info when it is first read.
 */

#include "mod_smo_private.h"

#include "http_request.h"

#include "apr_file_io.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include "smo_image.h"
#include "smo_imagecache.h"

/* What the networks refuse (LinkedIn and X: under 200 px a side; most:
 * over 5 MB). */
#define SMO_IMAGE_MIN_SIDE 200
#define SMO_IMAGE_MAX_BYTES (5 * 1024 * 1024)

/* Read and judge the image file `rr` maps to; the facts to keep. */
static smo_image_facts read_facts(request_rec *r, request_rec *rr,
                                  const char *url)
{
    smo_image_facts f = { 0, 0, 0, NULL };
    smo_image_info info;
    apr_file_t *fd;
    apr_size_t len = rr->finfo.size < SMO_IMAGE_HEAD_MAX
                     ? (apr_size_t)rr->finfo.size : SMO_IMAGE_HEAD_MAX;
    unsigned char *buf = apr_palloc(r->pool, len ? len : 1);
    const char *why = NULL;
    apr_status_t rv;

    rv = apr_file_open(&fd, rr->filename, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       0, r->pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_read_full(fd, buf, len, &len);
        apr_file_close(fd);
    }
    if (rv != APR_SUCCESS && rv != APR_EOF) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r,
                      "SMO: og:image %s (%s) cannot be read: crawlers will "
                      "show no image", url, rr->filename);
        return f;
    }
    why = smo_image_read(buf, len, &info);
    if (why) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: og:image %s (%s): %s: crawlers will show no "
                      "image", url, rr->filename, why);
        return f;
    }
    f.ok = 1;
    f.width = info.width;
    f.height = info.height;
    f.type = smo_image_mime(info.type);
    if (rr->finfo.size > SMO_IMAGE_MAX_BYTES) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: og:image %s is larger than 5 MB (%" APR_OFF_T_FMT
                      " bytes): crawlers will refuse it", url,
                      rr->finfo.size);
    }
    if (f.width < SMO_IMAGE_MIN_SIDE || f.height < SMO_IMAGE_MIN_SIDE) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "SMO: og:image %s is smaller than 200x200 (%lux%lu): "
                      "crawlers will refuse it", url, f.width, f.height);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                  "SMO: og:image %s read from %s: %lux%lu %s", url,
                  rr->filename, f.width, f.height, f.type);
    return f;
}

int smo_image_lookup(void *ctx, const char *url, smo_meta_image *out)
{
    request_rec *r = ctx, *rr;
    const smo_dir_conf *conf = ap_get_module_config(r->per_dir_config,
                                                    &smo_module);
    const smo_server_conf *sc = ap_get_module_config(r->server->module_config,
                                                     &smo_module);
    smo_click_config hosts;
    smo_image_key key;
    smo_image_facts f;
    apr_uri_t uri;
    const char *why;

    if (!sc->images) {
        return 0;
    }
    memset(&hosts, 0, sizeof(hosts));
    hosts.own_hosts = smo_own_hosts(r, conf);
    why = smo_click_check_url(r->pool, &hosts, url, &uri);
    if (why) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "SMO: og:image %s is not a URL of this server (%s): "
                      "no image facts", url, why);
        return -1;
    }
    rr = ap_sub_req_lookup_uri(uri.path && *uri.path ? uri.path : "/", r,
                               NULL);
    if (!rr) {
        return 0;
    }
    memset(&key, 0, sizeof(key));
    if (rr->status != HTTP_OK || rr->finfo.filetype != APR_REG
        || (rr->handler && strcmp(rr->handler, "default-handler") != 0)) {
        /* No static file there: known by its name, logged once. */
        key.name_hash = smo_image_name_hash(rr->filename ? rr->filename
                                                         : url);
        if (!smo_image_cache_get(sc->images, &key, &f)) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                          "SMO: og:image %s is no file this server serves "
                          "(%s): crawlers may show no image", url,
                          rr->status != HTTP_OK
                              ? apr_psprintf(r->pool, "status %d", rr->status)
                          : rr->finfo.filetype != APR_REG
                              ? "no such file"
                              : apr_pstrcat(r->pool, "handler ", rr->handler,
                                            NULL));
            memset(&f, 0, sizeof(f));
            smo_image_cache_put(sc->images, &key, &f);
        }
        ap_destroy_sub_req(rr);
        return 0;
    }
    key.dev = (apr_uint64_t)rr->finfo.device;
    key.ino = (apr_uint64_t)rr->finfo.inode;
    key.mtime = rr->finfo.mtime;
    key.size = rr->finfo.size;
    if (smo_image_cache_get(sc->images, &key, &f)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      "SMO: og:image %s: facts from the cache", url);
    }
    else {
        f = read_facts(r, rr, url);
        smo_image_cache_put(sc->images, &key, &f);
    }
    ap_destroy_sub_req(rr);
    if (!f.ok) {
        return 0;
    }
    out->width = f.width;
    out->height = f.height;
    out->type = f.type;
    out->bytes = (uint64_t)key.size;
    return 1;
}
