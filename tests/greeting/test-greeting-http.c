/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "common/ms-request-id.h"
#include "core/services/ms-phrase-greeter.h"
#include "greeting-http-fixture.h"
#include "ms-fake-greeter.h"

/* the greeting over HTTP when its parts answer, and what the client gets wrong */

static void
test_complete(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	greeting_fx_start_real_upstreams(fx);
	response = greeting_fx_get(fx, "/greeting?name=Ada", NULL, "it-req-1");
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	greeting_fx_assert_content_type(response, "application/json");
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello, Ada! World!");
	g_assert_true(json_object_get_boolean_member(body, "complete"));
	greeting_fx_assert_part_message(body, "hello", "Hello, Ada!");
	greeting_fx_assert_part_message(body, "world", "World!");

	/* the request id reached the upstream and came back to the client */
	g_assert_cmpstr(ms_test_response_get_header(response, "X-Request-ID"), ==, "it-req-1");
	g_assert_cmpstr(fx->hello_request_id, ==, "it-req-1");
	g_assert_cmpstr(fx->hello_language, ==, "en");
}

static void
test_no_name(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	greeting_fx_start_real_upstreams(fx);
	response = greeting_fx_get(fx, "/greeting", NULL, NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello! World!");
	/* a request id was made for the client and passed on all the same */
	g_assert_true(ms_request_id_is_sane(fx->hello_request_id));
}

static void
test_name_escaped(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	/* "A&b=c d+é": every character that means something in a query survives */
	greeting_fx_start_real_upstreams(fx);
	response = greeting_fx_get(fx, "/greeting?name=A%26b%3Dc%20d%2B%C3%A9", NULL, NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"),
			==,
			"Hello, A&b=c d+é! World!");
}

static void
test_thai(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	greeting_fx_start_real_upstreams(fx);
	response = greeting_fx_get(fx, "/greeting?name=Ada", "th-TH,th;q=0.9,en;q=0.5", NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "สวัสดี, Ada! ชาวโลก!");
	greeting_fx_assert_part_message(body, "hello", "สวัสดี, Ada!");
	greeting_fx_assert_part_message(body, "world", "ชาวโลก!");
	g_assert_cmpstr(fx->hello_language, ==, "th");
}

static void
test_slow_parts(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	MsFakeGreeter *hello =
		ms_fake_greeter_new(ms_hello_service_new(), 200, MS_FAKE_GREETER_NO_ERROR);
	MsFakeGreeter *world =
		ms_fake_greeter_new(ms_world_service_new(), 200, MS_FAKE_GREETER_NO_ERROR);
	gint64 started;

	/* measured for the record only: the timed assertion is the unit test's */
	fx->hello = greeting_fx_upstream_new(fx, fx->hello_path, MS_GREETER(hello));
	fx->world = greeting_fx_upstream_new(fx, fx->world_path, MS_GREETER(world));
	started = g_get_monotonic_time();
	response = greeting_fx_get(fx, "/greeting?name=Ada", NULL, NULL);
	body = ms_test_response_get_object(response);
	g_test_message("two 200 ms upstreams through HTTP: %.1f ms",
		       (double)(g_get_monotonic_time() - started) / 1000.0);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_true(json_object_get_boolean_member(body, "complete"));
}

static void
test_invalid_name(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	greeting_fx_start_real_upstreams(fx);
	response = greeting_fx_get(fx, "/greeting?name=", NULL, NULL);
	ms_test_assert_problem(response, SOUP_STATUS_BAD_REQUEST, "invalid_name");
	/* refused before any upstream was asked */
	g_assert_cmpuint(fx->hello_requests, ==, 0);
}

static void
test_hello_refuses_name(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	MsFakeGreeter *strict =
		ms_fake_greeter_new(ms_hello_service_new(), 0, MS_GREETER_ERROR_INVALID_NAME);

	/* an upstream 400 invalid_name is the client's fault, not a failed part */
	fx->hello = greeting_fx_upstream_new(fx, fx->hello_path, MS_GREETER(strict));
	fx->world = greeting_fx_upstream_new(fx, fx->world_path, ms_world_service_new());
	response = greeting_fx_get(fx, "/greeting?name=Ada", NULL, NULL);
	ms_test_assert_problem(response, SOUP_STATUS_BAD_REQUEST, "invalid_name");
	g_assert_cmpuint(fx->hello_requests, ==, 1);
}

static void
test_unknown_parameter(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	greeting_fx_start_real_upstreams(fx);
	response = greeting_fx_get(fx, "/greeting?nam=Ada", NULL, NULL);
	ms_test_assert_problem(response, SOUP_STATUS_BAD_REQUEST, "unknown_parameter");
	g_assert_cmpuint(fx->hello_requests, ==, 0);
	g_clear_pointer(&response, ms_test_response_free);
	response = greeting_fx_get(fx, "/greetings", NULL, NULL);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_NOT_FOUND);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	GREETING_FX_ADD("/greeting-http/complete", test_complete);
	GREETING_FX_ADD("/greeting-http/no-name", test_no_name);
	GREETING_FX_ADD("/greeting-http/name-escaped", test_name_escaped);
	GREETING_FX_ADD("/greeting-http/thai", test_thai);
	GREETING_FX_ADD("/greeting-http/slow-parts", test_slow_parts);
	GREETING_FX_ADD("/greeting-http/invalid-name", test_invalid_name);
	GREETING_FX_ADD("/greeting-http/hello-refuses-name", test_hello_refuses_name);
	GREETING_FX_ADD("/greeting-http/unknown-parameter", test_unknown_parameter);
	return g_test_run();
}
