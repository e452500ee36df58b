/* inspect_internal.h — what lib/inspect.c (the report) and
 * lib/inspect_render.c (its HTML and JSON) share: the networks' figures
 * and the preview each one draws.  Not part of the API. */
#ifndef SMO_INSPECT_INTERNAL_H
#define SMO_INSPECT_INTERNAL_H

#include "smo_inspect.h"

/* How one network lays out a link card.  The figures and their sources
 * are in docs/inspector.md, whose table follows this one. */
typedef struct {
    const char *id, *name;
    unsigned box_w, box_h;        /* the image box, as a ratio */
    const char *ratio;            /* the same, as people write it */
    unsigned long min_w, min_h;   /* smaller: no image shown (0: none) */
    unsigned long large_w, large_h; /* smaller: a small thumbnail */
    unsigned title_cut, desc_cut; /* characters shown; 0: not shown */
    int shows_site;               /* a line with og:site_name */
    int large_needs_card;         /* large only with summary_large_image */
} smo_inspect_net;

#define SMO_INSPECT_NETS 8
extern const smo_inspect_net smo_inspect_nets[SMO_INSPECT_NETS];

/* The rules a network applies to this report (X's depend on
 * twitter:card: summary is a 1:1 thumbnail). */
smo_inspect_net smo_inspect_net_for(const smo_inspect_net *n,
                                    const smo_inspect_report *r);

/* What a network's preview shows. */
typedef struct {
    smo_inspect_net net;
    const char *title, *description, *site;  /* as cut; NULL: none */
    int small;                    /* the image as a small thumbnail */
    int no_image;
} smo_inspect_preview;

void smo_inspect_preview_of(apr_pool_t *p, const smo_inspect_net *n,
                            const smo_inspect_report *r,
                            smo_inspect_preview *out);

/* The first `chars` characters of UTF-8 s, then "…" if anything was cut
 * (trailing spaces before it dropped); s itself when it fits. */
const char *smo_inspect_cut(apr_pool_t *p, const char *s, unsigned chars);

#endif
