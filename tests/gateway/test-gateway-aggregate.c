/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "common/ms-log.h"
#include "core/services/ms-phrase-greeter.h"
#include "gateway/service/ms-aggregate.h"
#include "gateway/core/policy/ms-credentials.h"
#include "gateway/core/ms-aggregate-plan.h"
#include "gateway/service/ms-gateway.h"
#include "handlers/ms-greeter-handler.h"
#include "ms-gateway-test.h"
#include "ms-test-utils.h"

/*
 * Integration: aggregation routes of the gateway in-process on real sockets, in
 * front of the real hello and world handlers and of a test upstream that holds
 * requests, echoes, and answers badly; driven by an async SoupSession.
 */

typedef struct {
	MsTestServer *hello;
	MsTestServer *world;
	MsTestServer *odd;
	MsGatewayTestFront *front;
	char *missing; /* a socket path nothing listens on */
	MsGateway *gateway;
	SoupSession *session;
	GPtrArray *log;      /* GHashTable per log entry: field → value */
	GPtrArray *held;     /* SoupServerMessage: requests never answered */
	GPtrArray *trickles; /* Trickle: answers that go on and on */
	GPtrArray *pair;     /* SoupServerMessage: requests of a pair, answered together */
	guint pairs_served;  /* pairs answered, each when its second request came in */
} Fixture;

static void
answer_path(SoupServerMessage *msg)
{
	const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
	g_autofree char *text = g_strdup_printf("{\"path\":\"%s\"}", path);

	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/json",
					 SOUP_MEMORY_COPY,
					 text,
					 strlen(text));
}

/*
 * answers a request of a pair only when the other one is in as well: the parts
 * of an aggregation must be sent at once for either to be answered
 */
static void
join_pair(Fixture *fx, SoupServerMessage *msg)
{
	soup_server_message_pause(msg);
	g_ptr_array_add(fx->pair, g_object_ref(msg));
	if (fx->pair->len < 2)
		return;
	for (guint i = 0; i < fx->pair->len; i++) {
		SoupServerMessage *waiting = g_ptr_array_index(fx->pair, i);

		answer_path(waiting);
		soup_server_message_unpause(waiting);
	}
	g_ptr_array_set_size(fx->pair, 0);
	fx->pairs_served++;
}

/* a 200 whose JSON body comes in chunks, appended by the caller */
static void
begin_chunked_json(SoupServerMessage *msg)
{
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_message_headers_set_encoding(soup_server_message_get_response_headers(msg),
					  SOUP_ENCODING_CHUNKED);
	soup_message_headers_set_content_type(soup_server_message_get_response_headers(msg),
					      "application/json",
					      NULL);
}

static void
send_big(SoupServerMessage *msg)
{
	SoupMessageBody *body = soup_server_message_get_response_body(msg);

	begin_chunked_json(msg);
	soup_message_body_append(body, SOUP_MEMORY_STATIC, "\"", 1);
	for (guint i = 0; i < 300; i++) {
		char chunk[1024];
		memset(chunk, 'a', sizeof chunk);
		soup_message_body_append(body, SOUP_MEMORY_COPY, chunk, sizeof chunk);
	}
	soup_message_body_append(body, SOUP_MEMORY_STATIC, "\"", 1);
	soup_message_body_complete(body);
}

/* JSON as a service may spell it: none of it is what json-glib would write */
static const char spaced_json[] = "{ \"a\" : [1, 2.50, 1e400, 123456789012345678901234567890],\n"
				  "  \"s\" : \"\\u00e9\\/\" }\n";

/* a JSON string of exactly @length bytes, quotes included */
static void
send_string_of(SoupServerMessage *msg, gsize length)
{
	char *text = g_malloc(length);

	memset(text, 'a', length);
	text[0] = '"';
	text[length - 1] = '"';
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_TAKE, text, length);
}

/* arrays nested far deeper than any recursive parser's stack can follow */
static void
send_deep(SoupServerMessage *msg)
{
	const gsize depth = 100 * 1000;
	char *text = g_malloc(2 * depth);

	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/json",
					 SOUP_MEMORY_TAKE,
					 text,
					 2 * depth);
}

/* an answer whose body comes a space every TRICKLE_MS, and ends only after TRICKLE_ENDS_MS */
#define TRICKLE_MS      50
#define TRICKLE_ENDS_MS 3000

typedef struct {
	SoupServerMessage *msg;
	guint timer;
	guint sent;
} Trickle;

static void
trickle_free(Trickle *trickle)
{
	g_clear_handle_id(&trickle->timer, g_source_remove);
	g_clear_object(&trickle->msg);
	g_free(trickle);
}

/* the gateway hung up: nothing more goes out */
static void
on_trickle_finished(SoupServerMessage *msg, Trickle *trickle)
{
	g_clear_handle_id(&trickle->timer, g_source_remove);
}

static gboolean
trickle_more(gpointer user_data)
{
	Trickle *trickle = user_data;
	SoupMessageBody *body = soup_server_message_get_response_body(trickle->msg);
	gboolean ends = ++trickle->sent * TRICKLE_MS >= TRICKLE_ENDS_MS;

	/* spaces are JSON's whitespace: the body is JSON once the value comes */
	soup_message_body_append(body, SOUP_MEMORY_STATIC, ends ? "1" : " ", 1);
	if (ends) {
		soup_message_body_complete(body);
		trickle->timer = 0;
	}
	soup_server_message_unpause(trickle->msg);
	return ends ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
send_trickle(Fixture *fx, SoupServerMessage *msg)
{
	Trickle *trickle = g_new0(Trickle, 1);

	trickle->msg = g_object_ref(msg);
	begin_chunked_json(msg);
	g_signal_connect(msg, "finished", G_CALLBACK(on_trickle_finished), trickle);
	trickle->timer = g_timeout_add(TRICKLE_MS, trickle_more, trickle);
	g_ptr_array_add(fx->trickles, trickle);
}

static void
send_json(SoupServerMessage *msg, guint status, const char *content_type, const char *text)
{
	soup_server_message_set_status(msg, status, NULL);
	soup_server_message_set_response(msg, content_type, SOUP_MEMORY_STATIC, text, strlen(text));
}

/*
 * the test upstream: /slow and /hold never answer, /pair-a and /pair-b answer
 * once both are in, /echo returns what it was asked, /text is not JSON, /oops a
 * 503 problem (its media type spelt as a service may), /big a JSON string over
 * the part bound; /spaced is JSON as no generator writes it, /lenient what
 * json-glib takes and JSON is not, /deep nesting no stack can follow, /exact a
 * JSON string of the part bound's length, /over one byte longer, /listed a 503
 * problem+json that is no object, /trickle an answer that keeps coming
 */
static void
odd_handler(SoupServer *server,
	    SoupServerMessage *msg,
	    const char *path,
	    GHashTable *query,
	    gpointer user_data)
{
	static const char oops[] = "{\"type\":\"urn:test:oops\",\"title\":\"Oops\",\"status\":503}";
	Fixture *fx = user_data;

	if (g_strcmp0(path, "/slow") == 0 || g_strcmp0(path, "/hold") == 0) {
		/* only the gateway's timeout or the client's going ends it */
		soup_server_message_pause(msg);
		g_ptr_array_add(fx->held, g_object_ref(msg));
	} else if (g_str_has_prefix(path, "/pair-")) {
		join_pair(fx, msg);
	} else if (g_str_has_prefix(path, "/echo")) {
		ms_gateway_test_send_echo(msg, path, SOUP_STATUS_OK);
	} else if (g_strcmp0(path, "/text") == 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
		soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_STATIC, "hi", 2);
	} else if (g_strcmp0(path, "/oops") == 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, NULL);
		soup_server_message_set_response(msg,
						 "Application/Problem+JSON ; charset=utf-8",
						 SOUP_MEMORY_STATIC,
						 oops,
						 strlen(oops));
	} else if (g_strcmp0(path, "/big") == 0) {
		send_big(msg);
	} else if (g_strcmp0(path, "/spaced") == 0) {
		send_json(msg, SOUP_STATUS_OK, "application/json", spaced_json);
	} else if (g_strcmp0(path, "/lenient") == 0) {
		send_json(msg, SOUP_STATUS_OK, "application/json", "{'a':1}");
	} else if (g_strcmp0(path, "/deep") == 0) {
		send_deep(msg);
	} else if (g_strcmp0(path, "/exact") == 0) {
		send_string_of(msg, MS_AGGREGATE_MAX_PART_BYTES);
	} else if (g_strcmp0(path, "/over") == 0) {
		send_string_of(msg, MS_AGGREGATE_MAX_PART_BYTES + 1);
	} else if (g_strcmp0(path, "/trickle") == 0) {
		send_trickle(fx, msg);
	} else if (g_strcmp0(path, "/listed") == 0) {
		send_json(msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "application/problem+json", "[1]");
	} else {
		soup_server_message_set_status(msg, SOUP_STATUS_NOT_FOUND, NULL);
	}
}

/* routes to the test upstream with nothing but a prefix and the upstream */
static const char *const plain_odd_routes[] = { "spaced", "lenient", "deep",
						"exact",  "over",    "listed" };

static char *
config_text(Fixture *fx)
{
	const char *odd = fx->odd->socket_path;
	GString *text = g_string_new(NULL);

	g_string_printf(
		text,
		"[route hello]\nprefix = /api/hello\nupstream = unix:%s\n\n"
		"[route world]\nprefix = /api/world\nupstream = unix:%s\n\n"
		"[route missing]\nprefix = /api/missing\nupstream = unix:%s\n\n"
		"[route slow]\nprefix = /api/slow\nupstream = unix:%s\ntimeout_ms = 200\n\n"
		"[route trickle]\nprefix = /api/trickle\nupstream = unix:%s\ntimeout_ms = 200\n\n"
		"[route hold]\nprefix = /api/hold\nupstream = unix:%s\n\n"
		"[route pair-a]\nprefix = /api/pair-a\nupstream = unix:%s\ntimeout_ms = 5000\n\n"
		"[route pair-b]\nprefix = /api/pair-b\nupstream = unix:%s\ntimeout_ms = 5000\n\n"
		"[route echo]\nprefix = /api/echo\nupstream = unix:%s\n\n"
		"[route text]\nprefix = /api/text\nupstream = unix:%s\n\n"
		"[route oops]\nprefix = /api/oops\nupstream = unix:%s\n\n"
		"[route big]\nprefix = /api/big\nupstream = unix:%s\n\n"
		"[route both]\nprefix = /api/both\nupstreams = hello, world\n"
		"methods = GET, HEAD\n\n"
		"[route half]\nprefix = /api/half\nupstreams = hello, missing\n\n"
		"[route late]\nprefix = /api/late\nupstreams = hello, slow\n\n"
		"[route dribble]\nprefix = /api/dribble\nupstreams = hello, trickle\n\n"
		"[route none]\nprefix = /api/none\nupstreams = missing, slow\n\n"
		"[route pairs]\nprefix = /api/pairs\nupstreams = pair-a, pair-b\n\n"
		"[route gone]\nprefix = /api/gone\nupstreams = hello, hold\n\n"
		"[route echoes]\nprefix = /api/echoes\nupstreams = echo\n\n"
		"[route bad]\nprefix = /api/bad\nupstreams = text, oops, big, hello\n\n"
		"[route secure]\nprefix = /api/secure\nupstreams = echo\nauth = user\n"
		"rate_limit = 1\n\n"
		"[route cached]\nprefix = /api/cached\nupstreams = echo\ncache_ttl_s = 60\n\n"
		"[route verbatim]\nprefix = /api/verbatim\nupstreams = spaced, oops\n\n"
		"[route strict]\nprefix = /api/strict\nupstreams = lenient, deep, listed, hello\n\n"
		"[route bounds]\nprefix = /api/bounds\nupstreams = exact, over\n",
		fx->hello->socket_path,
		fx->world->socket_path,
		fx->missing,
		odd,
		odd,
		odd,
		odd,
		odd,
		odd,
		odd,
		odd,
		odd);
	for (guint i = 0; i < G_N_ELEMENTS(plain_odd_routes); i++)
		g_string_append_printf(text,
				       "\n[route %s]\nprefix = /api/%s\nupstream = unix:%s\n",
				       plain_odd_routes[i],
				       plain_odd_routes[i],
				       odd);
	return g_string_free(text, FALSE);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsGatewayConfig) config = NULL;
	g_autoptr(MsGreeter) hello = ms_hello_service_new();
	g_autoptr(MsGreeter) world = ms_world_service_new();
	g_autofree char *text = NULL;
	g_autofree char *key = g_compute_checksum_for_string(G_CHECKSUM_SHA256, "the-key", -1);
	g_autofree char *keys = g_strdup_printf("ci:user:%s\n", key);

	fx->log = ms_gateway_test_log_capture();
	fx->held = g_ptr_array_new_with_free_func(g_object_unref);
	fx->trickles = g_ptr_array_new_with_free_func((GDestroyNotify)trickle_free);
	fx->pair = g_ptr_array_new_with_free_func(g_object_unref);
	fx->hello = ms_test_server_new();
	ms_greeter_handler_register(fx->hello->server, hello);
	fx->world = ms_test_server_new();
	ms_greeter_handler_register(fx->world->server, world);
	fx->odd = ms_test_server_new();
	soup_server_add_handler(fx->odd->server, NULL, odd_handler, fx, NULL);
	fx->missing = g_build_filename(fx->odd->dir, "missing.sock", NULL);

	text = config_text(fx);
	config = ms_gateway_test_config_new(text);
	fx->gateway = ms_gateway_test_new(config, NULL, keys);
	fx->front = ms_gateway_test_front_new(fx->gateway, &fx->session);
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	ms_gateway_test_front_free(fx->front, fx->session);
	g_object_unref(fx->gateway);
	ms_test_server_free(fx->hello);
	ms_test_server_free(fx->world);
	ms_test_server_free(fx->odd);
	/* their connections closed with the server */
	g_ptr_array_unref(fx->held);
	g_ptr_array_unref(fx->trickles);
	g_ptr_array_unref(fx->pair);
	/* sources of closed connections run down in the release */
	ms_gateway_test_log_release(fx->log);
	g_free(fx->missing);
}

static JsonObject *
get_part(MsTestResponse *response, const char *name)
{
	JsonObject *root = json_node_get_object(response->json);
	JsonObject *parts = json_object_get_object_member(root, "parts");

	g_assert_nonnull(parts);
	g_assert_true(json_object_has_member(parts, name));
	return json_object_get_object_member(parts, name);
}

static gboolean
is_complete(MsTestResponse *response)
{
	return json_object_get_boolean_member(json_node_get_object(response->json), "complete");
}

static void
assert_part_problem(MsTestResponse *response, const char *name, gint64 status, const char *type)
{
	JsonObject *part = get_part(response, name);

	g_assert_cmpint(json_object_get_int_member(part, "status"), ==, status);
	g_assert_cmpstr(json_object_get_string_member(part, "type"), ==, type);
	g_assert_nonnull(json_object_get_string_member(part, "title"));
}

static void
assert_aggregate_ok(MsTestResponse *response)
{
	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpstr(soup_message_headers_get_one(response->headers, "Content-Type"),
			==,
			"application/json; charset=utf-8");
	g_assert_nonnull(response->json);
}

static void
test_complete(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = { "X-Request-ID", "agg-test-1", NULL };
	g_autoptr(MsTestResponse) response =
		ms_test_request(fx->session, "GET", "/api/both?hello.name=Ada", headers, NULL);
	GHashTable *entry;

	assert_aggregate_ok(response);
	g_assert_true(is_complete(response));
	g_assert_cmpstr(json_object_get_string_member(get_part(response, "hello"), "message"),
			==,
			"Hello, Ada!");
	g_assert_cmpstr(json_object_get_string_member(get_part(response, "world"), "message"),
			==,
			"World!");
	g_assert_cmpstr(ms_test_response_get_header(response, "X-Request-ID"), ==, "agg-test-1");

	entry = ms_gateway_test_wait_access_entry(fx->log, "agg-test-1");
	g_assert_cmpstr(g_hash_table_lookup(entry, "ROUTE"), ==, "both");
	g_assert_cmpstr(g_hash_table_lookup(entry, "UPSTREAM"), ==, "hello, world");
	g_assert_cmpstr(g_hash_table_lookup(entry, "HTTP_STATUS"), ==, "200");
}

static void
test_head(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response =
		ms_test_request(fx->session, "HEAD", "/api/both", NULL, NULL);

	g_assert_cmpuint(response->status, ==, SOUP_STATUS_OK);
	g_assert_cmpuint(g_bytes_get_size(response->body), ==, 0);
	g_assert_cmpint(soup_message_headers_get_content_length(response->headers), >, 0);
}

static void
test_method_not_allowed(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response =
		ms_test_request(fx->session, "POST", "/api/both", NULL, "{}");

	g_assert_cmpuint(response->status, ==, SOUP_STATUS_METHOD_NOT_ALLOWED);
}

/* the part gets its own path, its own query parameters, and the forwarded headers */
static void
test_forwarded(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = {
		"X-Request-ID", "agg-test-2",       "Accept-Language", "th", "Authorization",
		"secret",       "X-Microsoup-User", "forged",          NULL,
	};
	g_autoptr(MsTestResponse) response = ms_test_request(fx->session,
							     "GET",
							     "/api/echoes/x?echo.a=1&b=2&other.c=3",
							     headers,
							     NULL);
	JsonObject *echo;

	assert_aggregate_ok(response);
	g_assert_true(is_complete(response));
	echo = get_part(response, "echo");
	g_assert_cmpstr(json_object_get_string_member(echo, "path"), ==, "/echo/x");
	g_assert_cmpstr(json_object_get_string_member(echo, "method"), ==, "GET");
	g_assert_cmpstr(json_object_get_string_member(echo, "query"), ==, "a=1&b=2&other.c=3");
	g_assert_cmpstr(json_object_get_string_member(echo, "x-request-id"), ==, "agg-test-2");
	g_assert_cmpstr(json_object_get_string_member(echo, "accept-language"), ==, "th");
	g_assert_cmpstr(json_object_get_string_member(echo, "x-forwarded-proto"), ==, "http");
	g_assert_false(json_object_has_member(echo, "authorization"));
	g_assert_false(json_object_has_member(echo, "x-microsoup-user"));
}

/* the warning the gateway logs for each part that fails, by its route */
static const struct {
	const char *route;
	const char *pattern;
} part_failures[] = {
	{ "missing",
	  "upstream unix:*/missing.sock of route missing failed: "
	  "unix:*/missing.sock: No such file or directory; answered 502" },
	{ "slow", "upstream unix:*/server.sock of route slow failed: timed out; answered 504" },
	{ "trickle",
	  "upstream unix:*/server.sock of route trickle failed: timed out; answered 504" },
	{ "text",
	  "upstream unix:*/server.sock of route text failed: the answer is not JSON; answered "
	  "502" },
	{ "big",
	  "upstream unix:*/server.sock of route big failed: "
	  "the answer is too large to aggregate; answered 502" },
	{ "lenient",
	  "upstream unix:*/server.sock of route lenient failed: the answer is not JSON; answered "
	  "502" },
	{ "deep",
	  "upstream unix:*/server.sock of route deep failed: the answer is not JSON; answered "
	  "502" },
	{ "over",
	  "upstream unix:*/server.sock of route over failed: "
	  "the answer is too large to aggregate; answered 502" },
};

static void
expect_part_failed(const char *route)
{
	for (guint i = 0; i < G_N_ELEMENTS(part_failures); i++) {
		if (g_str_equal(part_failures[i].route, route)) {
			ms_log_expect_message(G_LOG_LEVEL_WARNING, part_failures[i].pattern);
			return;
		}
	}
	g_assert_not_reached();
}

static void
test_missing_part(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	expect_part_failed("missing");
	response = ms_test_request(fx->session, "GET", "/api/half", NULL, NULL);
	ms_log_assert_expected_messages();
	assert_aggregate_ok(response);
	g_assert_false(is_complete(response));
	g_assert_cmpstr(json_object_get_string_member(get_part(response, "hello"), "message"),
			==,
			"Hello!");
	assert_part_problem(response, "missing", 502, "urn:microsoup:problem:unavailable");
}

static void
test_late_part(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	expect_part_failed("slow");
	response = ms_test_request(fx->session, "GET", "/api/late", NULL, NULL);
	ms_log_assert_expected_messages();
	assert_aggregate_ok(response);
	g_assert_false(is_complete(response));
	g_assert_nonnull(json_object_get_string_member(get_part(response, "hello"), "message"));
	assert_part_problem(response, "slow", 504, "urn:microsoup:problem:timed_out");
}

/*
 * A part whose bytes keep coming, each before the route's timeout, still ends at
 * that timeout: it bounds the whole part, not each wait for bytes
 */
static void
test_trickling_part(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	gint64 sent = g_get_monotonic_time();

	expect_part_failed("trickle");
	response = ms_test_request(fx->session, "GET", "/api/dribble", NULL, NULL);
	ms_log_assert_expected_messages();
	assert_aggregate_ok(response);
	g_assert_false(is_complete(response));
	assert_part_problem(response, "trickle", 504, "urn:microsoup:problem:timed_out");
	g_assert_cmpint(g_get_monotonic_time() - sent, <, TRICKLE_ENDS_MS * 1000 / 2);
}

static void
test_all_fail(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	expect_part_failed("missing");
	expect_part_failed("slow");
	response = ms_test_request(fx->session, "GET", "/api/none", NULL, NULL);
	ms_log_assert_expected_messages();
	ms_test_assert_problem(response, SOUP_STATUS_BAD_GATEWAY, "aggregate_unavailable");
	assert_part_problem(response, "missing", 502, "urn:microsoup:problem:unavailable");
	assert_part_problem(response, "slow", 504, "urn:microsoup:problem:timed_out");
}

static void
test_bad_parts(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	/* a service's own problem is no failure of the gateway's: no warning for "oops" */
	expect_part_failed("text");
	expect_part_failed("big");
	response = ms_test_request(fx->session, "GET", "/api/bad", NULL, NULL);
	ms_log_assert_expected_messages();
	assert_aggregate_ok(response);
	g_assert_false(is_complete(response));
	assert_part_problem(response, "text", 502, "urn:microsoup:problem:bad_response");
	/* a service's own problem passes through */
	assert_part_problem(response, "oops", 503, "urn:test:oops");
	assert_part_problem(response, "big", 502, "urn:microsoup:problem:part_too_large");
	g_assert_cmpstr(json_object_get_string_member(get_part(response, "hello"), "message"),
			==,
			"Hello!");
}

static void
assert_body(MsTestResponse *response, const char *expected)
{
	gsize length = 0;
	const char *data = g_bytes_get_data(response->body, &length);
	g_autofree char *text = g_strndup(data, length);

	g_assert_cmpstr(text, ==, expected);
	g_assert_cmpuint(length, ==, strlen(expected));
}

/* the answer's text, exactly: a part's body is in it byte for byte */
static void
test_bytes(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) both =
		ms_test_request(fx->session, "GET", "/api/both?hello.name=Ada", NULL, NULL);
	g_autoptr(MsTestResponse) verbatim =
		ms_test_request(fx->session, "GET", "/api/verbatim", NULL, NULL);
	g_autofree char *expected = g_strdup_printf(
		"{\"complete\":false,\"parts\":{\"spaced\":%s,"
		"\"oops\":{\"type\":\"urn:test:oops\",\"title\":\"Oops\",\"status\":503}}}",
		spaced_json);

	assert_aggregate_ok(both);
	assert_body(both,
		    "{\"complete\":true,\"parts\":{\"hello\":{\"message\":\"Hello, Ada!\"},"
		    "\"world\":{\"message\":\"World!\"}}}");
	assert_aggregate_ok(verbatim);
	assert_body(verbatim, expected);
}

/* GET @path, an aggregation with a failed part: the warnings expected, a 200 not complete */
static MsTestResponse *
request_incomplete(Fixture *fx, const char *path)
{
	MsTestResponse *response = ms_test_request(fx->session, "GET", path, NULL, NULL);

	ms_log_assert_expected_messages();
	assert_aggregate_ok(response);
	g_assert_false(is_complete(response));
	return response;
}

/*
 * only JSON as RFC 8259 has it is passed on: not what a lenient parser takes,
 * nor nesting deeper than the bound; a problem+json that is no object is the
 * gateway's own part_error
 */
static void
test_strict(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;

	expect_part_failed("lenient");
	expect_part_failed("deep");
	response = request_incomplete(fx, "/api/strict");
	assert_part_problem(response, "lenient", 502, "urn:microsoup:problem:bad_response");
	assert_part_problem(response, "deep", 502, "urn:microsoup:problem:bad_response");
	assert_part_problem(response, "listed", 502, "urn:microsoup:problem:part_error");
	g_assert_nonnull(get_part(response, "hello"));
}

/* a part may answer the bound's length, and not a byte more */
static void
test_bounds(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response = NULL;
	JsonObject *parts;

	expect_part_failed("over");
	response = request_incomplete(fx, "/api/bounds");
	parts = json_object_get_object_member(json_node_get_object(response->json), "parts");
	g_assert_cmpuint(strlen(json_object_get_string_member(parts, "exact")),
			 ==,
			 MS_AGGREGATE_MAX_PART_BYTES - 2);
	assert_part_problem(response, "over", 502, "urn:microsoup:problem:part_too_large");
}

static void
test_thai(Fixture *fx, gconstpointer data)
{
	const char *const headers[] = { "Accept-Language", "th", NULL };
	g_autoptr(MsTestResponse) half = NULL;
	g_autoptr(MsTestResponse) none = NULL;

	expect_part_failed("missing");
	expect_part_failed("missing");
	expect_part_failed("slow");
	half = ms_test_request(fx->session, "GET", "/api/half?name=Ada", headers, NULL);
	none = ms_test_request(fx->session, "GET", "/api/none", headers, NULL);
	ms_log_assert_expected_messages();
	assert_aggregate_ok(half);
	g_assert_cmpstr(json_object_get_string_member(get_part(half, "hello"), "message"),
			==,
			"สวัสดี, Ada!");
	g_assert_cmpstr(json_object_get_string_member(get_part(half, "missing"), "title"),
			==,
			"ส่วนนี้ใช้งานไม่ได้");
	g_assert_cmpstr(json_object_get_string_member(get_part(half, "missing"), "detail"),
			==,
			"ติดต่อบริการ missing ไม่ได้");
	g_assert_cmpstr(ms_test_response_get_string(none, "title"), ==, "ไม่มีส่วนใดของคำตอบที่ใช้ได้");
}

/* auth and the rate limit apply to the aggregation route itself */
static void
test_secured(Fixture *fx, gconstpointer data)
{
	const char *const auth[] = { "Authorization", "Bearer the-key", NULL };
	g_autoptr(MsTestResponse) anonymous =
		ms_test_request(fx->session, "GET", "/api/secure", NULL, NULL);
	g_autoptr(MsTestResponse) first =
		ms_test_request(fx->session, "GET", "/api/secure", auth, NULL);
	g_autoptr(MsTestResponse) second =
		ms_test_request(fx->session, "GET", "/api/secure", auth, NULL);
	JsonObject *echo;

	g_assert_cmpuint(anonymous->status, ==, SOUP_STATUS_UNAUTHORIZED);
	assert_aggregate_ok(first);
	echo = get_part(first, "echo");
	g_assert_cmpstr(json_object_get_string_member(echo, "x-microsoup-user"), ==, "ci");
	g_assert_cmpstr(json_object_get_string_member(echo, "x-microsoup-role"), ==, "user");
	g_assert_false(json_object_has_member(echo, "authorization"));
	g_assert_cmpuint(second->status, ==, 429);
}

/* a complete answer is cached like a proxied one */
static void
test_cached(Fixture *fx, gconstpointer data)
{
	const char *const first_id[] = { "X-Request-ID", "agg-cache-1", NULL };
	g_autoptr(MsTestResponse) first =
		ms_test_request(fx->session, "GET", "/api/cached", first_id, NULL);
	g_autoptr(MsTestResponse) second =
		ms_test_request(fx->session, "GET", "/api/cached", NULL, NULL);

	assert_aggregate_ok(first);
	g_assert_cmpstr(ms_test_response_get_header(first, "X-Cache"), ==, "MISS");
	assert_aggregate_ok(second);
	g_assert_cmpstr(ms_test_response_get_header(second, "X-Cache"), ==, "HIT");
	/* the stored answer is the first one, with the first request's id inside */
	g_assert_cmpstr(json_object_get_string_member(get_part(second, "echo"), "x-request-id"),
			==,
			"agg-cache-1");
}

static void
on_cancelled_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	gboolean *done = user_data;
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GError) error = NULL;

	stream = soup_session_send_finish(SOUP_SESSION(source), result, &error);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
	*done = TRUE;
}

static gboolean
part_held(gpointer user_data)
{
	Fixture *fx = user_data;

	return fx->held->len > 0;
}

/* the client goes away while a part is still running: its connection is dropped */
static void
test_client_gone(Fixture *fx, gconstpointer data)
{
	g_autoptr(SoupMessage) msg = soup_message_new("GET", "http://localhost/api/gone");
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	gboolean done = FALSE;
	GHashTable *entry;

	soup_message_headers_replace(soup_message_get_request_headers(msg),
				     "X-Request-ID",
				     "agg-gone-1");
	soup_session_send_async(fx->session,
				msg,
				G_PRIORITY_DEFAULT,
				cancellable,
				on_cancelled_sent,
				&done);
	/* the held part keeps the request open until the client goes */
	ms_test_wait_until(part_held, fx, 5000);
	g_cancellable_cancel(cancellable);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
	entry = ms_gateway_test_wait_access_entry(fx->log, "agg-gone-1");
	g_assert_cmpstr(g_hash_table_lookup(entry, "ROUTE"), ==, "gone");
	g_assert_true(
		g_str_has_suffix(g_hash_table_lookup(entry, "MESSAGE"), "(client went away)"));
}

/* the parts run at once: each of the pair is answered only when the other is in */
static void
test_concurrent(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsTestResponse) response =
		ms_test_request(fx->session, "GET", "/api/pairs", NULL, NULL);

	assert_aggregate_ok(response);
	g_assert_true(is_complete(response));
	g_assert_cmpstr(json_object_get_string_member(get_part(response, "pair-a"), "path"),
			==,
			"/pair-a");
	g_assert_cmpstr(json_object_get_string_member(get_part(response, "pair-b"), "path"),
			==,
			"/pair-b");
	g_assert_cmpuint(fx->pairs_served, ==, 1);
}

static void
test_part_query(void)
{
	const char *const both[] = { "hello", "world", NULL };
	MsRoute route = { .name = "both", .prefix = "/api/both", .upstreams = (GStrv)both };
	MsRoute hello = { .name = "hello", .prefix = "/api/hello" };
	MsRoute world = { .name = "world", .prefix = "/api/world" };
	struct {
		const char *query;
		const char *hello;
		const char *world;
	} cases[] = {
		{ NULL, NULL, NULL },
		{ "", NULL, NULL },
		{ "name=Ada", "name=Ada", "name=Ada" },
		{ "hello.name=Ada", "name=Ada", NULL },
		{ "hello.name=Ada&x=1&world.y", "name=Ada&x=1", "x=1&y" },
		{ "a.b=1&&hello.=2", "a.b=1&=2", "a.b=1" },
		{ "x=hello.y", "x=hello.y", "x=hello.y" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *h = ms_aggregate_part_query(&route, &hello, cases[i].query);
		g_autofree char *w = ms_aggregate_part_query(&route, &world, cases[i].query);
		g_assert_cmpstr(h, ==, cases[i].hello);
		g_assert_cmpstr(w, ==, cases[i].world);
	}
	{
		g_autofree char *path = ms_aggregate_part_path(&route, &world, "/api/both/x");
		g_assert_cmpstr(path, ==, "/world/x");
	}
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	g_test_add_func("/gateway/aggregate/part-query", test_part_query);
	ADD("/gateway/aggregate/complete", test_complete);
	ADD("/gateway/aggregate/head", test_head);
	ADD("/gateway/aggregate/method-not-allowed", test_method_not_allowed);
	ADD("/gateway/aggregate/forwarded", test_forwarded);
	ADD("/gateway/aggregate/missing-part", test_missing_part);
	ADD("/gateway/aggregate/late-part", test_late_part);
	ADD("/gateway/aggregate/trickling-part", test_trickling_part);
	ADD("/gateway/aggregate/all-fail", test_all_fail);
	ADD("/gateway/aggregate/bad-parts", test_bad_parts);
	ADD("/gateway/aggregate/bytes", test_bytes);
	ADD("/gateway/aggregate/strict", test_strict);
	ADD("/gateway/aggregate/bounds", test_bounds);
	ADD("/gateway/aggregate/thai", test_thai);
	ADD("/gateway/aggregate/secured", test_secured);
	ADD("/gateway/aggregate/cached", test_cached);
	ADD("/gateway/aggregate/client-gone", test_client_gone);
	ADD("/gateway/aggregate/concurrent", test_concurrent);
#undef ADD
	return g_test_run();
}
