/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-calc-test-server.h"
#include "ms-fake-history-store.h"

/* the calculation endpoints in-process on a real Unix socket, with an async client */

static void
test_binary(MsCalcTestFixture *f, gconstpointer data)
{
	static const struct {
		const char *path;
		const char *body;
		const char *answer;
	} cases[] = {
		{ "/calc/add",
		  "{\"a\": 1, \"b\": 2}",
		  "{\"operation\":\"add\",\"a\":1,\"b\":2,\"result\":3}" },
		{ "/calc/sub",
		  "{\"a\": 1.5, \"b\": -2}",
		  "{\"operation\":\"sub\",\"a\":1.5,\"b\":-2,\"result\":3.5}" },
		{ "/calc/mul",
		  "{\"b\": 4, \"a\": 2.5e0}",
		  "{\"operation\":\"mul\",\"a\":2.5,\"b\":4,\"result\":10}" },
		{ "/calc/div",
		  "{\"a\": 1, \"b\": 3}",
		  "{\"operation\":\"div\",\"a\":1,\"b\":3,\"result\":0.3333333333333333}" },
		{ "/calc/add",
		  "{\"a\": 0.1, \"b\": 0.2}",
		  "{\"operation\":\"add\",\"a\":0.1,\"b\":0.2,\"result\":0.30000000000000004}" },
		{ "/calc/add",
		  "{\"a\": 12345678901234567890, \"b\": 0}",
		  "{\"operation\":\"add\",\"a\":1.2345678901234567e+19,\"b\":0,"
		  "\"result\":1.2345678901234567e+19}" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsTestResponse) r = ms_calc_test_post(f, cases[i].path, cases[i].body);
		ms_calc_test_assert_body(r, 200, cases[i].answer);
	}
}

static void
test_eval(MsCalcTestFixture *f, gconstpointer data)
{
	g_autoptr(MsTestResponse) r =
		ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"2*(3+4)\"}");
	g_autoptr(MsTestResponse) r2 =
		ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"-2^2 + 2^3^2\"}");

	ms_calc_test_assert_body(r, 200, "{\"expression\":\"2*(3+4)\",\"result\":14}");
	ms_calc_test_assert_body(r2, 200, "{\"expression\":\"-2^2 + 2^3^2\",\"result\":508}");
}

static void
test_calc_problems(MsCalcTestFixture *f, gconstpointer data)
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
		g_autoptr(MsTestResponse) r = ms_calc_test_post(f, cases[i].path, cases[i].body);
		ms_calc_test_assert_problem(r, cases[i].status, cases[i].type, cases[i].in_detail);
	}
	g_assert_cmpuint(ms_fake_history_store_get_size(MS_FAKE_HISTORY_STORE(f->store)), ==, 0);
}

static void
test_limits(MsCalcTestFixture *f, gconstpointer data)
{
	g_autoptr(GString) body = g_string_new("{\"expression\":\"");
	g_autoptr(MsTestResponse) long_r = NULL;
	g_autoptr(MsTestResponse) deep_r = NULL;
	g_autoptr(MsTestResponse) large_r = NULL;
	g_autoptr(GString) deep = g_string_new("{\"expression\":\"");
	g_autofree char *large = NULL;

	for (guint i = 0; i < 4097; i++)
		g_string_append_c(body, '1');
	g_string_append(body, "\"}");
	long_r = ms_calc_test_post(f, "/calc/eval", body->str);
	ms_calc_test_assert_problem(long_r, 400, "expression_too_long", "4096");

	for (guint i = 0; i < 65; i++)
		g_string_append_c(deep, '(');
	g_string_append_c(deep, '1');
	for (guint i = 0; i < 65; i++)
		g_string_append_c(deep, ')');
	g_string_append(deep, "\"}");
	deep_r = ms_calc_test_post(f, "/calc/eval", deep->str);
	ms_calc_test_assert_problem(deep_r, 400, "expression_too_deep", "64");

	/* over 64 KiB: refused from its Content-Length, before the body is read */
	large = g_strnfill(64 * 1024 + 1, ' ');
	large_r = ms_calc_test_post(f, "/calc/add", large);
	ms_calc_test_assert_problem(large_r, 413, "body_too_large", "65536");
}

typedef struct {
	guint status;
	GBytes *body;
	gboolean done;
} ChunkedCall;

static void
on_chunked_sent(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ChunkedCall *call = user_data;
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), result);
	g_autoptr(GError) error = NULL;

	call->body = soup_session_send_and_read_finish(SOUP_SESSION(source), result, &error);
	g_assert_no_error(error);
	call->status = soup_message_get_status(msg);
	call->done = TRUE;
}

static void
on_request_read_record_body(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	goffset *kept = user_data;

	*kept = soup_server_message_get_request_body(msg)->length;
}

static void
test_chunked_limit(MsCalcTestFixture *f, gconstpointer data)
{
	goffset kept = -1;
	g_autofree char *padding = g_strnfill(100 * 1024, 'x');
	g_autofree char *json = g_strdup_printf("{\"a\":1,\"b\":2,\"pad\":\"%s\"}", padding);
	g_autoptr(GInputStream) stream =
		g_memory_input_stream_new_from_data(g_strdup(json), strlen(json), g_free);
	g_autoptr(SoupMessage) msg = soup_message_new("POST", "http://localhost/calc/add");
	ChunkedCall call = { 0 };
	g_autofree char *text = NULL;

	/* no length given: libsoup sends it chunked, the way a streaming client would */
	soup_message_set_request_body(msg, "application/json", stream, -1);
	g_signal_connect(f->server->server,
			 "request-read",
			 G_CALLBACK(on_request_read_record_body),
			 &kept);
	soup_session_send_and_read_async(f->session,
					 msg,
					 G_PRIORITY_DEFAULT,
					 NULL,
					 on_chunked_sent,
					 &call);
	while (!call.done)
		g_main_context_iteration(NULL, TRUE);
	g_assert_cmpuint(call.status, ==, 413);
	text = g_strndup(g_bytes_get_data(call.body, NULL), g_bytes_get_size(call.body));
	g_assert_nonnull(strstr(text, "urn:microsoup:problem:body_too_large"));
	g_bytes_unref(call.body);
	/* the server did not keep the oversized body in memory */
	g_assert_cmpint(kept, >=, 0);
	g_assert_cmpint(kept, <=, 64 * 1024);
	g_signal_handlers_disconnect_by_func(f->server->server, on_request_read_record_body, &kept);
}

static void
test_body_checks(MsCalcTestFixture *f, gconstpointer data)
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
	g_autoptr(MsTestResponse) eval_r = NULL;
	g_autoptr(MsTestResponse) eval_extra = NULL;
	g_autoptr(MsTestResponse) eval_nul = NULL;
	g_autoptr(MsTestResponse) eval_surrogate = NULL;
	g_autoptr(MsTestResponse) key_surrogate = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsTestResponse) r = ms_calc_test_post(f, "/calc/add", cases[i].body);
		ms_calc_test_assert_problem(r, 400, cases[i].type, cases[i].in_detail);
	}
	eval_r = ms_calc_test_post(f, "/calc/eval", "{\"expression\":12}");
	ms_calc_test_assert_problem(eval_r, 400, "wrong_type", "must be a string");
	eval_extra = ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"1\",\"a\":1}");
	eval_nul = ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"1\\u00002\"}");
	ms_calc_test_assert_problem(eval_nul, 400, "invalid_json", "u0000");
	/* found by the fuzzer: json-glib turns a lone surrogate into invalid UTF-8 */
	eval_surrogate = ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"2*3+\\ud8004)\"}");
	ms_calc_test_assert_problem(eval_surrogate, 400, "wrong_type", "Unicode");
	key_surrogate = ms_calc_test_post(f, "/calc/eval", "{\"expression\":\"1\",\"\\udc00\":1}");
	ms_calc_test_assert_problem(key_surrogate, 400, "invalid_json", NULL);
	ms_calc_test_assert_problem(eval_extra, 400, "unknown_field", "“a”");
}

static void
test_content_type(MsCalcTestFixture *f, gconstpointer data)
{
	static const char *const types[] = { NULL,
					     "text/plain",
					     "application/x-www-form-urlencoded",
					     "application/json; charset=iso-8859-1" };

	for (guint i = 0; i < G_N_ELEMENTS(types); i++) {
		g_autoptr(MsTestResponse) r = ms_test_request_typed(f->session,
								    "POST",
								    "/calc/add",
								    NULL,
								    types[i],
								    "{\"a\":1,\"b\":2}");
		ms_calc_test_assert_problem(r, 415, "unsupported_media_type", "application/json");
	}
}

static void
test_routing(MsCalcTestFixture *f, gconstpointer data)
{
	g_autoptr(MsTestResponse) get = ms_calc_test_request_as(f, "GET", "/calc/add", NULL, NULL);
	g_autoptr(MsTestResponse) put =
		ms_calc_test_request_as(f, "PUT", "/calc/history", "{}", NULL);
	g_autoptr(MsTestResponse) missing = ms_calc_test_post(f, "/calc/root", "{\"a\":1,\"b\":2}");
	g_autoptr(MsTestResponse) query =
		ms_calc_test_post(f, "/calc/add?x=1", "{\"a\":1,\"b\":2}");

	ms_calc_test_assert_problem(get, 405, "method_not_allowed", NULL);
	g_assert_cmpstr(soup_message_headers_get_one(get->headers, "Allow"), ==, "POST");
	ms_calc_test_assert_problem(put, 405, "method_not_allowed", NULL);
	ms_calc_test_assert_problem(missing, 404, "not_found", "/calc/root");
	ms_calc_test_assert_problem(query, 400, "unknown_parameter", "“x”");
}

static void
test_thai(MsCalcTestFixture *f, gconstpointer data)
{
	const char *headers[] = { "Accept-Language", "th", NULL };
	g_autoptr(MsTestResponse) r = ms_test_request_typed(f->session,
							    "POST",
							    "/calc/div",
							    headers,
							    "application/json",
							    "{\"a\":1,\"b\":0}");
	g_autoptr(MsTestResponse) syntax = ms_test_request_typed(f->session,
								 "POST",
								 "/calc/eval",
								 headers,
								 "application/json",
								 "{\"expression\":\"1+\"}");

	/* the Thai written out: "not English" would pass on any text at all */
	ms_calc_test_assert_problem(r, 422, "division_by_zero", NULL);
	g_assert_cmpstr(json_object_get_string_member(ms_test_response_get_object(r), "title"),
			==,
			"การหารด้วยศูนย์");
	g_assert_cmpstr(json_object_get_string_member(ms_test_response_get_object(r), "detail"),
			==,
			"หารด้วยศูนย์");
	ms_calc_test_assert_problem(syntax, 400, "syntax_error", NULL);
	g_assert_cmpstr(json_object_get_string_member(ms_test_response_get_object(syntax), "title"),
			==,
			"ไวยากรณ์ผิดพลาด");
	g_assert_cmpstr(
		json_object_get_string_member(ms_test_response_get_object(syntax), "detail"),
		==,
		"นิพจน์จบก่อนกำหนดที่ตำแหน่ง 3");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	MS_CALC_TEST_ADD("/calculator-handler/binary", test_binary);
	MS_CALC_TEST_ADD("/calculator-handler/eval", test_eval);
	MS_CALC_TEST_ADD("/calculator-handler/calc-problems", test_calc_problems);
	MS_CALC_TEST_ADD("/calculator-handler/limits", test_limits);
	MS_CALC_TEST_ADD("/calculator-handler/chunked-limit", test_chunked_limit);
	MS_CALC_TEST_ADD("/calculator-handler/body-checks", test_body_checks);
	MS_CALC_TEST_ADD("/calculator-handler/content-type", test_content_type);
	MS_CALC_TEST_ADD("/calculator-handler/routing", test_routing);
	MS_CALC_TEST_ADD("/calculator-handler/thai", test_thai);
	return g_test_run();
}
