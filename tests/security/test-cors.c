#include "config.h"

#include "gateway/core/policy/ms-cors.h"
#include "ms-test-utils.h"

static const char *const origins[] = { "https://app.example", "http://localhost:3000", NULL };
static const char *const methods[] = { "GET", "POST", NULL };

typedef struct {
	SoupMessageHeaders *request;
	SoupMessageHeaders *response;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	fixture->request = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	fixture->response = soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	soup_message_headers_unref(fixture->request);
	soup_message_headers_unref(fixture->response);
}

static const char *
response(Fixture *fixture, const char *name)
{
	return soup_message_headers_get_one(fixture->response, name);
}

/* most tests evaluate a route with the origins and methods above */
static MsCorsVerdict
evaluate(Fixture *fixture, const char *method)
{
	return ms_cors_evaluate(origins, methods, method, fixture->request, fixture->response);
}

static void
test_disabled(Fixture *fixture, gconstpointer data)
{
	static const char *const none[] = { NULL };

	soup_message_headers_append(fixture->request, "Origin", "https://app.example");
	g_assert_cmpint(ms_cors_evaluate(NULL, methods, "GET", fixture->request, fixture->response),
			==,
			MS_CORS_NONE);
	g_assert_cmpint(ms_cors_evaluate(none, methods, "GET", fixture->request, fixture->response),
			==,
			MS_CORS_NONE);
	g_assert_null(response(fixture, "Access-Control-Allow-Origin"));
	g_assert_null(response(fixture, "Vary"));
}

static void
test_same_origin(Fixture *fixture, gconstpointer data)
{
	g_assert_cmpint(evaluate(fixture, "GET"), ==, MS_CORS_NONE);
	g_assert_null(response(fixture, "Access-Control-Allow-Origin"));
	/* the answer depends on Origin even when there is none: caches must know */
	g_assert_cmpstr(response(fixture, "Vary"), ==, "Origin");
}

static void
test_simple_allowed(Fixture *fixture, gconstpointer data)
{
	soup_message_headers_append(fixture->request, "Origin", "http://localhost:3000");
	g_assert_cmpint(evaluate(fixture, "GET"), ==, MS_CORS_ALLOWED);
	g_assert_cmpstr(response(fixture, "Access-Control-Allow-Origin"),
			==,
			"http://localhost:3000");
	g_assert_cmpstr(response(fixture, "Vary"), ==, "Origin");
	g_assert_null(response(fixture, "Access-Control-Allow-Methods"));
}

static void
test_simple_other_origin(Fixture *fixture, gconstpointer data)
{
	soup_message_headers_append(fixture->request, "Origin", "https://evil.example");
	/* goes on (the browser keeps the answer from the page), without Allow-Origin */
	g_assert_cmpint(evaluate(fixture, "POST"), ==, MS_CORS_NONE);
	g_assert_null(response(fixture, "Access-Control-Allow-Origin"));
	g_assert_cmpstr(response(fixture, "Vary"), ==, "Origin");
}

static void
test_preflight(Fixture *fixture, gconstpointer data)
{
	soup_message_headers_append(fixture->request, "Origin", "https://app.example");
	soup_message_headers_append(fixture->request, "Access-Control-Request-Method", "POST");
	soup_message_headers_append(fixture->request,
				    "Access-Control-Request-Headers",
				    "content-type");
	g_assert_cmpint(evaluate(fixture, "OPTIONS"), ==, MS_CORS_PREFLIGHT);
	g_assert_cmpstr(response(fixture, "Access-Control-Allow-Origin"),
			==,
			"https://app.example");
	g_assert_cmpstr(response(fixture, "Access-Control-Allow-Methods"), ==, "GET, POST");
	g_assert_cmpstr(response(fixture, "Access-Control-Allow-Headers"),
			==,
			MS_CORS_ALLOWED_HEADERS);
	g_assert_cmpstr(response(fixture, "Access-Control-Max-Age"), ==, "600");
	g_assert_cmpstr(response(fixture, "Vary"), ==, "Origin");
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
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		soup_message_headers_replace(fixture->request, "Origin", cases[i][0]);
		soup_message_headers_replace(fixture->request,
					     "Access-Control-Request-Method",
					     cases[i][1]);
		soup_message_headers_clear(fixture->response);
		g_assert_cmpint(evaluate(fixture, "OPTIONS"), ==, MS_CORS_FORBIDDEN);
		g_assert_null(response(fixture, "Access-Control-Allow-Origin"));
	}
}

static void
test_plain_options(Fixture *fixture, gconstpointer data)
{
	/* OPTIONS without Access-Control-Request-Method is not a preflight */
	soup_message_headers_append(fixture->request, "Origin", "https://app.example");
	g_assert_cmpint(evaluate(fixture, "OPTIONS"), ==, MS_CORS_ALLOWED);
}

static void
test_wildcard(Fixture *fixture, gconstpointer data)
{
	static const char *const any[] = { "*", NULL };

	soup_message_headers_append(fixture->request, "Origin", "https://anything.example");
	soup_message_headers_append(fixture->request, "Access-Control-Request-Method", "PATCH");
	g_assert_cmpint(ms_cors_evaluate(any, NULL, "OPTIONS", fixture->request, fixture->response),
			==,
			MS_CORS_PREFLIGHT);
	g_assert_cmpstr(response(fixture, "Access-Control-Allow-Origin"),
			==,
			"https://anything.example");
	g_assert_cmpstr(response(fixture, "Access-Control-Allow-Methods"),
			==,
			"GET, HEAD, POST, PUT, PATCH, DELETE");
	g_assert_false(ms_cors_origin_is_allowed(any, "null"));
	g_assert_true(ms_cors_origin_is_allowed(origins, "HTTPS://APP.EXAMPLE"));
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
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
