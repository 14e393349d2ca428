/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gunixsocketaddress.h>

#include "adapters/ms-http-greeter.h"
#include "common/ms-log.h"
#include "core/services/ms-phrase-greeter.h"
#include "greeting-http-fixture.h"
#include "ms-fake-greeter.h"

/* the greeting over HTTP when parts are missing, refuse, are late or answer badly */

static void
capture_part_failure(GLogLevelFlags level,
		     const GLogField *fields,
		     gsize n_fields,
		     gpointer user_data)
{
	GHashTable *seen = user_data;
	const char *part = ms_test_log_field(fields, n_fields, "GREETING_PART");

	if (part != NULL)
		g_hash_table_replace(seen,
				     g_strdup(part),
				     g_strdup(ms_test_log_field(fields, n_fields, "REQUEST_ID")));
}

static void
test_world_missing(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	g_autoptr(GHashTable) logged =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	fx->hello = greeting_fx_upstream_new(fx, fx->hello_path, ms_hello_service_new());
	ms_log_set_capture(capture_part_failure, logged);
	response = greeting_fx_get(fx, "/greeting?name=Ada", NULL, "it-req-3");
	body = ms_test_response_get_object(response);
	ms_log_set_capture(NULL, NULL);
	/* the journal says which part failed for which request */
	g_assert_cmpstr(g_hash_table_lookup(logged, "world"), ==, "it-req-3");
	g_assert_false(g_hash_table_contains(logged, "hello"));
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello, Ada!");
	g_assert_false(json_object_get_boolean_member(body, "complete"));
	greeting_fx_assert_part_message(body, "hello", "Hello, Ada!");
	greeting_fx_assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "unavailable");
}

static void
test_world_missing_thai(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	JsonObject *world;

	fx->hello = greeting_fx_upstream_new(fx, fx->hello_path, ms_hello_service_new());
	response = greeting_fx_get(fx, "/greeting", "th", NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "สวัสดี!");
	world = greeting_fx_part_of(body, "world");
	g_assert_cmpstr(json_object_get_string_member(world, "title"), ==, "ส่วนนี้ใช้งานไม่ได้");
}

static void
test_both_missing(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	response = greeting_fx_get(fx, "/greeting?name=Ada", NULL, "it-req-2");
	body = ms_test_response_get_object(response);
	ms_test_assert_problem(response, SOUP_STATUS_BAD_GATEWAY, "greeting_unavailable");
	g_assert_cmpstr(json_object_get_string_member(body, "instance"), ==, "/greeting");
	g_assert_cmpstr(json_object_get_string_member(body, "request_id"), ==, "it-req-2");
	g_assert_false(json_object_has_member(body, "message"));
	greeting_fx_assert_part_problem(body, "hello", SOUP_STATUS_BAD_GATEWAY, "unavailable");
	greeting_fx_assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "unavailable");
}

static void
test_world_late(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	greeting_fx_start_world_slow(fx);
	ms_greeting_service_set_part_timeout(fx->service, 100);
	response = greeting_fx_get(fx, "/greeting?name=Ada", NULL, NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello, Ada!");
	g_assert_false(json_object_get_boolean_member(body, "complete"));
	greeting_fx_assert_part_problem(body, "world", SOUP_STATUS_GATEWAY_TIMEOUT, "timed_out");
}

static void
test_world_refuses(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(fx->world_path);
	g_autoptr(GSocket) bound = NULL;
	g_autoptr(GError) error = NULL;

	/* the socket file is there but nobody listens: connection refused */
	bound = g_socket_new(G_SOCKET_FAMILY_UNIX,
			     G_SOCKET_TYPE_STREAM,
			     G_SOCKET_PROTOCOL_DEFAULT,
			     &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(bound, address, FALSE, &error));
	fx->hello = greeting_fx_upstream_new(fx, fx->hello_path, ms_hello_service_new());
	response = greeting_fx_get(fx, "/greeting", NULL, NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	greeting_fx_assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "unavailable");
}

static void
test_adapter_timeout(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	/* no deadline in the service: the adapter's own I/O timeout ends the wait */
	greeting_fx_start_world_slow(fx);
	ms_greeting_service_set_part_timeout(fx->service, 0);
	ms_http_greeter_set_timeout(MS_HTTP_GREETER(fx->world_adapter), 1);
	response = greeting_fx_get(fx, "/greeting", NULL, NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	greeting_fx_assert_part_problem(body, "world", SOUP_STATUS_GATEWAY_TIMEOUT, "timed_out");
}

static void
not_json_handler(SoupServer *server,
		 SoupServerMessage *msg,
		 const char *path,
		 GHashTable *query,
		 gpointer user_data)
{
	gsize size = GPOINTER_TO_SIZE(user_data);

	if (size == 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "hi", 2);
		return;
	}
	/* valid JSON, but far larger than any greeting */
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/json",
					 SOUP_MEMORY_TAKE,
					 g_strnfill(size, ' '),
					 size);
}

static void
test_bad_answers(GreetingFixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	fx->hello = greeting_fx_server_new(fx, fx->hello_path);
	soup_server_add_handler(fx->hello, "/hello", not_json_handler, GSIZE_TO_POINTER(0), NULL);
	fx->world = greeting_fx_server_new(fx, fx->world_path);
	soup_server_add_handler(fx->world,
				"/world",
				not_json_handler,
				GSIZE_TO_POINTER(4 * MS_HTTP_GREETER_MAX_BODY_BYTES),
				NULL);
	response = greeting_fx_get(fx, "/greeting", NULL, NULL);
	body = ms_test_response_get_object(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_BAD_GATEWAY);
	greeting_fx_assert_part_problem(body, "hello", SOUP_STATUS_BAD_GATEWAY, "bad_response");
	greeting_fx_assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "bad_response");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	GREETING_FX_ADD("/greeting-http-failures/world-missing", test_world_missing);
	GREETING_FX_ADD("/greeting-http-failures/world-missing-thai", test_world_missing_thai);
	GREETING_FX_ADD("/greeting-http-failures/both-missing", test_both_missing);
	GREETING_FX_ADD("/greeting-http-failures/world-late", test_world_late);
	GREETING_FX_ADD("/greeting-http-failures/world-refuses", test_world_refuses);
	GREETING_FX_ADD("/greeting-http-failures/adapter-timeout", test_adapter_timeout);
	GREETING_FX_ADD("/greeting-http-failures/bad-answers", test_bad_answers);
	return g_test_run();
}
