#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "adapters/ms-http-greeter.h"
#include "common/ms-log.h"
#include "common/ms-request-id.h"
#include "core/services/ms-greeting-service.h"
#include "core/services/ms-phrase-greeter.h"
#include "handlers/ms-greeter-handler.h"
#include "handlers/ms-greeting-handler.h"
#include "ms-fake-greeter.h"
#include "ms-test-utils.h"

/*
 * The greeting handler on a real unix socket, calling real hello and world handlers
 * on two more sockets through the HTTP adapter, driven by an async SoupSession.
 */

typedef struct {
	char *dir;
	char *hello_path;
	char *world_path;
	char *greeting_path;
	SoupServer *hello;
	SoupServer *world;
	SoupServer *greeting;
	MsGreetingService *service;
	MsGreeter *world_adapter; /* owned by the service */
	SoupSession *client;
	/* what the hello upstream was sent */
	guint hello_requests;
	char *hello_language;
	char *hello_request_id;
} Fixture;

static void
on_upstream_request_read(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	Fixture *fx = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_request_headers(msg);

	/* what MsRuntime does for every binary */
	ms_request_id_ensure(msg);
	if (server != fx->hello)
		return;
	fx->hello_requests++;
	g_free(fx->hello_language);
	fx->hello_language = g_strdup(soup_message_headers_get_one(headers, "Accept-Language"));
	g_free(fx->hello_request_id);
	fx->hello_request_id = g_strdup(soup_message_headers_get_one(headers, "X-Request-ID"));
}

static SoupServer *
server_new(Fixture *fx, const char *path)
{
	g_autoptr(SoupServer) server = soup_server_new(NULL, NULL);
	g_autoptr(GSocket) socket = ms_test_bind_unix(path);
	g_autoptr(GError) error = NULL;

	g_signal_connect(server, "request-read", G_CALLBACK(on_upstream_request_read), fx);
	g_assert_true(soup_server_listen_socket(server, socket, 0, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&server);
}

/* serves @greeter (transfer full) as an upstream at @path */
static SoupServer *
upstream_new(Fixture *fx, const char *path, MsGreeter *greeter)
{
	g_autoptr(MsGreeter) owned = greeter;
	SoupServer *server = server_new(fx, path);

	ms_greeter_handler_register(server, owned);
	return server;
}

static MsGreeter *
far_greeter_new(const char *name, const char *path, gboolean accepts_name)
{
	g_autofree char *upstream = g_strconcat("unix:", path, NULL);
	g_autoptr(GError) error = NULL;
	MsHttpGreeter *greeter = ms_http_greeter_new(name, upstream, accepts_name, &error);

	g_assert_no_error(error);
	return MS_GREETER(greeter);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGreeter) hello = NULL;
	g_autoptr(MsGreeter) world = NULL;

	fx->dir = g_dir_make_tmp("ms-greeting-XXXXXX", &error);
	g_assert_no_error(error);
	fx->hello_path = g_build_filename(fx->dir, "hello.sock", NULL);
	fx->world_path = g_build_filename(fx->dir, "world.sock", NULL);
	fx->greeting_path = g_build_filename(fx->dir, "greeting.sock", NULL);

	hello = far_greeter_new("hello", fx->hello_path, TRUE);
	world = far_greeter_new("world", fx->world_path, FALSE);
	fx->service = ms_greeting_service_new(hello, world);
	fx->world_adapter = world;
	fx->greeting = server_new(fx, fx->greeting_path);
	ms_greeting_handler_register(fx->greeting, fx->service);
	fx->client = ms_test_session_new(fx->greeting_path);
}

static void
start_real_upstreams(Fixture *fx)
{
	fx->hello = upstream_new(fx, fx->hello_path, ms_hello_service_new());
	fx->world = upstream_new(fx, fx->world_path, ms_world_service_new());
}

/* a real hello, and a world that would take a minute */
static void
start_upstreams_world_slow(Fixture *fx)
{
	MsFakeGreeter *slow =
		ms_fake_greeter_new(ms_world_service_new(), 60000, MS_FAKE_GREETER_NO_ERROR);

	fx->hello = upstream_new(fx, fx->hello_path, ms_hello_service_new());
	fx->world = upstream_new(fx, fx->world_path, MS_GREETER(slow));
}

static void
server_free(SoupServer **server)
{
	if (*server == NULL)
		return;
	soup_server_disconnect(*server);
	g_clear_object(server);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	server_free(&fx->greeting);
	server_free(&fx->hello);
	server_free(&fx->world);
	g_clear_object(&fx->service);
	soup_session_abort(fx->client);
	g_clear_object(&fx->client);
	while (g_main_context_iteration(NULL, FALSE))
		;
	g_unlink(fx->hello_path);
	g_unlink(fx->world_path);
	g_unlink(fx->greeting_path);
	g_rmdir(fx->dir);
	g_free(fx->hello_path);
	g_free(fx->world_path);
	g_free(fx->greeting_path);
	g_free(fx->dir);
	g_free(fx->hello_language);
	g_free(fx->hello_request_id);
}

/* GET @path from the greeting service, iterating the main loop until it answers */
static MsTestResponse *
get(Fixture *fx, const char *path, const char *language, const char *request_id)
{
	const char *headers[5] = { NULL };
	guint n = 0;

	if (language != NULL) {
		headers[n++] = "Accept-Language";
		headers[n++] = language;
	}
	if (request_id != NULL) {
		headers[n++] = "X-Request-ID";
		headers[n++] = request_id;
	}
	return ms_test_request(fx->client, "GET", path, headers, NULL);
}

static JsonObject *
body_of(MsTestResponse *response)
{
	g_assert_nonnull(response->json);
	g_assert_true(JSON_NODE_HOLDS_OBJECT(response->json));
	return json_node_get_object(response->json);
}

/* body.parts.@name, asserting it is there */
static JsonObject *
part_of(JsonObject *body, const char *name)
{
	JsonObject *parts = json_object_get_object_member(body, "parts");

	g_assert_nonnull(parts);
	g_assert_true(json_object_has_member(parts, name));
	return json_object_get_object_member(parts, name);
}

static void
assert_part_message(JsonObject *body, const char *name, const char *message)
{
	JsonObject *part = part_of(body, name);

	g_assert_cmpstr(json_object_get_string_member(part, "message"), ==, message);
	g_assert_false(json_object_has_member(part, "status"));
}

static void
assert_part_problem(JsonObject *body, const char *name, gint64 status, const char *type)
{
	JsonObject *part = part_of(body, name);
	g_autofree char *type_uri = g_strconcat("urn:microsoup:problem:", type, NULL);

	g_assert_false(json_object_has_member(part, "message"));
	g_assert_cmpint(json_object_get_int_member(part, "status"), ==, status);
	g_assert_cmpstr(json_object_get_string_member(part, "type"), ==, type_uri);
	g_assert_nonnull(json_object_get_string_member(part, "title"));
	g_assert_nonnull(json_object_get_string_member(part, "detail"));
}

static void
assert_content_type(MsTestResponse *response, const char *expected)
{
	g_assert_cmpstr(soup_message_headers_get_content_type(response->headers, NULL),
			==,
			expected);
}

static void
test_complete(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	start_real_upstreams(fx);
	response = get(fx, "/greeting?name=Ada", NULL, "it-req-1");
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	assert_content_type(response, "application/json");
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello, Ada! World!");
	g_assert_true(json_object_get_boolean_member(body, "complete"));
	assert_part_message(body, "hello", "Hello, Ada!");
	assert_part_message(body, "world", "World!");

	/* the request id reached the upstream and came back to the client */
	g_assert_cmpstr(ms_test_response_get_header(response, "X-Request-ID"), ==, "it-req-1");
	g_assert_cmpstr(fx->hello_request_id, ==, "it-req-1");
	g_assert_cmpstr(fx->hello_language, ==, "en");
}

static void
test_no_name(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	start_real_upstreams(fx);
	response = get(fx, "/greeting", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello! World!");
	/* a request id was made for the client and passed on all the same */
	g_assert_true(ms_request_id_is_sane(fx->hello_request_id));
}

static void
test_name_escaped(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	/* "A&b=c d+é": every character that means something in a query survives */
	start_real_upstreams(fx);
	response = get(fx, "/greeting?name=A%26b%3Dc%20d%2B%C3%A9", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"),
			==,
			"Hello, A&b=c d+é! World!");
}

static void
test_thai(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	start_real_upstreams(fx);
	response = get(fx, "/greeting?name=Ada", "th-TH,th;q=0.9,en;q=0.5", NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "สวัสดี, Ada! ชาวโลก!");
	assert_part_message(body, "hello", "สวัสดี, Ada!");
	assert_part_message(body, "world", "ชาวโลก!");
	g_assert_cmpstr(fx->hello_language, ==, "th");
}

static void
capture_part_failure(GLogLevelFlags level,
		     const GLogField *fields,
		     gsize n_fields,
		     gpointer user_data)
{
	GHashTable *seen = user_data;
	g_autofree char *part = NULL;
	g_autofree char *request_id = NULL;

	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "GREETING_PART") == 0)
			part = g_strdup(fields[i].value);
		else if (g_strcmp0(fields[i].key, "REQUEST_ID") == 0)
			request_id = g_strdup(fields[i].value);
	}
	if (part != NULL)
		g_hash_table_replace(seen, g_steal_pointer(&part), g_steal_pointer(&request_id));
}

static void
test_world_missing(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	g_autoptr(GHashTable) logged =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	fx->hello = upstream_new(fx, fx->hello_path, ms_hello_service_new());
	ms_log_set_capture(capture_part_failure, logged);
	response = get(fx, "/greeting?name=Ada", NULL, "it-req-3");
	body = body_of(response);
	ms_log_set_capture(NULL, NULL);
	/* the journal says which part failed for which request */
	g_assert_cmpstr(g_hash_table_lookup(logged, "world"), ==, "it-req-3");
	g_assert_false(g_hash_table_contains(logged, "hello"));
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello, Ada!");
	g_assert_false(json_object_get_boolean_member(body, "complete"));
	assert_part_message(body, "hello", "Hello, Ada!");
	assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "unavailable");
}

static void
test_world_missing_thai(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	JsonObject *world;

	fx->hello = upstream_new(fx, fx->hello_path, ms_hello_service_new());
	response = get(fx, "/greeting", "th", NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "สวัสดี!");
	world = part_of(body, "world");
	g_assert_cmpstr(json_object_get_string_member(world, "title"), ==, "ส่วนนี้ใช้งานไม่ได้");
}

static void
test_both_missing(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	response = get(fx, "/greeting?name=Ada", NULL, "it-req-2");
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_BAD_GATEWAY);
	assert_content_type(response, "application/problem+json");
	g_assert_cmpstr(json_object_get_string_member(body, "type"),
			==,
			"urn:microsoup:problem:greeting_unavailable");
	g_assert_cmpint(json_object_get_int_member(body, "status"), ==, SOUP_STATUS_BAD_GATEWAY);
	g_assert_cmpstr(json_object_get_string_member(body, "instance"), ==, "/greeting");
	g_assert_cmpstr(json_object_get_string_member(body, "request_id"), ==, "it-req-2");
	g_assert_false(json_object_has_member(body, "message"));
	assert_part_problem(body, "hello", SOUP_STATUS_BAD_GATEWAY, "unavailable");
	assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "unavailable");
}

static void
test_world_late(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	start_upstreams_world_slow(fx);
	ms_greeting_service_set_part_timeout(fx->service, 100);
	response = get(fx, "/greeting?name=Ada", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(json_object_get_string_member(body, "message"), ==, "Hello, Ada!");
	g_assert_false(json_object_get_boolean_member(body, "complete"));
	assert_part_problem(body, "world", SOUP_STATUS_GATEWAY_TIMEOUT, "timed_out");
}

static void
test_slow_parts(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	MsFakeGreeter *hello =
		ms_fake_greeter_new(ms_hello_service_new(), 200, MS_FAKE_GREETER_NO_ERROR);
	MsFakeGreeter *world =
		ms_fake_greeter_new(ms_world_service_new(), 200, MS_FAKE_GREETER_NO_ERROR);
	gint64 started;

	/* measured for the record only: the timed assertion is the unit test's */
	fx->hello = upstream_new(fx, fx->hello_path, MS_GREETER(hello));
	fx->world = upstream_new(fx, fx->world_path, MS_GREETER(world));
	started = g_get_monotonic_time();
	response = get(fx, "/greeting?name=Ada", NULL, NULL);
	body = body_of(response);
	g_test_message("two 200 ms upstreams through HTTP: %.1f ms",
		       (double)(g_get_monotonic_time() - started) / 1000.0);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_true(json_object_get_boolean_member(body, "complete"));
}

static void
test_world_refuses(Fixture *fx, gconstpointer data)
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
	fx->hello = upstream_new(fx, fx->hello_path, ms_hello_service_new());
	response = get(fx, "/greeting", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "unavailable");
}

static void
test_adapter_timeout(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	/* no deadline in the service: the adapter's own I/O timeout ends the wait */
	start_upstreams_world_slow(fx);
	ms_greeting_service_set_part_timeout(fx->service, 0);
	ms_http_greeter_set_timeout(MS_HTTP_GREETER(fx->world_adapter), 1);
	response = get(fx, "/greeting", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	assert_part_problem(body, "world", SOUP_STATUS_GATEWAY_TIMEOUT, "timed_out");
}

static void
test_invalid_name(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	start_real_upstreams(fx);
	response = get(fx, "/greeting?name=", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_BAD_REQUEST);
	assert_content_type(response, "application/problem+json");
	g_assert_cmpstr(json_object_get_string_member(body, "type"),
			==,
			"urn:microsoup:problem:invalid_name");
	/* refused before any upstream was asked */
	g_assert_cmpuint(fx->hello_requests, ==, 0);
}

static void
test_hello_refuses_name(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;
	MsFakeGreeter *strict =
		ms_fake_greeter_new(ms_hello_service_new(), 0, MS_GREETER_ERROR_INVALID_NAME);

	/* an upstream 400 invalid_name is the client's fault, not a failed part */
	fx->hello = upstream_new(fx, fx->hello_path, MS_GREETER(strict));
	fx->world = upstream_new(fx, fx->world_path, ms_world_service_new());
	response = get(fx, "/greeting?name=Ada", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_BAD_REQUEST);
	g_assert_cmpstr(json_object_get_string_member(body, "type"),
			==,
			"urn:microsoup:problem:invalid_name");
	g_assert_cmpuint(fx->hello_requests, ==, 1);
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
test_bad_answers(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *body;

	fx->hello = server_new(fx, fx->hello_path);
	soup_server_add_handler(fx->hello, "/hello", not_json_handler, GSIZE_TO_POINTER(0), NULL);
	fx->world = server_new(fx, fx->world_path);
	soup_server_add_handler(fx->world,
				"/world",
				not_json_handler,
				GSIZE_TO_POINTER(4 * MS_HTTP_GREETER_MAX_BODY_BYTES),
				NULL);
	response = get(fx, "/greeting", NULL, NULL);
	body = body_of(response);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_BAD_GATEWAY);
	assert_part_problem(body, "hello", SOUP_STATUS_BAD_GATEWAY, "bad_response");
	assert_part_problem(body, "world", SOUP_STATUS_BAD_GATEWAY, "bad_response");
}

static void
test_unknown_parameter(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	start_real_upstreams(fx);
	response = get(fx, "/greeting?nam=Ada", NULL, NULL);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_BAD_REQUEST);
	g_assert_cmpstr(ms_test_response_get_string(response, "type"),
			==,
			"urn:microsoup:problem:unknown_parameter");
	g_assert_cmpuint(fx->hello_requests, ==, 0);
	g_clear_pointer(&response, ms_test_response_free);
	response = get(fx, "/greetings", NULL, NULL);
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_NOT_FOUND);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);

#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/greeting-http/complete", test_complete);
	ADD("/greeting-http/no-name", test_no_name);
	ADD("/greeting-http/name-escaped", test_name_escaped);
	ADD("/greeting-http/thai", test_thai);
	ADD("/greeting-http/world-missing", test_world_missing);
	ADD("/greeting-http/world-missing-thai", test_world_missing_thai);
	ADD("/greeting-http/both-missing", test_both_missing);
	ADD("/greeting-http/world-late", test_world_late);
	ADD("/greeting-http/slow-parts", test_slow_parts);
	ADD("/greeting-http/world-refuses", test_world_refuses);
	ADD("/greeting-http/adapter-timeout", test_adapter_timeout);
	ADD("/greeting-http/invalid-name", test_invalid_name);
	ADD("/greeting-http/hello-refuses-name", test_hello_refuses_name);
	ADD("/greeting-http/bad-answers", test_bad_answers);
	ADD("/greeting-http/unknown-parameter", test_unknown_parameter);
#undef ADD
	return g_test_run();
}
