/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/policy/ms-cors.h"

/*
 * CORS for routes with cors_origins (Fetch standard, the server side):
 *
 * - a preflight (OPTIONS + Origin + Access-Control-Request-Method) from a
 *   listed origin for one of the route's methods gets a 204 with
 *   Allow-Origin/Methods/Headers and Max-Age, and never goes upstream;
 *   from any other origin or for another method it is a 403 problem;
 * - any other request with Origin goes on; a listed origin gets
 *   Access-Control-Allow-Origin. Vary: Origin is set on every answer of such
 *   a route, since the answer depends on it.
 *
 * Strings in, header values out: the CORS policy step writes them.
 *
 * "*" in cors_origins allows every origin (echoed back, never a literal "*",
 * so the answer stays right if credentials are ever allowed).
 */

static const char *const default_methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", NULL
};

gboolean
ms_cors_origin_is_allowed(const char *const *origins, const char *origin)
{
	if (origins == NULL || origin == NULL)
		return FALSE;
	for (guint i = 0; origins[i] != NULL; i++) {
		if (g_strcmp0(origins[i], "*") == 0 && g_strcmp0(origin, "null") != 0)
			return TRUE;
		if (g_ascii_strcasecmp(origins[i], origin) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
method_is_allowed(const char *const *methods, const char *method)
{
	for (guint i = 0; methods[i] != NULL; i++) {
		if (g_strcmp0(methods[i], method) == 0)
			return TRUE;
	}
	return FALSE;
}

/**
 * ms_cors_evaluate:
 * @origins: (nullable): the route's cors_origins; %NULL or empty disables CORS
 * @methods: (nullable): the route's methods; %NULL means the usual ones
 * @method: the request's method
 * @origin: (nullable): the request's Origin
 * @request_method: (nullable): the request's Access-Control-Request-Method
 * @answer: (out caller-allocates): the headers to answer with, whatever the
 *   verdict; ms_cors_answer_clear() it
 *
 * The one place that tells a preflight (OPTIONS with
 * Access-Control-Request-Method) from any other request. A preflight on a
 * CORS route is always answered here: without an Origin, from an unlisted
 * one or for another method it has nothing to allow.
 */
MsCorsVerdict
ms_cors_evaluate(const char *const *origins,
		 const char *const *methods,
		 const char *method,
		 const char *origin,
		 const char *request_method,
		 MsCorsAnswer *answer)
{
	gboolean preflight = g_strcmp0(method, "OPTIONS") == 0 && request_method != NULL;

	*answer = (MsCorsAnswer){ 0 };
	if (origins == NULL || origins[0] == NULL)
		return MS_CORS_NONE;
	answer->vary_origin = TRUE;
	if (!preflight) {
		if (!ms_cors_origin_is_allowed(origins, origin))
			return MS_CORS_NONE;
		answer->allow_origin = origin;
		return MS_CORS_ALLOWED;
	}

	if (methods == NULL)
		methods = default_methods;
	if (!ms_cors_origin_is_allowed(origins, origin) ||
	    !method_is_allowed(methods, request_method))
		return MS_CORS_FORBIDDEN;
	answer->allow_origin = origin;
	answer->allow_methods = g_strjoinv(", ", (char **)methods);
	answer->allow_headers = MS_CORS_ALLOWED_HEADERS;
	answer->max_age = G_STRINGIFY(MS_CORS_MAX_AGE_S);
	return MS_CORS_PREFLIGHT;
}

void
ms_cors_answer_clear(MsCorsAnswer *answer)
{
	g_clear_pointer(&answer->allow_methods, g_free);
}
