/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "ms-test-utils.h"
#include "ms-wire-client.h"
#include "ms-wire-recorder.h"

/*
 * Raw-byte attacks on the built microsoup-gateway, in front of a recorder that
 * keeps the exact bytes it was sent. Each case checks both sides: what the
 * client was answered, and what reached the upstream (often: nothing). A
 * gateway that answers right but forwards a smuggled or rewritten request
 * still fails.
 */

#define USER_KEY   "user-key-for-attack-tests"
#define ADMIN_KEY  "admin-key-for-attack-tests"
#define USER_AUTH  "Authorization: Bearer " USER_KEY "\r\n"
#define ADMIN_AUTH "Authorization: Bearer " ADMIN_KEY "\r\n"
/* how long the recorder is waited for: a request that does not come fails */
#define WAIT_MS        10000
#define PROBLEM_PREFIX "urn:microsoup:problem:"

typedef struct {
	char *dir;
	MsWireRecorder *recorder;
	MsTestProcess *gateway;
} Fixture;

static void
write_file(const char *dir, const char *name, const char *contents)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
}

static void
fixture_setup(Fixture *fx, gconstpointer data)
{
	g_autofree char *credentials = NULL;
	g_autofree char *credentials_env = NULL;
	g_autofree char *api_keys = NULL;
	g_autofree char *config = NULL;
	g_autofree char *user_digest =
		g_compute_checksum_for_string(G_CHECKSUM_SHA256, USER_KEY, -1);
	g_autofree char *admin_digest =
		g_compute_checksum_for_string(G_CHECKSUM_SHA256, ADMIN_KEY, -1);
	const char *rec;

	fx->dir = ms_test_dir_new();
	fx->recorder = ms_wire_recorder_new();
	rec = ms_wire_recorder_get_socket_path(fx->recorder);

	/* API keys: yescrypt would cost every authenticated request */
	credentials = g_build_filename(fx->dir, "credentials", NULL);
	g_assert_cmpint(g_mkdir(credentials, 0700), ==, 0);
	api_keys = g_strdup_printf("alice:user:%s\nroot:admin:%s\n", user_digest, admin_digest);
	write_file(credentials, "api-keys", api_keys);

	/*
	 * One worker: the upstream pool is then one pool, so "the next request
	 * came on a new connection" says the bad one was not reused. A short
	 * upstream timeout keeps a gateway that waits on a broken answer within
	 * the client's read timeout.
	 */
	config = g_strdup_printf("[gateway]\nworkers = 1\n\n"
				 "[route rec]\nprefix = /api/rec\nupstream = unix:%s\n"
				 "methods = GET, HEAD, POST\nauth = none\ntimeout_ms = 3000\n\n"
				 "[route rec-admin]\nprefix = /api/rec/admin\nupstream = unix:%s\n"
				 "auth = admin\n\n"
				 "[route calc]\nprefix = /api/calc\nupstream = unix:%s\n"
				 "methods = GET, HEAD, POST\nauth = user\n\n"
				 "[route calc-history]\nprefix = /api/calc/history\n"
				 "upstream = unix:%s\nauth = admin\n\n"
				 "[route cached]\nprefix = /api/cached\nupstream = unix:%s\n"
				 "methods = GET, HEAD\nauth = user\ncache_ttl_s = 60\n",
				 rec,
				 rec,
				 rec,
				 rec,
				 rec);
	credentials_env = g_strconcat("CREDENTIALS_DIRECTORY=", credentials, NULL);
	fx->gateway = ms_test_gateway_spawn(fx->dir,
					    config,
					    (const char *const[]){ credentials_env, NULL });
}

static void
fixture_teardown(Fixture *fx, gconstpointer data)
{
	/* whatever a case sent, the gateway is still up and stops cleanly */
	ms_test_process_stop_cleanly(fx->gateway);
	g_clear_pointer(&fx->gateway, ms_test_process_free);
	g_clear_pointer(&fx->recorder, ms_wire_recorder_free);
	ms_test_dir_remove(fx->dir);
	g_free(fx->dir);
}

/* ---- helpers ------------------------------------------------------------ */

static MsWireConn *
connect_gateway(Fixture *fx)
{
	return ms_wire_conn_new(fx->gateway->socket_path);
}

/* a request with Host: localhost and @fields (each line CRLF-ended) */
static char *
request_new(const char *method, const char *target, const char *fields)
{
	return g_strdup_printf("%s %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n",
			       method,
			       target,
			       fields != NULL ? fields : "");
}

/* sends @raw on a connection of its own and reads the first answer */
static MsWireResponse *
send_raw(Fixture *fx, const char *raw, MsWireConn **conn_out)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	MsWireResponse *response;

	/* a server may answer and close before taking everything */
	ms_wire_conn_send(conn, raw, strlen(raw));
	response = ms_wire_conn_read_response(conn, FALSE);
	if (conn_out != NULL)
		*conn_out = g_steal_pointer(&conn);
	return response;
}

static MsWireResponse *
send_get(Fixture *fx, const char *target, const char *fields)
{
	g_autofree char *raw = request_new("GET", target, fields);

	return send_raw(fx, raw, NULL);
}

/* Returns: (transfer none): the @n-th request recorded (from 1), waited for */
static const MsWireRecord *
wait_record(Fixture *fx, guint n)
{
	g_autoptr(GPtrArray) requests = NULL;

	g_assert_true(ms_wire_recorder_wait_requests(fx->recorder, n, WAIT_MS));
	requests = ms_wire_recorder_get_requests(fx->recorder);
	return requests->pdata[n - 1];
}

static guint
n_recorded(Fixture *fx)
{
	g_autoptr(GPtrArray) requests = ms_wire_recorder_get_requests(fx->recorder);

	return requests->len;
}

/*
 * Asserts the recorder got no request beyond the @before it had. Nothing can be
 * waited for, so a sentinel request goes through the same gateway and worker
 * after the attack was answered: once it is recorded, anything the attack made
 * the gateway forward was recorded before it.
 */
static void
assert_nothing_recorded_since(Fixture *fx, guint before)
{
	g_autoptr(MsWireResponse) response = send_get(fx, "/api/rec/sentinel", NULL);
	const MsWireRecord *record;
	g_autofree char *path = NULL;

	g_assert_cmpuint(response->status, ==, 200);
	record = wait_record(fx, before + 1);
	path = ms_wire_record_get_path(record);
	if (g_strcmp0(path, "/rec/sentinel") != 0)
		g_test_message("forwarded although refused:\n%s", record->head);
	g_assert_cmpstr(path, ==, "/rec/sentinel");
	g_assert_cmpuint(n_recorded(fx), ==, before + 1);
}

static void
assert_nothing_recorded(Fixture *fx)
{
	assert_nothing_recorded_since(fx, 0);
}

static guint
count_values(const MsWireRecord *record, const char *name)
{
	g_auto(GStrv) values = ms_wire_record_get_all(record, name);

	return g_strv_length(values);
}

/* the one value of @name, asserting there is exactly one */
static const char *
single_value(const MsWireRecord *record, const char *name)
{
	if (count_values(record, name) != 1)
		g_test_message("%s in:\n%s", name, record->head);
	g_assert_cmpuint(count_values(record, name), ==, 1);
	return ms_wire_record_get_one(record, name);
}

static void
assert_no_field(const MsWireRecord *record, const char *name)
{
	if (count_values(record, name) != 0)
		g_test_message("%s forwarded in:\n%s", name, record->head);
	g_assert_cmpuint(count_values(record, name), ==, 0);
}

/* the default answer the recorder gives to @path */
static void
assert_recorder_answer(MsWireResponse *response, const char *path)
{
	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpstr(ms_wire_response_get_string(response, "path"), ==, path);
}

/* ---- refused requests: one table, one meson test each -------------------- */

typedef struct {
	const char *name;
	const char *raw;
	guint status;
	const char *type;
} Refusal;

#define GET_REC(fields) "GET /api/rec/x HTTP/1.1\r\nHost: localhost\r\n" fields "\r\n"

static const Refusal refusals[] = {
	/* one canonical path: whatever spelling names the admin route is the admin route */
	{ "path-dotdot-user-403",
	  "GET /api/calc/x/../history HTTP/1.1\r\nHost: localhost\r\n" USER_AUTH "\r\n",
	  403,
	  "forbidden" },
	{ "path-dot-user-403",
	  "GET /api/calc/./history HTTP/1.1\r\nHost: localhost\r\n" USER_AUTH "\r\n",
	  403,
	  "forbidden" },
	{ "path-pct-user-403",
	  "GET /api/calc/%68istory HTTP/1.1\r\nHost: localhost\r\n" USER_AUTH "\r\n",
	  403,
	  "forbidden" },
	{ "path-double-slash-user-403",
	  "GET /api/calc//history HTTP/1.1\r\nHost: localhost\r\n" USER_AUTH "\r\n",
	  403,
	  "forbidden" },
	/* a fragment is never sent: whatever follows '#' would route differently */
	{ "fragment-user-400",
	  "GET /api/calc/history#x HTTP/1.1\r\nHost: localhost\r\n" USER_AUTH "\r\n",
	  400,
	  "bad_request" },
	{ "fragment-none-400",
	  "GET /api/rec/admin#x HTTP/1.1\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	/* what no canonical path can hold, or cannot say the same upstream */
	{ "pct-nul-400",
	  "GET /api/rec/a%00b HTTP/1.1\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	{ "pct-slash-400",
	  "GET /api/rec/a%2Fb HTTP/1.1\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	{ "pct-backslash-400",
	  "GET /api/rec/a%5Cb HTTP/1.1\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	{ "raw-backslash-400",
	  "GET /api/rec/a\\b HTTP/1.1\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	{ "pct-invalid-400",
	  "GET /api/rec/a%zz HTTP/1.1\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	{ "climb-above-root-400",
	  "GET /api/rec/../../../x HTTP/1.1\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	/* Host is one valid authority */
	{ "host-space-400", "GET /api/rec/x HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "bad_request" },
	{ "host-userinfo-400", "GET /api/rec/x HTTP/1.1\r\nHost: a@b\r\n\r\n", 400, "bad_request" },
	{ "host-slash-400", "GET /api/rec/x HTTP/1.1\r\nHost: x/y\r\n\r\n", 400, "bad_request" },
	{ "host-twice-400",
	  "GET /api/rec/x HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n",
	  400,
	  "bad_request" },
	/* a field name is a token: anything else is read differently by someone */
	{ "field-name-space-400", GET_REC("X Foo: 1\r\n"), 400, "bad_request" },
	{ "field-name-paren-400", GET_REC("X(Foo: 1\r\n"), 400, "bad_request" },
	{ "field-name-quote-400", GET_REC("X\"Foo: 1\r\n"), 400, "bad_request" },
	{ "field-name-at-400", GET_REC("X@Foo: 1\r\n"), 400, "bad_request" },
	{ "field-name-brace-400", GET_REC("X{Foo: 1\r\n"), 400, "bad_request" },
	{ "obs-fold-400", GET_REC("X-Foo: a\r\n b\r\n"), 400, "bad_request" },
	{ "obs-fold-tab-400", GET_REC("X-Foo: a\r\n\tb\r\n"), 400, "bad_request" },
	{ "expect-unknown-417", GET_REC("Expect: something-else\r\n"), 417, "expectation_failed" },
};

static void
test_refused(Fixture *fx, gconstpointer data)
{
	const Refusal *refusal = data;
	g_autoptr(MsWireResponse) response = send_raw(fx, refusal->raw, NULL);

	ms_wire_assert_problem(response, refusal->status, refusal->type);
	assert_nothing_recorded(fx);
}

/* ---- canonical path ------------------------------------------------------ */

static void
test_path_dotdot_admin(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response = send_get(fx, "/api/calc/x/../history", ADMIN_AUTH);
	const MsWireRecord *record;

	/* the upstream sees the canonical path, less the /api prefix */
	assert_recorder_answer(response, "/calc/history");
	record = wait_record(fx, 1);
	g_assert_cmpstr(record->target, ==, "/calc/history");
}

static void
test_absolute_form(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response =
		send_raw(fx,
			 "GET http://localhost/api/rec/x HTTP/1.1\r\nHost: localhost\r\n\r\n",
			 NULL);
	const MsWireRecord *record;

	assert_recorder_answer(response, "/rec/x");
	record = wait_record(fx, 1);
	g_assert_cmpstr(record->target, ==, "/rec/x");
}

/* ---- strict field syntax ------------------------------------------------- */

static void
test_content_length_space(Fixture *fx, gconstpointer data)
{
	const char *smuggled = "GET /api/rec/smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n";
	g_autofree char *raw = g_strdup_printf("POST /api/rec/x HTTP/1.1\r\nHost: localhost\r\n"
					       "Content-Length : %zu\r\n\r\n%s",
					       strlen(smuggled),
					       smuggled);
	g_autoptr(MsWireConn) conn = NULL;
	g_autoptr(MsWireResponse) response = send_raw(fx, raw, &conn);

	/* one answer, and no second one for bytes that were meant as a body */
	ms_wire_assert_problem(response, 400, "bad_request");
	g_assert_true(ms_wire_conn_wait_closed(conn, TRUE));
	assert_nothing_recorded(fx);
}

static void
test_underscore_field(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response =
		send_get(fx,
			 "/api/rec/x",
			 "X_Microsoup_User: admin\r\nX_Microsoup_Role: admin\r\n");
	const MsWireRecord *record;

	/* a backend that maps '_' to '-' (CGI, WSGI) would take it as the gateway's */
	assert_recorder_answer(response, "/rec/x");
	record = wait_record(fx, 1);
	for (guint i = 0; i < record->names->len; i++) {
		if (strchr(record->names->pdata[i], '_') != NULL)
			g_test_message("forwarded:\n%s", record->head);
		g_assert_null(strchr(record->names->pdata[i], '_'));
	}
	assert_no_field(record, "X-Microsoup-User");
	assert_no_field(record, "X-Microsoup-Role");
}

/* ---- what the gateway asserts -------------------------------------------- */

static void
test_connection_asserted(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response =
		send_get(fx,
			 "/api/calc/x",
			 USER_AUTH "Connection: X-Microsoup-User, X-Microsoup-Role, X-Request-ID, "
				   "X-Forwarded-For, X-Forwarded-Proto\r\n");
	const MsWireRecord *record;

	/* Connection names the client's own fields, never the gateway's */
	assert_recorder_answer(response, "/calc/x");
	record = wait_record(fx, 1);
	g_assert_cmpstr(single_value(record, "X-Microsoup-User"), ==, "alice");
	g_assert_cmpstr(single_value(record, "X-Microsoup-Role"), ==, "user");
	g_assert_cmpstr(single_value(record, "X-Request-ID"),
			==,
			ms_wire_response_get_header(response, "X-Request-ID"));
	g_assert_nonnull(single_value(record, "X-Forwarded-For"));
	g_assert_cmpstr(single_value(record, "X-Forwarded-Proto"), ==, "http");
}

static void
test_connection_client_fields(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response =
		send_get(fx, "/api/calc/x", USER_AUTH "Connection: X-Foo\r\nX-Foo: 1\r\n");
	const MsWireRecord *record;
	g_auto(GStrv) connection = NULL;

	assert_recorder_answer(response, "/calc/x");
	record = wait_record(fx, 1);
	assert_no_field(record, "X-Foo");
	/* the gateway's own Connection with the upstream, if any, is not the client's */
	connection = ms_wire_record_get_all(record, "Connection");
	for (guint i = 0; connection[i] != NULL; i++)
		g_assert_null(strstr(connection[i], "X-Foo"));
}

static void
test_request_id_repeated(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response = send_get(fx,
						      "/api/rec/x",
						      "X-Request-ID: client-id-one\r\n"
						      "X-Request-ID: client-id-two\r\n");
	const MsWireRecord *record;

	assert_recorder_answer(response, "/rec/x");
	record = wait_record(fx, 1);
	g_assert_nonnull(ms_wire_response_get_header(response, "X-Request-ID"));
	g_assert_cmpstr(single_value(record, "X-Request-ID"),
			==,
			ms_wire_response_get_header(response, "X-Request-ID"));
}

static void
test_user_field_no_auth(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response =
		send_get(fx,
			 "/api/rec/x",
			 "X-Microsoup-User: admin\r\nX-Microsoup-Role: admin\r\n");
	const MsWireRecord *record;

	assert_recorder_answer(response, "/rec/x");
	record = wait_record(fx, 1);
	assert_no_field(record, "X-Microsoup-User");
	assert_no_field(record, "X-Microsoup-Role");
}

static void
test_connection_flood(Fixture *fx, gconstpointer data)
{
	g_autoptr(GString) fields = g_string_new("Connection: b");
	g_autofree char *raw = NULL;
	g_autoptr(MsWireResponse) response = NULL;

	/*
	 * Every field checked against every Connection token is quadratic: 14,000
	 * tokens and 6,000 fields fit in the 64 KiB head limit and would be 84
	 * million comparisons (no field is listed, so no scan stops early). Any
	 * answer will do, within the client's timeout.
	 */
	for (guint i = 1; i < 14000; i++)
		g_string_append(fields, ",b");
	g_string_append(fields, "\r\n");
	for (guint i = 0; i < 6000; i++)
		g_string_append(fields, "a:1\r\n");
	raw = request_new("GET", "/api/rec/x", fields->str);
	g_assert_cmpuint(strlen(raw), <, 64 * 1024);
	response = send_raw(fx, raw, NULL);
	g_assert_cmpuint(response->status, >=, 200);
}

/* ---- upstream responses -------------------------------------------------- */

typedef struct {
	const char *name;
	const char *raw;
	gboolean close_after; /* for what only a close could end */
} BadAnswer;

#define EVIL "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nEVIL!"

static const BadAnswer bad_answers[] = {
	{ "upstream-cl-negative", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n" EVIL },
	{ "upstream-cl-list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!" EVIL },
	{ "upstream-cl-plus", "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello" EVIL },
	{ "upstream-te-and-cl",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
	  "5\r\nhello\r\n0\r\n\r\n" EVIL },
	{ "upstream-te-gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello", TRUE },
	{ "upstream-chunk-size-bad",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n" EVIL },
	{ "upstream-chunk-ext-cr",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: "
	  "chunked\r\n\r\n5;a=\rb\r\nhello\r\n0\r\n\r\n" EVIL },
	{ "upstream-status-2000", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok" EVIL },
	{ "upstream-field-name-space",
	  "HTTP/1.1 200 OK\r\nX Bad: 1\r\nContent-Length: 2\r\n\r\nok" EVIL },
	{ "upstream-obs-fold",
	  "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 2\r\n\r\nok" EVIL },
};

/*
 * Asserts the client was not given the upstream's broken answer as a good one:
 * a 502 problem, or, when the head had already been relayed, a body that does
 * not end cleanly. Never the bytes that followed the broken answer.
 */
static void
assert_refused_answer(GBytes *bytes)
{
	gsize size = 0;
	const char *data = g_bytes_get_data(bytes, &size);
	g_autofree char *text = g_strndup(data, size);
	const char *head_end = strstr(text, "\r\n\r\n");
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	const char *body;
	gsize body_size;
	guint status = 0;

	g_test_message("answer:\n%s", text);
	g_assert_null(g_strstr_len(data, size, "EVIL!"));
	g_assert_nonnull(head_end);
	g_assert_true(soup_headers_parse_response(text,
						  (int)(head_end + 4 - text),
						  headers,
						  NULL,
						  &status,
						  NULL));
	body = head_end + 4;
	body_size = size - (body - text);
	if (status == 502) {
		g_autoptr(JsonParser) parser = json_parser_new_immutable();
		g_autoptr(GError) error = NULL;
		JsonObject *object;

		g_assert_cmpstr(soup_message_headers_get_content_type(headers, NULL),
				==,
				"application/problem+json");
		g_assert_cmpint(soup_message_headers_get_content_length(headers), ==, body_size);
		json_parser_load_from_data(parser, body, (gssize)body_size, &error);
		g_assert_no_error(error);
		object = json_node_get_object(json_parser_get_root(parser));
		g_assert_cmpstr(json_object_get_string_member(object, "type"),
				==,
				PROBLEM_PREFIX "upstream_unavailable");
		return;
	}
	/* the head went out before the error: only a cut tells the client */
	g_assert_cmpuint(status, ==, 200);
	if (soup_message_headers_get_encoding(headers) == SOUP_ENCODING_CHUNKED) {
		g_assert_false(body_size >= 5 && memcmp(body + body_size - 5, "0\r\n\r\n", 5) == 0);
	} else {
		/* a close-delimited body cannot tell a cut from an end */
		g_assert_cmpint(soup_message_headers_get_encoding(headers),
				==,
				SOUP_ENCODING_CONTENT_LENGTH);
		g_assert_cmpuint(body_size, <, soup_message_headers_get_content_length(headers));
	}
}

static void
test_bad_answer(Fixture *fx, gconstpointer data)
{
	const BadAnswer *bad = data;
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	g_autoptr(GBytes) bytes = NULL;
	g_autoptr(MsWireResponse) response = NULL;
	const MsWireRecord *first;
	const MsWireRecord *after;

	/* the broken answer and, behind it, one more a reused connection would read */
	ms_wire_recorder_script_next(fx->recorder, bad->raw, bad->close_after);
	ms_wire_conn_send_str(conn,
			      "GET /api/rec/bad HTTP/1.1\r\nHost: localhost\r\n"
			      "Connection: close\r\n\r\n");
	bytes = ms_wire_conn_read_all(conn);
	assert_refused_answer(bytes);
	first = wait_record(fx, 1);

	response = send_get(fx, "/api/rec/after", NULL);
	assert_recorder_answer(response, "/rec/after");
	after = wait_record(fx, n_recorded(fx));
	g_assert_cmpstr(after->target, ==, "/rec/after");
	/* an upstream connection that spoke broken HTTP is never asked again */
	g_assert_cmpuint(after->connection, !=, first->connection);
	g_assert_cmpuint(ms_wire_recorder_get_n_connections(fx->recorder), >=, 2);
}

/* ---- cache --------------------------------------------------------------- */

static MsWireResponse *
get_cached(Fixture *fx, const char *fields)
{
	g_autofree char *all = g_strconcat(USER_AUTH, fields, NULL);

	return send_get(fx, "/api/cached/x", all);
}

static void
assert_x_cache(MsWireResponse *response, const char *expected)
{
	g_assert_cmpuint(response->status, ==, 200);
	g_assert_cmpstr(ms_wire_response_get_header(response, "X-Cache"), ==, expected);
}

static void
test_cache_vary_tenant(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_add_header(fx->recorder, "Cache-Control", "max-age=60");
	ms_wire_recorder_add_header(fx->recorder, "Vary", "X-Tenant");
	{
		g_autoptr(MsWireResponse) response = get_cached(fx, "X-Tenant: a\r\n");

		assert_x_cache(response, "MISS");
		g_assert_cmpstr(single_value(wait_record(fx, 1), "X-Tenant"), ==, "a");
	}
	{
		/* another tenant's answer is not this tenant's */
		g_autoptr(MsWireResponse) response = get_cached(fx, "X-Tenant: b\r\n");

		assert_x_cache(response, "MISS");
		g_assert_cmpstr(single_value(wait_record(fx, 2), "X-Tenant"), ==, "b");
	}
	{
		/* and Vary does not make the answer uncacheable */
		g_autoptr(MsWireResponse) response = get_cached(fx, "X-Tenant: a\r\n");

		assert_x_cache(response, "HIT");
	}
	assert_nothing_recorded_since(fx, 2);
}

/* the language an Accept-Language list asks for first (highest q, then first) */
static char *
negotiated_language(const MsWireRecord *record)
{
	g_auto(GStrv) lines = ms_wire_record_get_all(record, "Accept-Language");
	g_autofree char *joined = g_strjoinv(",", lines);
	g_auto(GStrv) ranges = g_strsplit(joined, ",", -1);
	char *best = NULL;
	double best_q = -1;

	for (guint i = 0; ranges[i] != NULL; i++) {
		g_auto(GStrv) parts = g_strsplit(ranges[i], ";", -1);
		double q = 1;

		g_strstrip(parts[0]);
		if (parts[0][0] == '\0')
			continue;
		for (guint j = 1; parts[j] != NULL; j++) {
			g_strstrip(parts[j]);
			if (g_str_has_prefix(parts[j], "q="))
				q = g_ascii_strtod(parts[j] + 2, NULL);
		}
		if (q > best_q) {
			g_free(best);
			best = g_strdup(parts[0]);
			best_q = q;
		}
	}
	return best;
}

static void
test_cache_accept_language(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_add_header(fx->recorder, "Cache-Control", "max-age=60");
	ms_wire_recorder_add_header(fx->recorder, "Vary", "Accept-Language");
	{
		g_autoptr(MsWireResponse) response =
			get_cached(fx, "Accept-Language: th\r\nAccept-Language: en;q=0.1\r\n");
		g_autofree char *language = NULL;

		assert_x_cache(response, "MISS");
		language = negotiated_language(wait_record(fx, 1));
		g_assert_cmpstr(language, ==, "th");
	}
	{
		/* "en" is not what the first request negotiated */
		g_autoptr(MsWireResponse) response = get_cached(fx, "Accept-Language: en\r\n");
		g_autofree char *language = NULL;

		assert_x_cache(response, "MISS");
		language = negotiated_language(wait_record(fx, 2));
		g_assert_cmpstr(language, ==, "en");
	}
}

/*
 * Connection: X-Tenant makes the client's X-Tenant hop-by-hop (RFC 9110
 * §7.6.1): it goes, before the key is made. The answer made without a tenant
 * must then never be served to a request that names one.
 */
static void
test_cache_connection_tenant(Fixture *fx, gconstpointer data)
{
	ms_wire_recorder_add_header(fx->recorder, "Cache-Control", "max-age=60");
	ms_wire_recorder_add_header(fx->recorder, "Vary", "X-Tenant");
	{
		g_autoptr(MsWireResponse) response =
			get_cached(fx, "Connection: X-Tenant\r\nX-Tenant: a\r\n");

		assert_x_cache(response, "MISS");
		assert_no_field(wait_record(fx, 1), "X-Tenant");
	}
	{
		g_autoptr(MsWireResponse) response = get_cached(fx, "X-Tenant: a\r\n");

		assert_x_cache(response, "MISS");
		g_assert_cmpstr(single_value(wait_record(fx, 2), "X-Tenant"), ==, "a");
	}
}

/* likewise the language: the key holds the language the upstream was asked in */
static void
test_cache_connection_language(Fixture *fx, gconstpointer data)
{
	{
		g_autoptr(MsWireResponse) response =
			get_cached(fx, "Connection: Accept-Language\r\nAccept-Language: th\r\n");
		g_autofree char *language = NULL;

		assert_x_cache(response, "MISS");
		language = negotiated_language(wait_record(fx, 1));
		g_assert_cmpstr(language, ==, "en");
	}
	{
		g_autoptr(MsWireResponse) response = get_cached(fx, "Accept-Language: th\r\n");
		g_autofree char *language = NULL;

		assert_x_cache(response, "MISS");
		language = negotiated_language(wait_record(fx, 2));
		g_assert_cmpstr(language, ==, "th");
	}
	{
		g_autoptr(MsWireResponse) response = get_cached(fx, "Accept-Language: en\r\n");

		assert_x_cache(response, "HIT");
	}
}

static void
test_forwarding_fields(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireResponse) response = send_get(fx,
						      "/api/rec/x",
						      "X-Forwarded-Host: evil.example\r\n"
						      "Forwarded: for=1.2.3.4;host=evil.example\r\n"
						      "X-Real-IP: 1.2.3.4\r\n");
	const MsWireRecord *record;

	/* only the gateway says where a request came from */
	assert_recorder_answer(response, "/rec/x");
	record = wait_record(fx, 1);
	assert_no_field(record, "X-Forwarded-Host");
	assert_no_field(record, "Forwarded");
	assert_no_field(record, "X-Real-IP");
}

/* ---- 100-continue -------------------------------------------------------- */

static void
assert_no_continue_before(Fixture *fx, const char *raw, guint status, const char *type)
{
	g_autoptr(MsWireResponse) response = send_raw(fx, raw, NULL);

	/* the client is told no before it sends a body that would be refused */
	if (response->status == 100)
		g_test_message("100 Continue before a refusal");
	ms_wire_assert_problem(response, status, type);
	assert_nothing_recorded(fx);
}

static void
test_continue_no_auth(Fixture *fx, gconstpointer data)
{
	assert_no_continue_before(fx,
				  "POST /api/calc/x HTTP/1.1\r\nHost: localhost\r\n"
				  "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n",
				  401,
				  "unauthorized");
}

static void
test_continue_bad_method(Fixture *fx, gconstpointer data)
{
	assert_no_continue_before(fx,
				  "DELETE /api/calc/x HTTP/1.1\r\nHost: localhost\r\n" USER_AUTH
				  "Expect: 100-continue\r\nContent-Length: 7\r\n\r\n",
				  405,
				  "method_not_allowed");
}

static void
test_continue_ok(Fixture *fx, gconstpointer data)
{
	g_autoptr(MsWireConn) conn = connect_gateway(fx);
	const MsWireRecord *record;

	ms_wire_conn_send_str(conn,
			      "POST /api/calc/x HTTP/1.1\r\nHost: localhost\r\n" USER_AUTH
			      "Expect: 100-continue\r\nContent-Type: text/plain\r\n"
			      "Content-Length: 7\r\n\r\n");
	{
		g_autoptr(MsWireResponse) response = ms_wire_conn_read_response(conn, FALSE);

		g_assert_cmpuint(response->status, ==, 100);
	}
	ms_wire_conn_send_str(conn, "payload");
	{
		g_autoptr(MsWireResponse) response = ms_wire_conn_read_response(conn, FALSE);

		assert_recorder_answer(response, "/calc/x");
	}
	record = wait_record(fx, 1);
	g_assert_cmpstr(record->method, ==, "POST");
	g_assert_cmpmem(g_bytes_get_data(record->body, NULL),
			g_bytes_get_size(record->body),
			"payload",
			7);
	assert_no_field(record, "Expect");
}

/* ---- registration -------------------------------------------------------- */

static void
add(const char *name, gconstpointer data, void (*func)(Fixture *, gconstpointer))
{
	g_autofree char *path = g_strconcat("/gateway/attack/", name, NULL);

	g_test_add(path, Fixture, data, fixture_setup, func, fixture_teardown);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	for (guint i = 0; i < G_N_ELEMENTS(refusals); i++)
		add(refusals[i].name, &refusals[i], test_refused);
	add("path-dotdot-admin-200", NULL, test_path_dotdot_admin);
	add("absolute-form-200", NULL, test_absolute_form);
	add("content-length-space-400", NULL, test_content_length_space);
	add("underscore-field", NULL, test_underscore_field);
	add("connection-asserted", NULL, test_connection_asserted);
	add("connection-client-fields", NULL, test_connection_client_fields);
	add("request-id-repeated", NULL, test_request_id_repeated);
	add("user-field-no-auth", NULL, test_user_field_no_auth);
	add("connection-flood", NULL, test_connection_flood);
	for (guint i = 0; i < G_N_ELEMENTS(bad_answers); i++)
		add(bad_answers[i].name, &bad_answers[i], test_bad_answer);
	add("cache-vary-tenant", NULL, test_cache_vary_tenant);
	add("cache-accept-language", NULL, test_cache_accept_language);
	add("cache-connection-tenant", NULL, test_cache_connection_tenant);
	add("cache-connection-language", NULL, test_cache_connection_language);
	add("forwarding-fields", NULL, test_forwarding_fields);
	add("continue-no-auth-401", NULL, test_continue_no_auth);
	add("continue-bad-method-405", NULL, test_continue_bad_method);
	add("continue-ok", NULL, test_continue_ok);
	return g_test_run();
}
