/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "common/ms-i18n.h"
#include "common/ms-listen.h"
#include "common/ms-log.h"
#include "core/services/ms-phrase-greeter.h"
#include "gateway/ports/ms-access-log.h"
#include "gateway/service/ms-gateway.h"
#include "gateway/service/ms-health.h"
#include "handlers/ms-greeter-handler.h"
#include "ms-gateway-test.h"
#include "ms-test-utils.h"

/*
 * Integration: the gateway in-process on real sockets, in front of the real hello
 * handler on a Unix socket and of a test upstream that holds requests, echoes
 * and misbehaves; driven by an async SoupSession.
 */

typedef struct {
	char *dir;
	char *config_path;
	SoupServer *hello;
	SoupServer *odd;
	MsGatewayTestFront *front;
	MsGateway *gateway;
	SoupSession *session;
	GPtrArray *log; /* GHashTable per access entry: field → value */
	guint close_after_response;
	guint16 odd_port;
	GPtrArray *held; /* SoupServerMessage: requests to /odd/hold, never answered */
} Fixture;

static SoupServer *
unix_server(Fixture *fx, const char *name)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *spec = g_strdup_printf("unix:%s/%s.sock", fx->dir, name);
	g_autoptr(GSocket) socket = ms_listen_socket_open(spec, &error);
	SoupServer *server = soup_server_new(NULL, NULL);

	g_assert_no_error(error);
	soup_server_listen_socket(server, socket, 0, &error);
	g_assert_no_error(error);
	return server;
}

static void
on_odd_finished(SoupServerMessage *msg, gpointer user_data)
{
	GSocket *socket = soup_server_message_get_socket(msg);

	/* close the kept-alive connection behind the gateway's back */
	if (socket != NULL)
		g_socket_shutdown(socket, TRUE, TRUE, NULL);
}

/* the test upstream: /hold never answers, /echo returns the request headers */
static void
odd_handler(SoupServer *server,
	    SoupServerMessage *msg,
	    const char *path,
	    GHashTable *query,
	    gpointer user_data)
{
	Fixture *fx = user_data;
	SoupMessageHeaders *response = soup_server_message_get_response_headers(msg);

	if (g_strcmp0(path, "/odd/hold") == 0) {
		/*
		 * only the gateway's timeout ends it; a late answer on a timer would
		 * outlive the test, and unpause a message whose connection is gone
		 */
		soup_server_message_pause(msg);
		g_ptr_array_add(fx->held, g_object_ref(msg));
		return;
	}
	if (g_str_has_suffix(path, "/echo")) {
		ms_gateway_test_send_echo(msg, path, 201);
		/* hop-by-hop headers the gateway must not pass on */
		soup_message_headers_append(response, "Keep-Alive", "timeout=5");
		soup_message_headers_append(response, "Connection", "X-Secret-Hop");
		soup_message_headers_append(response, "X-Secret-Hop", "1");
		soup_message_headers_append(response, "X-End-To-End", "kept");
		if (fx->close_after_response)
			g_signal_connect(msg, "finished", G_CALLBACK(on_odd_finished), NULL);
		return;
	}
	if (g_strcmp0(path, "/odd/stream") == 0) {
		SoupMessageBody *body = soup_server_message_get_response_body(msg);
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		soup_message_headers_set_encoding(response, SOUP_ENCODING_CHUNKED);
		for (guint i = 0; i < 64; i++) {
			char chunk[1024];
			memset(chunk, 'a' + i % 26, sizeof chunk);
			soup_message_body_append(body, SOUP_MEMORY_COPY, chunk, sizeof chunk);
		}
		soup_message_body_complete(body);
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static void
write_config(Fixture *fx, const char *extra)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *text = g_strdup_printf("[route hello]\n"
						"prefix = /api/hello\n"
						"upstream = unix:%s/hello.sock\n"
						"\n"
						"[route odd]\n"
						"prefix = /api/odd\n"
						"upstream = unix:%s/odd.sock\n"
						"methods = GET, POST, PUT\n"
						"timeout_ms = 300\n"
						"\n"
						"[route missing]\n"
						"prefix = /api/missing\n"
						"upstream = unix:%s/missing.sock\n"
						"\n"
						"[route tcp]\n"
						"prefix = /api/tcp\n"
						"upstream = http://localhost:%u\n"
						"%s",
						fx->dir,
						fx->dir,
						fx->dir,
						fx->odd_port,
						extra);

	g_file_set_contents(fx->config_path, text, -1, &error);
	g_assert_no_error(error);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autoptr(MsGreeter) hello = ms_hello_service_new();

	fx->dir = ms_test_dir_new();
	fx->config_path = g_build_filename(fx->dir, "gateway.conf", NULL);
	fx->log = ms_gateway_test_log_capture();
	fx->held = g_ptr_array_new_with_free_func(g_object_unref);

	fx->hello = unix_server(fx, "hello");
	ms_greeter_handler_register(fx->hello, hello);
	fx->odd = unix_server(fx, "odd");
	soup_server_add_handler(fx->odd, NULL, odd_handler, fx, NULL);
	fx->odd_port = ms_test_server_listen_tcp(fx->odd);

	write_config(fx, "");
	config = ms_gateway_config_load_file(fx->config_path, &error);
	g_assert_no_error(error);
	fx->gateway = ms_gateway_new(config, NULL);
	fx->front = ms_gateway_test_front_new(fx->gateway, &fx->session);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_gateway_test_front_free(fx->front, fx->session);
	g_object_unref(fx->gateway);
	soup_server_disconnect(fx->hello);
	g_object_unref(fx->hello);
	soup_server_disconnect(fx->odd);
	g_object_unref(fx->odd);
	/* their connections closed with the server */
	g_ptr_array_unref(fx->held);
	/* sources of closed connections run down in the release */
	ms_gateway_test_log_release(fx->log);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
	g_free(fx->config_path);
}

static MsTestResponse *
request_full(Fixture *fx,
	     const char *method,
	     const char *path,
	     const char *const *headers,
	     const char *body)
{
	return ms_test_request(fx->session, method, path, headers, body);
}

static void
assert_problem(MsTestResponse *response, guint status, const char *type)
{
	/* the gateway gives every answer, problems too, a request id */
	g_assert_nonnull(ms_test_response_get_header(response, "X-Request-ID"));
	ms_test_assert_problem(response, status, type);
}

/* the access line's text: "METHOD PATH STATUS", then the duration its field holds */
static void
assert_access_message(GHashTable *entry, const char *request)
{
	g_autofree char *expected =
		g_strdup_printf("%s %sµs",
				request,
				(char *)g_hash_table_lookup(entry, "DURATION_USEC"));

	g_assert_cmpstr(g_hash_table_lookup(entry, "MESSAGE"), ==, expected);
}

static void
test_pass_through(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = { "X-Request-ID", "test-id-1", NULL };
	g_autoptr(MsTestResponse) msg =
		request_full(fx, "GET", "/api/hello?name=Ada", headers, NULL);
	SoupMessageHeaders *response = msg->headers;
	GHashTable *entry;

	g_assert_cmpuint(msg->status, ==, 200);
	g_assert_cmpmem(g_bytes_get_data(msg->body, NULL),
			g_bytes_get_size(msg->body),
			"{\"message\":\"Hello, Ada!\"}",
			strlen("{\"message\":\"Hello, Ada!\"}"));
	g_assert_cmpstr(soup_message_headers_get_one(response, "X-Request-ID"), ==, "test-id-1");
	/* one Server, the gateway's: the upstream's own is not passed on */
	g_assert_cmpstr(soup_message_headers_get_list(response, "Server"), ==, "microsoup-gateway");

	entry = ms_gateway_test_wait_access_entry(fx->log, "test-id-1");
	g_assert_cmpstr(g_hash_table_lookup(entry, "HTTP_METHOD"), ==, "GET");
	g_assert_cmpstr(g_hash_table_lookup(entry, "HTTP_PATH"), ==, "/api/hello");
	g_assert_cmpstr(g_hash_table_lookup(entry, "HTTP_STATUS"), ==, "200");
	g_assert_cmpstr(g_hash_table_lookup(entry, "ROUTE"), ==, "hello");
	g_assert_true(g_str_has_prefix(g_hash_table_lookup(entry, "UPSTREAM"), "unix:"));
	g_assert_cmpstr(g_hash_table_lookup(entry, "REMOTE_ADDR"), ==, "127.0.0.1");
	g_assert_nonnull(g_hash_table_lookup(entry, "DURATION_USEC"));
	g_assert_null(g_hash_table_lookup(entry, "USER_NAME"));
	assert_access_message(entry, "GET /api/hello 200");
}

static void
test_request_id_made(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = { "X-Request-ID", "bad id with spaces", NULL };
	g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/hello", headers, NULL);
	const char *id = soup_message_headers_get_one(msg->headers, "X-Request-ID");

	g_assert_cmpuint(msg->status, ==, 200);
	g_assert_nonnull(id);
	g_assert_cmpuint(strlen(id), ==, 32);
	for (const char *p = id; *p != '\0'; p++)
		g_assert_true(g_ascii_isdigit(*p) || (*p >= 'a' && *p <= 'f'));
	ms_gateway_test_wait_access_entry(fx->log, id);
}

/* ids made one after the other differ: each is fresh randomness, not a repeat */
static void
test_request_ids_differ(Fixture *fx, gconstpointer data)
{
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (guint i = 0; i < 100; i++) {
		g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/hello", NULL, NULL);
		const char *id = soup_message_headers_get_one(msg->headers, "X-Request-ID");

		g_assert_cmpuint(strlen(id), ==, 32);
		g_assert_true(g_hash_table_add(seen, g_strdup(id)));
	}
}

/* a line longer than the log's stack buffer is whole all the same */
static void
test_access_message_long(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = { "X-Request-ID", "test-id-long", NULL };
	g_autofree char *tail = g_strnfill(400, 'a');
	g_autofree char *path = g_strconcat("/api/hello/", tail, NULL);
	g_autoptr(MsTestResponse) msg = request_full(fx, "GET", path, headers, NULL);
	GHashTable *entry = ms_gateway_test_wait_access_entry(fx->log, "test-id-long");
	g_autofree char *request = g_strdup_printf("GET %s %u", path, msg->status);

	g_assert_cmpstr(g_hash_table_lookup(entry, "HTTP_PATH"), ==, path);
	assert_access_message(entry, request);
}

static void
test_not_found(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/nope", NULL, NULL);

	assert_problem(msg, 404, "not_found");
}

static void
test_not_found_thai(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = { "Accept-Language", "th-TH, en;q=0.5", NULL };
	g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/nope", headers, NULL);
	JsonObject *problem;

	assert_problem(msg, 404, "not_found");
	problem = json_node_get_object(msg->json);
	/* written out: a catalog the gateway failed to load would be "Not found" on both sides */
	g_assert_cmpstr(json_object_get_string_member(problem, "title"), ==, "ไม่พบ");
	g_assert_cmpstr(json_object_get_string_member(problem, "detail"),
			==,
			"ไม่มีสิ่งใดอยู่ที่ /api/nope");
}

static void
test_method_not_allowed(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) msg = request_full(fx, "DELETE", "/api/hello", NULL, NULL);

	assert_problem(msg, 405, "method_not_allowed");
	g_assert_cmpstr(soup_message_headers_get_one(msg->headers, "Allow"), ==, "GET, HEAD");
}

static void
test_missing_socket(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) msg = NULL;
	gboolean warned = FALSE;

	ms_log_expect_message(G_LOG_LEVEL_WARNING,
			      "upstream unix:*/missing.sock of route missing failed: "
			      "unix:*/missing.sock: No such file or directory; answered 502");
	msg = request_full(fx, "GET", "/api/missing", NULL, NULL);
	assert_problem(msg, 502, "upstream_unavailable");
	ms_log_assert_expected_messages();
	for (guint i = 0; i < fx->log->len; i++) {
		GHashTable *entry = g_ptr_array_index(fx->log, i);
		if (g_strcmp0(g_hash_table_lookup(entry, "MESSAGE_ID"),
			      MS_GATEWAY_UPSTREAM_FAILED_MESSAGE_ID) == 0) {
			g_assert_cmpstr(g_hash_table_lookup(entry, "ROUTE"), ==, "missing");
			warned = TRUE;
		}
	}
	g_assert_true(warned);
}

static gboolean
on_upstream_readable(GSocket *socket, GIOCondition condition, gpointer user_data)
{
	gboolean *readable = user_data;

	*readable = TRUE;
	return G_SOURCE_REMOVE;
}

static gboolean
is_true(gpointer user_data)
{
	return *(gboolean *)user_data;
}

/*
 * waits for the gateway to close its connection of the held request: one with
 * a response still due could never be used again
 */
static void
wait_held_released(Fixture *fx)
{
	GSocket *socket;
	g_autoptr(GSource) source = NULL;
	gboolean readable = FALSE;
	char byte;

	g_assert_cmpuint(fx->held->len, ==, 1);
	socket = soup_server_message_get_socket(g_ptr_array_index(fx->held, 0));
	g_assert_nonnull(socket);
	source = g_socket_create_source(socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
	g_source_set_callback(source, G_SOURCE_FUNC(on_upstream_readable), &readable, NULL);
	g_source_attach(source, NULL);
	ms_test_wait_until(is_true, &readable, 5000);
	g_source_destroy(source);
	/* the end of the stream, not another request */
	g_assert_cmpint(g_socket_receive(socket, &byte, 1, NULL, NULL), ==, 0);
}

static void
test_timeout(Fixture *fx, gconstpointer data)
{
	gint64 started = g_get_monotonic_time();
	g_autoptr(MsTestResponse) msg = NULL;
	gint64 took;

	ms_log_expect_message(
		G_LOG_LEVEL_WARNING,
		"upstream unix:*/odd.sock of route odd failed: timed out; answered 504");
	msg = request_full(fx, "GET", "/api/odd/hold", NULL, NULL);
	assert_problem(msg, 504, "upstream_timeout");
	took = g_get_monotonic_time() - started;
	ms_log_assert_expected_messages();
	/* the route's 300 ms, not the default 10 s: the upstream never answers */
	g_assert_cmpint(took, >=, 300 * 1000);
	g_assert_cmpint(took, <, MS_ROUTE_DEFAULT_TIMEOUT_MS / 2 * 1000);
	wait_held_released(fx);
}

static void
test_body_too_large(Fixture *fx, gconstpointer data)
{
	gsize size = 1024 * 1024;
	g_autofree char *big = g_malloc(size + 1);
	g_autoptr(MsTestResponse) msg = NULL;

	memset(big, ' ', size);
	big[size] = '\0';
	msg = request_full(fx, "POST", "/api/odd/echo", NULL, big);

	assert_problem(msg, 413, "body_too_large");
}

static void
test_body_forwarded(Fixture *fx, gconstpointer data)
{
	const char *body = "{\"a\":1,\"th\":\"ชาวโลก\"}";
	g_autoptr(MsTestResponse) msg = request_full(fx, "PUT", "/api/odd/echo", NULL, body);
	g_autofree char *length = g_strdup_printf("%" G_GSIZE_FORMAT, strlen(body));
	JsonObject *echo;

	g_assert_cmpuint(msg->status, ==, 201);
	echo = json_node_get_object(msg->json);
	/* the bytes themselves: as many wrong ones would pass a length check */
	g_assert_cmpstr(json_object_get_string_member(echo, "body"), ==, body);
	g_assert_cmpint(json_object_get_int_member(echo, "body_length"), ==, strlen(body));
	g_assert_cmpstr(json_object_get_string_member(echo, "content-length"), ==, length);
}

static void
test_headers(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = {
		"X-Microsoup-User",  "mallory",     "X-Microsoup-Role", "admin",      "Connection",
		"keep-alive, X-Hop", "X-Hop",       "secret",           "Keep-Alive", "timeout=5",
		"X-Forwarded-For",   "203.0.113.7", "X-Custom",         "yes",        NULL
	};
	g_autoptr(MsTestResponse) msg =
		request_full(fx, "GET", "/api/odd/echo?a=1&b=%20x", headers, NULL);
	SoupMessageHeaders *response = msg->headers;
	JsonObject *echo;

	g_assert_cmpuint(msg->status, ==, 201);
	echo = json_node_get_object(msg->json);
	/* what the upstream saw */
	g_assert_cmpstr(json_object_get_string_member(echo, "path"), ==, "/odd/echo");
	g_assert_cmpstr(json_object_get_string_member(echo, "query"), ==, "a=1&b=%20x");
	g_assert_false(json_object_has_member(echo, "x-microsoup-user"));
	g_assert_false(json_object_has_member(echo, "x-microsoup-role"));
	g_assert_false(json_object_has_member(echo, "x-hop"));
	g_assert_false(json_object_has_member(echo, "keep-alive"));
	g_assert_cmpstr(json_object_get_string_member(echo, "x-custom"), ==, "yes");
	g_assert_cmpstr(json_object_get_string_member(echo, "x-forwarded-for"),
			==,
			"203.0.113.7, 127.0.0.1");
	g_assert_cmpstr(json_object_get_string_member(echo, "x-forwarded-proto"), ==, "http");
	g_assert_cmpuint(strlen(json_object_get_string_member(echo, "x-request-id")), ==, 32);
	/* what the client saw */
	g_assert_null(soup_message_headers_get_one(response, "X-Secret-Hop"));
	g_assert_null(soup_message_headers_get_one(response, "Keep-Alive"));
	g_assert_cmpstr(soup_message_headers_get_one(response, "X-End-To-End"), ==, "kept");
}

static void
test_head(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) msg = request_full(fx, "HEAD", "/api/hello", NULL, NULL);

	/* the upstream's length of the body a GET would get, and no body */
	g_assert_cmpuint(msg->status, ==, 200);
	g_assert_cmpstr(ms_test_response_get_header(msg, "Content-Length"), ==, "20");
	g_assert_cmpuint(g_bytes_get_size(msg->body), ==, 0);
}

static void
test_http_upstream(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/tcp/echo?x=1", NULL, NULL);
	g_autofree char *host = g_strdup_printf("localhost:%u", fx->odd_port);

	g_assert_cmpuint(msg->status, ==, 201);
	g_assert_cmpstr(ms_test_response_get_string(msg, "path"), ==, "/tcp/echo");
	g_assert_cmpstr(ms_test_response_get_string(msg, "query"), ==, "x=1");
	g_assert_cmpstr(ms_test_response_get_string(msg, "host"), ==, host);
}

static void
test_streamed_chunked(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/odd/stream", NULL, NULL);
	const char *bytes = g_bytes_get_data(msg->body, NULL);

	g_assert_cmpuint(msg->status, ==, 200);
	g_assert_cmpuint(g_bytes_get_size(msg->body), ==, 64 * 1024);
	g_assert_cmpint(bytes[0], ==, 'a');
	g_assert_cmpint(bytes[64 * 1024 - 1], ==, 'a' + 63 % 26);
}

static void
test_upstream_closes_pooled(Fixture *fx, gconstpointer data)
{
	fx->close_after_response = TRUE;
	for (guint i = 0; i < 5; i++) {
		g_autoptr(MsTestResponse) msg =
			request_full(fx, "GET", "/api/odd/echo", NULL, NULL);
		g_assert_cmpuint(msg->status, ==, 201);
	}
}

/* a raw upstream that answers the first request of a connection and closes on
 * the second without a byte: what a service restarting looks like to a pool */
static gpointer
one_shot_upstream(gpointer user_data)
{
	GSocket *listener = user_data;

	for (guint n = 0; n < 2; n++) {
		g_autoptr(GSocket) socket = g_socket_accept(listener, NULL, NULL);
		char buffer[4096];
		gsize got = 0;
		guint heads = 0;
		/* the retry's fresh connection is answered once, then closed */
		guint wanted = n == 0 ? 2 : 1;

		if (socket == NULL)
			break;
		while (heads < wanted) {
			gssize r = g_socket_receive(socket,
						    buffer + got,
						    sizeof buffer - got - 1,
						    NULL,
						    NULL);
			if (r <= 0)
				break;
			got += r;
			buffer[got] = '\0';
			if (g_strstr_len(buffer, got, "\r\n\r\n") == NULL)
				continue;
			heads++;
			got = 0;
			if (heads == 1) {
				const char *answer =
					"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
				g_socket_send(socket, answer, strlen(answer), NULL, NULL);
			}
		}
		g_socket_close(socket, NULL);
	}
	return NULL;
}

static void
test_retry_after_broken_pooled(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *spec = g_strdup_printf("unix:%s/oneshot.sock", fx->dir);
	g_autoptr(GSocket) listener = ms_listen_socket_open(spec, &error);
	g_autoptr(GThread) thread = NULL;
	g_autofree char *extra = g_strdup_printf("[route oneshot]\nprefix = /api/oneshot\n"
						 "upstream = unix:%s/oneshot.sock\n",
						 fx->dir);

	g_assert_no_error(error);
	g_socket_set_blocking(listener, TRUE);
	thread = g_thread_new("oneshot", one_shot_upstream, listener);
	write_config(fx, extra);
	g_assert_true(ms_gateway_reload(fx->gateway, fx->config_path, &error));
	for (guint i = 0; i < 2; i++) {
		g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/oneshot", NULL, NULL);
		g_assert_cmpuint(msg->status, ==, 200);
	}
	g_thread_join(g_steal_pointer(&thread));
}

static void
test_reload(Fixture *fx, gconstpointer data)
{
	g_autoptr(GError) error = NULL;

	/* a broken file is refused and the old routes keep working */
	g_file_set_contents(fx->config_path, "[route x]\nprefix = /api/x\nbogus = 1\n", -1, NULL);
	g_assert_false(ms_gateway_reload(fx->gateway, fx->config_path, &error));
	g_assert_error(error, MS_GATEWAY_CONFIG_ERROR, MS_GATEWAY_CONFIG_ERROR_UNKNOWN_KEY);
	g_clear_error(&error);
	{
		g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/hello", NULL, NULL);
		g_assert_cmpuint(msg->status, ==, 200);
	}
	/* a good one takes effect for the next request */
	write_config(fx,
		     "\n[route greet]\nprefix = /api/greet\nupstream = unix:/nonexistent.sock\n");
	g_assert_true(ms_gateway_reload(fx->gateway, fx->config_path, &error));
	g_assert_no_error(error);
	ms_log_expect_message(G_LOG_LEVEL_WARNING,
			      "upstream unix:/nonexistent.sock of route greet failed: "
			      "unix:/nonexistent.sock: No such file or directory; answered 502");
	{
		g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/api/greet", NULL, NULL);
		g_assert_cmpuint(msg->status, ==, 502);
	}
	ms_log_assert_expected_messages();
}

/* the /readyz entry of @route */
static JsonObject *
readyz_upstream(MsTestResponse *ready, const char *route)
{
	JsonArray *upstreams =
		json_object_get_array_member(json_node_get_object(ready->json), "upstreams");

	for (guint i = 0; i < json_array_get_length(upstreams); i++) {
		JsonObject *upstream = json_array_get_object_element(upstreams, i);
		if (g_strcmp0(json_object_get_string_member(upstream, "route"), route) == 0)
			return upstream;
	}
	g_assert_not_reached();
}

static void
assert_upstream_state(MsTestResponse *ready,
		      const char *route,
		      const char *state,
		      const char *checked)
{
	JsonObject *upstream = readyz_upstream(ready, route);

	g_assert_cmpstr(json_object_get_string_member(upstream, "state"), ==, state);
	g_assert_cmpstr(json_object_get_string_member(upstream, "checked"), ==, checked);
}

/* swaps in a configuration without the fixture's missing route, plus @extra */
static void
use_routes(Fixture *fx, const char *extra)
{
	g_autofree char *text = g_strdup_printf(
		"[route hello]\nprefix = /api/hello\nupstream = unix:%s/hello.sock\n"
		"[route odd]\nprefix = /api/odd\nupstream = unix:%s/odd.sock\n"
		"timeout_ms = 300\n"
		"[route tcp]\nprefix = /api/tcp\nupstream = http://localhost:%u\n%s",
		fx->dir,
		fx->dir,
		fx->odd_port,
		extra);
	g_autoptr(MsGatewayConfig) config = ms_gateway_test_config_new(text);

	ms_gateway_set_config(fx->gateway, config);
}

static void
test_health(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) msg = request_full(fx, "GET", "/healthz", NULL, NULL);
	g_autoptr(MsTestResponse) ready = request_full(fx, "GET", "/readyz", NULL, NULL);
	JsonObject *object;
	JsonObject *missing;

	g_assert_cmpuint(msg->status, ==, 200);
	/* the missing route's socket is not there */
	g_assert_cmpuint(ready->status, ==, 503);
	object = json_node_get_object(ready->json);
	g_assert_cmpstr(json_object_get_string_member(object, "status"), ==, "degraded");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(object, "upstreams")),
			 ==,
			 4);
	/* no traffic yet: the sockets are looked at, the TCP upstream is not known */
	assert_upstream_state(ready, "hello", "activatable", "socket");
	assert_upstream_state(ready, "odd", "activatable", "socket");
	assert_upstream_state(ready, "missing", "missing", "socket");
	assert_upstream_state(ready, "tcp", "unknown", "traffic");
	missing = readyz_upstream(ready, "missing");
	g_assert_nonnull(strstr(json_object_get_string_member(missing, "error"), "missing.sock"));
	g_assert_cmpstr(
		json_object_get_string_member(json_object_get_object_member(object, "config"),
					      "state"),
		==,
		"ok");
}

/*
 * A socket that is listened on but never accepted from: what systemd holds for
 * a stopped service. /readyz must report it without a connect, which would
 * start the service: any connect would sit in the backlog, where accept() finds it.
 */
static void
test_health_no_connect(Fixture *fx, gconstpointer data)
{
	g_autofree char *path = g_strdup_printf("%s/idle.sock", fx->dir);
	g_autoptr(GSocket) listener = ms_test_bind_unix(path);
	g_autofree char *extra =
		g_strdup_printf("[route idle]\nprefix = /api/idle\nupstream = unix:%s\n", path);
	g_autoptr(GSocket) accepted = NULL;
	g_autoptr(GError) error = NULL;

	use_routes(fx, extra);
	for (guint i = 0; i < 5; i++) {
		g_autoptr(MsTestResponse) ready = request_full(fx, "GET", "/readyz", NULL, NULL);

		g_assert_cmpuint(ready->status, ==, 200);
		g_assert_cmpstr(ms_test_response_get_string(ready, "status"), ==, "ready");
		assert_upstream_state(ready, "idle", "activatable", "socket");
	}
	g_socket_set_blocking(listener, FALSE);
	accepted = g_socket_accept(listener, NULL, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
	g_assert_null(accepted);
}

/* proxied traffic speaks for an upstream: a failure makes it "failing" and the gateway 503 */
static void
test_health_traffic(Fixture *fx, gconstpointer data)
{
	use_routes(fx, "");
	{
		g_autoptr(MsTestResponse) hello = request_full(fx, "GET", "/api/hello", NULL, NULL);
		g_autoptr(MsTestResponse) tcp =
			request_full(fx, "GET", "/api/tcp/echo", NULL, NULL);
		g_autoptr(MsTestResponse) ready = request_full(fx, "GET", "/readyz", NULL, NULL);

		g_assert_cmpuint(hello->status, ==, 200);
		g_assert_cmpuint(tcp->status, ==, 201);
		g_assert_cmpuint(ready->status, ==, 200);
		assert_upstream_state(ready, "hello", "up", "traffic");
		assert_upstream_state(ready, "tcp", "up", "traffic");
		assert_upstream_state(ready, "odd", "activatable", "socket");
	}
	/* the route's 300 ms pass, the upstream never answers: a timeout */
	ms_log_expect_message(
		G_LOG_LEVEL_WARNING,
		"upstream unix:*/odd.sock of route odd failed: timed out; answered 504");
	{
		g_autoptr(MsTestResponse) slow =
			request_full(fx, "GET", "/api/odd/hold", NULL, NULL);
		g_autoptr(MsTestResponse) ready = request_full(fx, "GET", "/readyz", NULL, NULL);
		JsonObject *odd;

		ms_log_assert_expected_messages();
		g_assert_cmpuint(slow->status, ==, 504);
		g_assert_cmpuint(ready->status, ==, 503);
		g_assert_cmpstr(ms_test_response_get_string(ready, "status"), ==, "degraded");
		assert_upstream_state(ready, "odd", "failing", "traffic");
		odd = readyz_upstream(ready, "odd");
		g_assert_true(json_object_has_member(odd, "error"));
		g_assert_cmpint(json_object_get_int_member(odd, "age_ms"), <, 30 * 1000);
		assert_upstream_state(ready, "hello", "up", "traffic");
	}
	/* the next answer from it makes it "up" again */
	{
		g_autoptr(MsTestResponse) echo =
			request_full(fx, "GET", "/api/odd/echo", NULL, NULL);
		g_autoptr(MsTestResponse) ready = request_full(fx, "GET", "/readyz", NULL, NULL);

		g_assert_cmpuint(echo->status, ==, 201);
		g_assert_cmpuint(ready->status, ==, 200);
		assert_upstream_state(ready, "odd", "up", "traffic");
		g_assert_false(json_object_has_member(readyz_upstream(ready, "odd"), "error"));
	}
}

/* a refused connect through an aggregation route counts for the part's upstream */
static void
test_health_aggregate_part(Fixture *fx, gconstpointer data)
{
	g_autofree char *path = g_strdup_printf("%s/stale.sock", fx->dir);
	g_autofree char *extra = g_strdup_printf("[route stale]\nprefix = /api/stale\n"
						 "upstream = unix:%s\n"
						 "[route both]\nprefix = /api/both\n"
						 "upstreams = hello, stale\n",
						 path);
	g_autoptr(MsTestResponse) both = NULL;
	g_autoptr(MsTestResponse) ready = NULL;

	/* a socket file whose listener is gone: there, but refusing */
	g_object_unref(ms_test_bind_unix(path));
	use_routes(fx, extra);
	ms_log_expect_message(G_LOG_LEVEL_WARNING,
			      "upstream unix:*/stale.sock of route stale failed: "
			      "unix:*/stale.sock: Connection refused; answered 502");
	both = request_full(fx, "GET", "/api/both", NULL, NULL);
	ready = request_full(fx, "GET", "/readyz", NULL, NULL);
	ms_log_assert_expected_messages();

	g_assert_cmpuint(both->status, ==, 200);
	g_assert_cmpuint(ready->status, ==, 503);
	assert_upstream_state(ready, "stale", "failing", "traffic");
	assert_upstream_state(ready, "hello", "up", "traffic");
}

static void
test_health_config_state(Fixture *fx, gconstpointer data)
{
	use_routes(fx, "");
	ms_gateway_set_config_state(fx->gateway, "degraded", "gateway.conf:3: bad value");
	{
		g_autoptr(MsTestResponse) ready = request_full(fx, "GET", "/readyz", NULL, NULL);
		JsonObject *config =
			json_object_get_object_member(ms_test_response_get_object(ready), "config");

		g_assert_cmpuint(ready->status, ==, 503);
		g_assert_cmpstr(ms_test_response_get_string(ready, "status"), ==, "degraded");
		g_assert_cmpstr(json_object_get_string_member(config, "state"), ==, "degraded");
		g_assert_cmpstr(json_object_get_string_member(config, "message"),
				==,
				"gateway.conf:3: bad value");
	}
	ms_gateway_set_config_state(fx->gateway, "ok", NULL);
	{
		g_autoptr(MsTestResponse) ready = request_full(fx, "GET", "/readyz", NULL, NULL);
		JsonObject *config =
			json_object_get_object_member(ms_test_response_get_object(ready), "config");

		g_assert_cmpuint(ready->status, ==, 200);
		g_assert_cmpstr(json_object_get_string_member(config, "state"), ==, "ok");
		g_assert_false(json_object_has_member(config, "message"));
	}
}

/* what an exchange says lasts MS_HEALTH_RECENT_USEC, then the socket speaks again */
static void
test_health_expiry(void)
{
	g_autoptr(MsHealth) health = ms_health_new();
	g_autoptr(MsGatewayConfig) config = ms_gateway_test_config_new(
		"[route web]\nprefix = /api/web\nupstream = http://192.0.2.1:80\n");
	MsHealthRecord *record = ms_health_get_record(health, "http://192.0.2.1:80");
	gint64 t = 1000 * G_USEC_PER_SEC;
	const struct {
		gint64 at;
		const char *state;
		gboolean ready;
	} checks[] = {
		{ t, "failing", FALSE },
		{ t + MS_HEALTH_RECENT_USEC - 1, "failing", FALSE },
		{ t + MS_HEALTH_RECENT_USEC, "unknown", TRUE },
	};

	ms_health_record_failed(record, t, "refused");
	for (guint i = 0; i < G_N_ELEMENTS(checks); i++) {
		gboolean ready = FALSE;
		g_autoptr(JsonNode) node =
			ms_health_readiness(health, config, checks[i].at, &ready);
		JsonObject *web = json_array_get_object_element(
			json_object_get_array_member(json_node_get_object(node), "upstreams"),
			0);

		g_assert_cmpstr(json_object_get_string_member(web, "state"), ==, checks[i].state);
		g_assert_cmpint(ready, ==, checks[i].ready);
	}
	/* a success within the refresh interval of another is not stored again, a failure is */
	ms_health_record_answered(record, t);
	ms_health_record_answered(record, t + G_USEC_PER_SEC / 2);
	{
		gboolean ready = FALSE;
		g_autoptr(JsonNode) node =
			ms_health_readiness(health,
					    config,
					    t + MS_HEALTH_RECENT_USEC + G_USEC_PER_SEC / 4,
					    &ready);
		/* the second success was not stored: the first has expired */
		g_assert_true(ready);
		g_assert_cmpstr(
			json_object_get_string_member(
				json_array_get_object_element(
					json_object_get_array_member(json_node_get_object(node),
								     "upstreams"),
					0),
				"state"),
			==,
			"unknown");
	}
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	ms_i18n_init();
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/gateway/proxy/pass-through", test_pass_through);
	ADD("/gateway/proxy/request-id-made", test_request_id_made);
	ADD("/gateway/proxy/request-ids-differ", test_request_ids_differ);
	ADD("/gateway/proxy/access-message-long", test_access_message_long);
	ADD("/gateway/proxy/not-found", test_not_found);
	ADD("/gateway/proxy/not-found-thai", test_not_found_thai);
	ADD("/gateway/proxy/method-not-allowed", test_method_not_allowed);
	ADD("/gateway/proxy/missing-socket", test_missing_socket);
	ADD("/gateway/proxy/timeout", test_timeout);
	ADD("/gateway/proxy/body-too-large", test_body_too_large);
	ADD("/gateway/proxy/body-forwarded", test_body_forwarded);
	ADD("/gateway/proxy/headers", test_headers);
	ADD("/gateway/proxy/head", test_head);
	ADD("/gateway/proxy/http-upstream", test_http_upstream);
	ADD("/gateway/proxy/streamed-chunked", test_streamed_chunked);
	ADD("/gateway/proxy/upstream-closes-pooled", test_upstream_closes_pooled);
	ADD("/gateway/proxy/retry-after-broken-pooled", test_retry_after_broken_pooled);
	ADD("/gateway/proxy/reload", test_reload);
	ADD("/gateway/proxy/health", test_health);
	ADD("/gateway/proxy/health-no-connect", test_health_no_connect);
	ADD("/gateway/proxy/health-traffic", test_health_traffic);
	ADD("/gateway/proxy/health-aggregate-part", test_health_aggregate_part);
	ADD("/gateway/proxy/health-config-state", test_health_config_state);
	g_test_add_func("/gateway/proxy/health-expiry", test_health_expiry);
	return g_test_run();
}
