#pragma once

#include <libsoup/soup.h>

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

MsCorsVerdict
ms_cors_evaluate(const char *const *origins,
		 const char *const *methods,
		 const char *method,
		 SoupMessageHeaders *request,
		 SoupMessageHeaders *response);
gboolean
ms_cors_origin_is_allowed(const char *const *origins, const char *origin);

G_END_DECLS
