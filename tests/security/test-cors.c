/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/policy/ms-cors.h"
#include "ms-test-utils.h"

static const char *const origins[] = { "https://app.example", "http://localhost:3000", NULL };
static const char *const methods[] = { "GET", "POST", NULL };

/* the request's CORS values, and the answer's header values */
typedef struct {
	const char *origin;
	const char *request_method;
	MsCorsAnswer answer;
} Fixture;

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	ms_cors_answer_clear(&fixture->answer);
}

static MsCorsVerdict
evaluate_route(Fixture *fixture,
	       const char *const *route_origins,
	       const char *const *route_methods,
	       const char *method)
{
	ms_cors_answer_clear(&fixture->answer);
	return ms_cors_evaluate(route_origins,
				route_methods,
				method,
				fixture->origin,
				fixture->request_method,
				&fixture->answer);
}

/* most tests evaluate a route with the origins and methods above */
static MsCorsVerdict
evaluate(Fixture *fixture, const char *method)
{
	return evaluate_route(fixture, origins, methods, method);
}

static void
test_disabled(Fixture *fixture, gconstpointer data)
{
	static const char *const none[] = { NULL };

	fixture->origin = "https://app.example";
	g_assert_cmpint(evaluate_route(fixture, NULL, methods, "GET"), ==, MS_CORS_NONE);
	g_assert_cmpint(evaluate_route(fixture, none, methods, "GET"), ==, MS_CORS_NONE);
	g_assert_null(fixture->answer.allow_origin);
	g_assert_false(fixture->answer.vary_origin);
	/* no CORS: nothing to tell a preflight from any OPTIONS */
	fixture->request_method = "GET";
	g_assert_cmpint(evaluate_route(fixture, none, methods, "OPTIONS"), ==, MS_CORS_NONE);
}

static void
test_same_origin(Fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(evaluate(fixture, "GET"), ==, MS_CORS_NONE);
	g_assert_null(fixture->answer.allow_origin);
	/* the answer depends on Origin even when there is none: caches must know */
	g_assert_true(fixture->answer.vary_origin);
}

static void
test_simple_allowed(Fixture *fixture, gconstpointer data)
{
	fixture->origin = "http://localhost:3000";
	g_assert_cmpint(evaluate(fixture, "GET"), ==, MS_CORS_ALLOWED);
	g_assert_cmpstr(fixture->answer.allow_origin, ==, "http://localhost:3000");
	g_assert_true(fixture->answer.vary_origin);
	g_assert_null(fixture->answer.allow_methods);
	g_assert_null(fixture->answer.max_age);
}

static void
test_simple_other_origin(Fixture *fixture, gconstpointer data)
{
	fixture->origin = "https://evil.example";
	/* goes on (the browser keeps the answer from the page), without Allow-Origin */
	g_assert_cmpint(evaluate(fixture, "POST"), ==, MS_CORS_NONE);
	g_assert_null(fixture->answer.allow_origin);
	g_assert_true(fixture->answer.vary_origin);
}

static void
test_preflight(Fixture *fixture, gconstpointer data)
{
	fixture->origin = "https://app.example";
	fixture->request_method = "POST";
	g_assert_cmpint(evaluate(fixture, "OPTIONS"), ==, MS_CORS_PREFLIGHT);
	g_assert_cmpstr(fixture->answer.allow_origin, ==, "https://app.example");
	g_assert_cmpstr(fixture->answer.allow_methods, ==, "GET, POST");
	g_assert_cmpstr(fixture->answer.allow_headers, ==, MS_CORS_ALLOWED_HEADERS);
	g_assert_cmpstr(fixture->answer.max_age, ==, "600");
	g_assert_true(fixture->answer.vary_origin);
}

static void
test_preflight_refused(Fixture *fixture, gconstpointer data)
{
	const char *cases[][2] = {
		{ "https://evil.example", "GET" },
		{ "https://app.example.evil", "GET" },
		{ "null", "GET" },
		{ "https://app.example", "DELETE" },
		{ "https://app.example", "get" },
		/* a preflight without Origin has nothing to allow */
		{ NULL, "GET" },
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		fixture->origin = cases[i][0];
		fixture->request_method = cases[i][1];
		g_assert_cmpint(evaluate(fixture, "OPTIONS"), ==, MS_CORS_FORBIDDEN);
		g_assert_null(fixture->answer.allow_origin);
		g_assert_null(fixture->answer.allow_methods);
	}
}

static void
test_plain_options(Fixture *fixture, gconstpointer data)
{
	/* OPTIONS without Access-Control-Request-Method is not a preflight */
	fixture->origin = "https://app.example";
	g_assert_cmpint(evaluate(fixture, "OPTIONS"), ==, MS_CORS_ALLOWED);
	/* nor is another method with it */
	fixture->request_method = "POST";
	g_assert_cmpint(evaluate(fixture, "GET"), ==, MS_CORS_ALLOWED);
	g_assert_null(fixture->answer.allow_methods);
}

static void
test_wildcard(Fixture *fixture, gconstpointer data)
{
	static const char *const any[] = { "*", NULL };

	fixture->origin = "https://anything.example";
	fixture->request_method = "PATCH";
	g_assert_cmpint(evaluate_route(fixture, any, NULL, "OPTIONS"), ==, MS_CORS_PREFLIGHT);
	g_assert_cmpstr(fixture->answer.allow_origin, ==, "https://anything.example");
	g_assert_cmpstr(fixture->answer.allow_methods, ==, "GET, HEAD, POST, PUT, PATCH, DELETE");
	g_assert_false(ms_cors_origin_is_allowed(any, "null"));
	g_assert_true(ms_cors_origin_is_allowed(origins, "HTTPS://APP.EXAMPLE"));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, NULL, func, fixture_tear_down)
	ADD("/cors/disabled", test_disabled);
	ADD("/cors/same-origin", test_same_origin);
	ADD("/cors/simple-allowed", test_simple_allowed);
	ADD("/cors/simple-other-origin", test_simple_other_origin);
	ADD("/cors/preflight", test_preflight);
	ADD("/cors/preflight-refused", test_preflight_refused);
	ADD("/cors/plain-options", test_plain_options);
	ADD("/cors/wildcard", test_wildcard);
	return g_test_run();
}
