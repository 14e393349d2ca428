/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* how long a browser may reuse a preflight answer */
#define MS_CORS_MAX_AGE_S 600
/* the request headers a cross-origin caller may send */
#define MS_CORS_ALLOWED_HEADERS "Authorization, Content-Type, Accept-Language, X-Request-ID"

typedef enum {
	MS_CORS_NONE,      /* not cross-origin, or the route has no cors_origins: go on */
	MS_CORS_ALLOWED,   /* cross-origin from a listed origin: go on, headers added */
	MS_CORS_PREFLIGHT, /* answered: send 204, headers set */
	MS_CORS_FORBIDDEN, /* a preflight we refuse: send a 403 problem */
} MsCorsVerdict;

/* the answer's CORS header values; %NULL (or %FALSE) for a header not to set */
typedef struct {
	gboolean vary_origin;      /* Vary: Origin */
	const char *allow_origin;  /* Access-Control-Allow-Origin: the request's Origin */
	char *allow_methods;       /* Access-Control-Allow-Methods, a preflight's */
	const char *allow_headers; /* Access-Control-Allow-Headers, a preflight's */
	const char *max_age;       /* Access-Control-Max-Age, a preflight's */
} MsCorsAnswer;

MsCorsVerdict
ms_cors_evaluate(const char *const *origins,
		 const char *const *methods,
		 const char *method,
		 const char *origin,
		 const char *request_method,
		 MsCorsAnswer *answer);
void
ms_cors_answer_clear(MsCorsAnswer *answer);
gboolean
ms_cors_origin_is_allowed(const char *const *origins, const char *origin);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MsCorsAnswer, ms_cors_answer_clear)

G_END_DECLS
