#include "config.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include <sqlite3.h>

#include "adapters/ms-sqlite-history-store.h"
#include "common/ms-log.h"
#include "handlers/ms-calculator-handler.h"
#include "ms-calc-test-client.h"
#include "ms-fake-history-store.h"

/* the handler in-process on a real Unix socket, driven by an async SoupSession */

static GPtrArray *warnings; /* MESSAGE of each warning logged */

static void
capture_log(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	if (!(level & G_LOG_LEVEL_WARNING))
		return;
	for (gsize i = 0; i < n_fields; i++) {
		if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
			g_ptr_array_add(warnings, g_strdup(fields[i].value));
	}
}

typedef struct {
	char *dir;
	char *socket_path;
	MsHistoryStore *store;
	MsCalculatorService *service;
	SoupServer *server;
	GSocketService *service_listener;
	SoupSession *session;
} Fixture;

/* accept the way MsRuntime does: libsoup 3.2's own listener leaks accepted sockets */
static gboolean
on_incoming(GSocketService *listener,
	    GSocketConnection *connection,
	    GObject *source,
	    gpointer user_data)
{
	Fixture *f = user_data;
	g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, NULL);
	g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(connection, NULL);
	g_autoptr(GError) error = NULL;

	g_assert_true(soup_server_accept_iostream(f->server,
						  G_IO_STREAM(connection),
						  local,
						  remote,
						  &error));
	g_assert_no_error(error);
	return TRUE;
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = NULL;

	f->dir = g_dir_make_tmp("ms-calc-handler-XXXXXX", &error);
	g_assert_no_error(error);
	f->socket_path = g_build_filename(f->dir, "calculator.sock", NULL);
	/* test data "sqlite": the real adapter, with a short busy timeout */
	if (g_strcmp0(data, "sqlite") == 0) {
		g_autofree char *db = g_build_filename(f->dir, "calculator.db", NULL);
		f->store = ms_sqlite_history_store_new(db, 50, &error);
		g_assert_no_error(error);
	} else {
		f->store = ms_fake_history_store_new();
	}
	f->service = ms_calculator_service_new(f->store);
	f->server = soup_server_new("server-header", "microsoup-calculator-test", NULL);
	ms_calculator_handler_register(f->server, f->service);

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT,
			      &error);
	g_assert_no_error(error);
	address = g_unix_socket_address_new(f->socket_path);
	g_assert_true(g_socket_bind(socket, address, TRUE, &error));
	g_assert_true(g_socket_listen(socket, &error));
	f->service_listener = g_socket_service_new();
	g_assert_true(g_socket_listener_add_socket(G_SOCKET_LISTENER(f->service_listener),
						   socket,
						   NULL,
						   &error));
	g_assert_no_error(error);
	g_signal_connect(f->service_listener, "incoming", G_CALLBACK(on_incoming), f);
	g_socket_service_start(f->service_listener);
	f->session = ms_calc_test_session_new(f->socket_path);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->session);
	g_socket_service_stop(f->service_listener);
	g_socket_listener_close(G_SOCKET_LISTENER(f->service_listener));
	g_clear_object(&f->service_listener);
	soup_server_disconnect(f->server);
	g_clear_object(&f->server);
	g_clear_object(&f->service);
	g_clear_object(&f->store);
	g_unlink(f->socket_path);
	for (guint i = 0; i < 3; i++) {
		const char *suffix[] = { "", "-wal", "-shm" };
		g_autofree char *db = g_strconcat(f->dir, "/calculator.db", suffix[i], NULL);
		g_unlink(db);
	}
	g_rmdir(f->dir);
	g_free(f->socket_path);
	g_free(f->dir);
}

static MsCalcTestResponse *
post(Fixture *f, const char *path, const char *body)
{
	return ms_calc_test_request(f->session,
				    "POST",
				    path,
				    "application/json",
				    body,
				    -1,
				    NULL);
}

static MsCalcTestResponse *
request_as(Fixture *f, const char *method, const char *path, const char *body, const char *user)
{
	const char *headers[] = { "X-Microsoup-User", user, NULL };

	return ms_calc_test_request(f->session,
				    method,
				    path,
				    body != NULL ? "application/json; charset=utf-8" : NULL,
				    body,
				    -1,
				    user != NULL ? headers : NULL);
}

static void
assert_body(MsCalcTestResponse *r, guint status, const char *text)
{
	g_autofree char *body = ms_calc_test_response_get_text(r);

	g_assert_cmpuint(r->status, ==, status);
	g_assert_cmpstr(soup_message_headers_get_content_type(r->headers, NULL),
			==,
			"application/json");
	g_assert_cmpstr(body, ==, text);
}

/* asserts a problem, and that its detail mentions @in_detail */
static void
assert_problem(MsCalcTestResponse *r, guint status, const char *type, const char *in_detail)
{
	g_autofree char *body = ms_calc_test_response_get_text(r);

	if (r->status != status || g_strcmp0(ms_calc_test_response_get_type(r), type) != 0)
		g_error("expected %u %s, got %u %s", status, type, r->status, body);
	g_assert_cmpstr(soup_message_headers_get_content_type(r->headers, NULL),
			==,
			"application/problem+json");
	g_assert_cmpint(json_object_get_int_member(r->json, "status"), ==, status);
	g_assert_true(json_object_has_member(r->json, "title"));
	g_assert_true(json_object_has_member(r->json, "instance"));
	if (in_detail != NULL &&
	    strstr(json_object_get_string_member(r->json, "detail"), in_detail) == NULL)
		g_error("detail of %s does not say “%s”", body, in_detail);
}

static void
test_binary(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *path;
		const char *body;
		const char *answer;
	} cases[] = {
		{ "/calc/add", "{\"a\": 1, \"b\": 2}", "{\"operation\":\"add\",\"a\":1,\"b\":2,\"result\":3}" },
		{ "/calc/sub", "{\"a\": 1.5, \"b\": -2}", "{\"operation\":\"sub\",\"a\":1.5,\"b\":-2,\"result\":3.5}" },
		{ "/calc/mul", "{\"b\": 4, \"a\": 2.5e0}", "{\"operation\":\"mul\",\"a\":2.5,\"b\":4,\"result\":10}" },
		{ "/calc/div", "{\"a\": 1, \"b\": 3}", "{\"operation\":\"div\",\"a\":1,\"b\":3,\"result\":0.3333333333333333}" },
		{ "/calc/add", "{\"a\": 0.1, \"b\": 0.2}", "{\"operation\":\"add\",\"a\":0.1,\"b\":0.2,\"result\":0.30000000000000004}" },
		{ "/calc/add", "{\"a\": 12345678901234567890, \"b\": 0}", "{\"operation\":\"add\",\"a\":1.2345678901234567e+19,\"b\":0,\"result\":1.2345678901234567e+19}" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsCalcTestResponse) r = post(f, cases[i].path, cases[i].body);
		assert_body(r, 200, cases[i].answer);
	}
}

static void
test_eval(Fixture *f, gconstpointer data)
{
	g_autoptr(MsCalcTestResponse) r = post(f, "/calc/eval", "{\"expression\":\"2*(3+4)\"}");
	g_autoptr(MsCalcTestResponse) r2 = post(f, "/calc/eval", "{\"expression\":\"-2^2 + 2^3^2\"}");

	assert_body(r, 200, "{\"expression\":\"2*(3+4)\",\"result\":14}");
	assert_body(r2, 200, "{\"expression\":\"-2^2 + 2^3^2\",\"result\":508}");
}

static void
test_calc_problems(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *path;
		const char *body;
		guint status;
		const char *type;
		const char *in_detail;
	} cases[] = {
		{ "/calc/div", "{\"a\":1,\"b\":0}", 422, "division_by_zero", NULL },
		{ "/calc/mul", "{\"a\":1e300,\"b\":1e300}", 422, "overflow", NULL },
		{ "/calc/eval", "{\"expression\":\"1/0\"}", 422, "division_by_zero", NULL },
		{ "/calc/eval", "{\"expression\":\"9^999\"}", 422, "overflow", NULL },
		{ "/calc/eval", "{\"expression\":\"(-1)^0.5\"}", 422, "non_finite", NULL },
		{ "/calc/eval", "{\"expression\":\"2 $ 3\"}", 400, "syntax_error", "position 3" },
		{ "/calc/eval", "{\"expression\":\"(1+2\"}", 400, "syntax_error", "position 5" },
		{ "/calc/eval", "{\"expression\":\"\"}", 400, "syntax_error", "empty" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsCalcTestResponse) r = post(f, cases[i].path, cases[i].body);
		assert_problem(r, cases[i].status, cases[i].type, cases[i].in_detail);
	}
	g_assert_cmpuint(ms_fake_history_store_get_size(MS_FAKE_HISTORY_STORE(f->store)), ==, 0);
}

static void
test_limits(Fixture *f, gconstpointer data)
{
	g_autoptr(GString) body = g_string_new("{\"expression\":\"");
	g_autoptr(MsCalcTestResponse) long_r = NULL;
	g_autoptr(MsCalcTestResponse) deep_r = NULL;
	g_autoptr(MsCalcTestResponse) large_r = NULL;
	g_autoptr(GString) deep = g_string_new("{\"expression\":\"");
	g_autofree char *large = NULL;

	for (guint i = 0; i < 4097; i++)
		g_string_append_c(body, '1');
	g_string_append(body, "\"}");
	long_r = post(f, "/calc/eval", body->str);
	assert_problem(long_r, 400, "expression_too_long", "4096");

	for (guint i = 0; i < 65; i++)
		g_string_append_c(deep, '(');
	g_string_append_c(deep, '1');
	for (guint i = 0; i < 65; i++)
		g_string_append_c(deep, ')');
	g_string_append(deep, "\"}");
	deep_r = post(f, "/calc/eval", deep->str);
	assert_problem(deep_r, 400, "expression_too_deep", "64");

	/* over 64 KiB: refused from its Content-Length, before the body is read */
	large = g_strnfill(64 * 1024 + 1, ' ');
	large_r = post(f, "/calc/add", large);
	assert_problem(large_r, 413, "body_too_large", "65536");
}

static void
test_body_checks(Fixture *f, gconstpointer data)
{
	static const struct {
		const char *body;
		const char *type;
		const char *in_detail;
	} cases[] = {
		{ "", "invalid_json", "empty" },
		{ "{\"a\":1,", "invalid_json", "not valid JSON" },
		{ "not json", "invalid_json", "not valid JSON" },
		{ "[1,2]", "invalid_body", "JSON object" },
		{ "42", "invalid_body", "JSON object" },
		{ "{\"a\":1}", "missing_field", "“b”" },
		{ "{\"b\":1}", "missing_field", "“a”" },
		{ "{\"a\":\"1\",\"b\":2}", "wrong_type", "“a” must be a number" },
		{ "{\"a\":1,\"b\":null}", "wrong_type", "“b” must be a number" },
		{ "{\"a\":1,\"b\":true}", "wrong_type", "“b”" },
		{ "{\"a\":1,\"b\":[2]}", "wrong_type", "“b”" },
		{ "{\"a\":1,\"b\":2,\"c\":3}", "unknown_field", "“c”" },
		{ "{\"a\":1e999,\"b\":2}", "out_of_range", "“a”" },
		{ "{\"a\":1,\"b\":2,\"a\":3}", "duplicate_field", "“a” appears more than once" },
		{ "{\"a\":{\"x\":1,\"x\":2},\"b\":2}", "duplicate_field", "“x”" },
	};
	g_autoptr(MsCalcTestResponse) eval_r = NULL;
	g_autoptr(MsCalcTestResponse) eval_extra = NULL;
	g_autoptr(MsCalcTestResponse) eval_nul = NULL;
	g_autoptr(MsCalcTestResponse) eval_surrogate = NULL;
	g_autoptr(MsCalcTestResponse) key_surrogate = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsCalcTestResponse) r = post(f, "/calc/add", cases[i].body);
		assert_problem(r, 400, cases[i].type, cases[i].in_detail);
	}
	eval_r = post(f, "/calc/eval", "{\"expression\":12}");
	assert_problem(eval_r, 400, "wrong_type", "must be a string");
	eval_extra = post(f, "/calc/eval", "{\"expression\":\"1\",\"a\":1}");
	eval_nul = post(f, "/calc/eval", "{\"expression\":\"1\\u00002\"}");
	assert_problem(eval_nul, 400, "invalid_json", "u0000");
	/* found by the fuzzer: json-glib turns a lone surrogate into invalid UTF-8 */
	eval_surrogate = post(f, "/calc/eval", "{\"expression\":\"2*3+\\ud8004)\"}");
	assert_problem(eval_surrogate, 400, "wrong_type", "Unicode");
	key_surrogate = post(f, "/calc/eval", "{\"expression\":\"1\",\"\\udc00\":1}");
	assert_problem(key_surrogate, 400, "invalid_json", NULL);
	assert_problem(eval_extra, 400, "unknown_field", "“a”");
}

static void
test_content_type(Fixture *f, gconstpointer data)
{
	static const char *const types[] = { NULL,
					     "text/plain",
					     "application/x-www-form-urlencoded",
					     "application/json; charset=iso-8859-1" };

	for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
		g_autoptr(MsCalcTestResponse) r = ms_calc_test_request(f->session,
								       "POST",
								       "/calc/add",
								       types[i],
								       "{\"a\":1,\"b\":2}",
								       -1,
								       NULL);
		assert_problem(r, 415, "unsupported_media_type", "application/json");
	}
}

static void
test_routing(Fixture *f, gconstpointer data)
{
	g_autoptr(MsCalcTestResponse) get = request_as(f, "GET", "/calc/add", NULL, NULL);
	g_autoptr(MsCalcTestResponse) put = request_as(f, "PUT", "/calc/history", "{}", NULL);
	g_autoptr(MsCalcTestResponse) missing = post(f, "/calc/root", "{\"a\":1,\"b\":2}");
	g_autoptr(MsCalcTestResponse) query = post(f, "/calc/add?x=1", "{\"a\":1,\"b\":2}");

	assert_problem(get, 405, "method_not_allowed", NULL);
	g_assert_cmpstr(soup_message_headers_get_one(get->headers, "Allow"), ==, "POST");
	assert_problem(put, 405, "method_not_allowed", NULL);
	assert_problem(missing, 404, "not_found", "/calc/root");
	assert_problem(query, 400, "unknown_parameter", "“x”");
}

static JsonArray *
items(MsCalcTestResponse *r)
{
	g_assert_cmpuint(r->status, ==, 200);
	return json_object_get_array_member(r->json, "items");
}

static void
test_history(Fixture *f, gconstpointer data)
{
	g_autoptr(MsCalcTestResponse) page1 = NULL;
	g_autoptr(MsCalcTestResponse) page2 = NULL;
	g_autoptr(MsCalcTestResponse) bob = NULL;
	g_autoptr(MsCalcTestResponse) anonymous = NULL;
	g_autoptr(MsCalcTestResponse) deleted = NULL;
	g_autoptr(MsCalcTestResponse) after = NULL;
	g_autoptr(GDateTime) created = NULL;
	g_autofree char *page2_path = NULL;
	JsonObject *item;

	for (int i = 1; i <= 3; i++) {
		g_autofree char *body = g_strdup_printf("{\"expression\":\"%d*2\"}", i);
		g_autoptr(MsCalcTestResponse) r = request_as(f, "POST", "/calc/eval", body, "ada");
		g_assert_cmpuint(r->status, ==, 200);
	}
	{
		g_autoptr(MsCalcTestResponse) r =
		    request_as(f, "POST", "/calc/add", "{\"a\":1,\"b\":2}", "bob");
		g_autoptr(MsCalcTestResponse) r2 = post(f, "/calc/add", "{\"a\":5,\"b\":5}");
		g_assert_cmpuint(r->status, ==, 200);
		g_assert_cmpuint(r2->status, ==, 200);
	}

	page1 = request_as(f, "GET", "/calc/history?limit=2", NULL, "ada");
	g_assert_cmpuint(json_array_get_length(items(page1)), ==, 2);
	item = json_array_get_object_element(items(page1), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "3*2");
	g_assert_cmpint(json_object_get_int_member(item, "result"), ==, 6);
	g_assert_cmpstr(json_object_get_string_member(item, "user"), ==, "ada");
	created = g_date_time_new_from_iso8601(json_object_get_string_member(item, "created_at"),
					       NULL);
	g_assert_nonnull(created);
	g_assert_cmpint(g_date_time_get_year(created), >=, 2024);
	g_assert_false(json_object_get_null_member(page1->json, "next_before"));

	page2_path = g_strdup_printf("/calc/history?limit=2&before=%" G_GINT64_FORMAT,
				     json_object_get_int_member(page1->json, "next_before"));
	page2 = request_as(f, "GET", page2_path, NULL, "ada");
	g_assert_cmpuint(json_array_get_length(items(page2)), ==, 1);
	item = json_array_get_object_element(items(page2), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "1*2");
	g_assert_true(json_object_get_null_member(page2->json, "next_before"));

	bob = request_as(f, "GET", "/calc/history", NULL, "bob");
	g_assert_cmpuint(json_array_get_length(items(bob)), ==, 1);
	item = json_array_get_object_element(items(bob), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "expression"), ==, "1 + 2");
	anonymous = request_as(f, "GET", "/calc/history", NULL, NULL);
	item = json_array_get_object_element(items(anonymous), 0);
	g_assert_cmpstr(json_object_get_string_member(item, "user"), ==, "anonymous");

	deleted = request_as(f, "DELETE", "/calc/history", NULL, "ada");
	assert_body(deleted, 200, "{\"deleted\":3}");
	after = request_as(f, "GET", "/calc/history", NULL, "ada");
	assert_body(after, 200, "{\"items\":[],\"next_before\":null}");
}

static void
test_history_damaged_time(Fixture *f, gconstpointer data)
{
	g_autoptr(MsCalcTestResponse) r = NULL;
	g_autoptr(MsCalcTestResponse) delete_query = NULL;

	/* year 292277: not representable in RFC 3339, so null rather than a crash */
	g_assert_true(
	    ms_history_store_append(f->store, "ada", "1", 1, G_MAXINT64 / 2, NULL, NULL));
	r = request_as(f, "GET", "/calc/history", NULL, "ada");
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_true(json_object_get_null_member(
	    json_array_get_object_element(items(r), 0), "created_at"));
	delete_query = request_as(f, "DELETE", "/calc/history?all=1", NULL, "ada");
	assert_problem(delete_query, 400, "unknown_parameter", "“all”");
}

static void
test_history_query(Fixture *f, gconstpointer data)
{
	static const char *const bad[] = {
		"/calc/history?limit=0",     "/calc/history?limit=101", "/calc/history?limit=abc",
		"/calc/history?limit=-1",    "/calc/history?before=0",  "/calc/history?before=x",
		"/calc/history?limit=",	     "/calc/history?limit=1e1",
	};
	g_autoptr(MsCalcTestResponse) unknown = request_as(f, "GET", "/calc/history?page=2", NULL, NULL);
	g_autoptr(MsCalcTestResponse) max = request_as(f, "GET", "/calc/history?limit=100", NULL, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(MsCalcTestResponse) r = request_as(f, "GET", bad[i], NULL, NULL);
		assert_problem(r, 400, "invalid_parameter", NULL);
	}
	assert_problem(unknown, 400, "unknown_parameter", "“page”");
	g_assert_cmpuint(max->status, ==, 200);
}

static void
test_invalid_user(Fixture *f, gconstpointer data)
{
	g_autofree char *long_user = g_strnfill(65, 'u');
	g_autoptr(MsCalcTestResponse) r = request_as(f, "GET", "/calc/history", NULL, long_user);

	assert_problem(r, 400, "invalid_user", "X-Microsoup-User");
}

static void
test_store_unavailable(Fixture *f, gconstpointer data)
{
	g_autoptr(MsCalcTestResponse) busy = NULL;
	g_autoptr(MsCalcTestResponse) full = NULL;
	g_autoptr(MsCalcTestResponse) list = NULL;

	g_ptr_array_set_size(warnings, 0);
	ms_fake_history_store_fail_with(MS_FAKE_HISTORY_STORE(f->store),
					MS_HISTORY_STORE_ERROR_BUSY);
	busy = post(f, "/calc/add", "{\"a\":1,\"b\":2}");
	assert_problem(busy, 503, "history_unavailable", "busy");
	g_assert_cmpstr(soup_message_headers_get_one(busy->headers, "Retry-After"), ==, "1");
	list = request_as(f, "GET", "/calc/history", NULL, NULL);
	assert_problem(list, 503, "history_unavailable", NULL);
	ms_fake_history_store_fail_with(MS_FAKE_HISTORY_STORE(f->store),
					MS_HISTORY_STORE_ERROR_FULL);
	full = post(f, "/calc/eval", "{\"expression\":\"1\"}");
	assert_problem(full, 503, "history_unavailable", "full");
	/* the cause is in the log for the operator, not in the answer */
	g_assert_cmpuint(warnings->len, ==, 3);
	g_assert_nonnull(strstr(g_ptr_array_index(warnings, 0), "the fake was told to fail"));
}

static void
test_sqlite_locked(Fixture *f, gconstpointer data)
{
	g_autofree char *path = g_build_filename(f->dir, "calculator.db", NULL);
	g_autoptr(MsCalcTestResponse) before = NULL;
	g_autoptr(MsCalcTestResponse) locked = NULL;
	g_autoptr(MsCalcTestResponse) reading = NULL;
	g_autoptr(MsCalcTestResponse) after = NULL;
	sqlite3 *db = NULL;

	before = post(f, "/calc/add", "{\"a\":1,\"b\":2}");
	g_assert_cmpuint(before->status, ==, 200);
	/* another process holds the write lock longer than the store waits */
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), ==, SQLITE_OK);
	g_ptr_array_set_size(warnings, 0);
	locked = post(f, "/calc/eval", "{\"expression\":\"2*3\"}");
	assert_problem(locked, 503, "history_unavailable", "busy");
	g_assert_cmpstr(soup_message_headers_get_one(locked->headers, "Retry-After"), ==, "1");
	g_assert_cmpuint(warnings->len, ==, 1);
	g_assert_nonnull(strstr(g_ptr_array_index(warnings, 0), "locked"));
	/* WAL: the history can still be read meanwhile */
	reading = request_as(f, "GET", "/calc/history", NULL, NULL);
	g_assert_cmpuint(json_array_get_length(items(reading)), ==, 1);
	g_assert_cmpint(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
	sqlite3_close(db);
	after = post(f, "/calc/eval", "{\"expression\":\"2*3\"}");
	g_assert_cmpuint(after->status, ==, 200);
}

static void
test_thai(Fixture *f, gconstpointer data)
{
	const char *headers[] = { "Accept-Language", "th", NULL };
	g_autoptr(MsCalcTestResponse) r = ms_calc_test_request(f->session,
							       "POST",
							       "/calc/div",
							       "application/json",
							       "{\"a\":1,\"b\":0}",
							       -1,
							       headers);
	g_autoptr(MsCalcTestResponse) syntax = ms_calc_test_request(f->session,
								    "POST",
								    "/calc/eval",
								    "application/json",
								    "{\"expression\":\"1+\"}",
								    -1,
								    headers);

	assert_problem(r, 422, "division_by_zero", NULL);
	g_assert_cmpstr(json_object_get_string_member(r->json, "title"), !=, "Division by zero");
	g_assert_cmpstr(json_object_get_string_member(r->json, "detail"), !=, "division by zero");
	assert_problem(syntax, 400, "syntax_error", "3");
	g_assert_null(strstr(json_object_get_string_member(syntax->json, "detail"), "position"));
}

int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) captured = g_ptr_array_new_with_free_func(g_free);

	g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
	/* the runtime's writer: warnings are logged, not fatal, and the test sees them */
	ms_log_init("test-calculator-handler");
	warnings = captured;
	ms_log_set_capture(capture_log, NULL);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_setup, func, fixture_teardown)
	ADD("/calculator-handler/binary", test_binary);
	ADD("/calculator-handler/eval", test_eval);
	ADD("/calculator-handler/calc-problems", test_calc_problems);
	ADD("/calculator-handler/limits", test_limits);
	ADD("/calculator-handler/body-checks", test_body_checks);
	ADD("/calculator-handler/content-type", test_content_type);
	ADD("/calculator-handler/routing", test_routing);
	ADD("/calculator-handler/history", test_history);
	ADD("/calculator-handler/history-query", test_history_query);
	ADD("/calculator-handler/history-damaged-time", test_history_damaged_time);
	ADD("/calculator-handler/invalid-user", test_invalid_user);
	ADD("/calculator-handler/store-unavailable", test_store_unavailable);
	ADD("/calculator-handler/thai", test_thai);
	g_test_add("/calculator-handler/sqlite-locked",
		   Fixture,
		   "sqlite",
		   fixture_setup,
		   test_sqlite_locked,
		   fixture_teardown);
#undef ADD
	return g_test_run();
}
