/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "common/ms-request-id.h"
#include "core/services/ms-phrase-greeter.h"
#include "handlers/ms-greeter-handler.h"
#include "ms-fake-greeter.h"
#include "ms-test-utils.h"

/*
 * The greeter handler on a real unix socket, driven by an async SoupSession. The
 * request id comes from MsRuntime in a binary; here the server gets the same
 * "request-read" hook so problems carry it.
 */

typedef struct {
	MsTestServer *server;
	SoupSession *session;
} Fixture;

static void
on_request_read(SoupServer *server, SoupServerMessage *msg, gpointer user_data)
{
	char made[MS_REQUEST_ID_MADE_SIZE];

	ms_request_id_assign(msg, made);
}

/*
 * answers with the id handlers pass on upstream; 500 when the request carries
 * another one
 */
static void
echo_request_id(SoupServer *server,
		SoupServerMessage *msg,
		const char *path,
		GHashTable *query,
		gpointer user_data)
{
	const char *id = ms_request_id_get(msg);
	const char *carried =
		soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					     "X-Request-ID");

	if (carried != NULL && g_strcmp0(carried, id) != 0) {
		soup_server_message_set_status(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "text/plain",
					 SOUP_MEMORY_COPY,
					 id != NULL ? id : "",
					 id != NULL ? strlen(id) : 0);
}

static void
fixture_set_up(Fixture *f, gconstpointer data)
{
	g_autoptr(MsGreeter) hello = ms_hello_service_new();
	g_autoptr(MsGreeter) world = ms_world_service_new();

	f->server = ms_test_server_new();
	g_signal_connect(f->server->server, "request-read", G_CALLBACK(on_request_read), NULL);
	ms_greeter_handler_register(f->server->server, hello);
	ms_greeter_handler_register(f->server->server, world);
	soup_server_add_handler(f->server->server, "/echo-id", echo_request_id, NULL, NULL);
	f->session = ms_test_session_new(f->server->socket_path);
}

static void
fixture_tear_down(Fixture *f, gconstpointer data)
{
	g_object_unref(f->session);
	ms_test_server_free(f->server);
}

static void
assert_problem(MsTestResponse *r, guint status, const char *type)
{
	ms_test_assert_problem(r, status, type);
	g_assert_nonnull(ms_test_response_get_string(r, "detail"));
	g_assert_cmpstr(ms_test_response_get_string(r, "request_id"),
			==,
			ms_test_response_get_header(r, "X-Request-ID"));
}

static void
test_hello(Fixture *f, gconstpointer data)
{
	g_autoptr(MsTestResponse) plain = ms_test_request(f->session, "GET", "/hello", NULL, NULL);
	g_autoptr(MsTestResponse) named =
		ms_test_request(f->session, "GET", "/hello?name=Ada", NULL, NULL);
	g_autoptr(MsTestResponse) escaped =
		ms_test_request(f->session, "GET", "/hello?name=%E0%B8%81%20b", NULL, NULL);

	g_assert_cmpuint(plain->status, ==, 200);
	g_assert_cmpstr(soup_message_headers_get_content_type(plain->headers, NULL),
			==,
			"application/json");
	g_assert_cmpstr(ms_test_response_get_string(plain, "message"), ==, "Hello!");
	g_assert_cmpstr(ms_test_response_get_string(named, "message"), ==, "Hello, Ada!");
	g_assert_cmpstr(ms_test_response_get_string(escaped, "message"), ==, "Hello, ก b!");
}

static void
test_thai(Fixture *f, gconstpointer data)
{
	const char *thai[] = { "Accept-Language", "en;q=0.3, th-TH", NULL };
	const char *english[] = { "Accept-Language", "th;q=0, en", NULL };
	g_autoptr(MsTestResponse) th =
		ms_test_request(f->session, "GET", "/hello?name=Ada", thai, NULL);
	g_autoptr(MsTestResponse) en = ms_test_request(f->session, "GET", "/world", english, NULL);
	g_autoptr(MsTestResponse) problem =
		ms_test_request(f->session, "DELETE", "/world", thai, NULL);
	g_autoptr(MsTestResponse) invalid =
		ms_test_request(f->session, "GET", "/hello?name=", thai, NULL);

	g_assert_cmpstr(ms_test_response_get_string(th, "message"), ==, "สวัสดี, Ada!");
	g_assert_cmpstr(ms_test_response_get_string(en, "message"), ==, "World!");
	g_assert_cmpstr(ms_test_response_get_string(problem, "title"), ==, "ไม่อนุญาตให้ใช้เมธอดนี้");
	/* the whole problem is the client's language: the detail the service wrote too */
	g_assert_cmpstr(ms_test_response_get_string(invalid, "title"), ==, "ชื่อไม่ถูกต้อง");
	g_assert_cmpstr(ms_test_response_get_string(invalid, "detail"),
			==,
			"ชื่อต้องยาว 1 ถึง 64 ตัวอักษร");
}

/* a nameless answer's JSON is made once per phrase: each language keeps its own */
static void
test_nameless_repeated(Fixture *f, gconstpointer data)
{
	const char *thai[] = { "Accept-Language", "th", NULL };
	const char *english[] = { "Accept-Language", "en", NULL };

	for (guint i = 0; i < 3; i++) {
		g_autoptr(MsTestResponse) en =
			ms_test_request(f->session, "GET", "/hello", english, NULL);
		g_autoptr(MsTestResponse) th =
			ms_test_request(f->session, "GET", "/hello", thai, NULL);
		g_autoptr(MsTestResponse) named =
			ms_test_request(f->session, "GET", "/hello?name=Ada", thai, NULL);
		g_autoptr(MsTestResponse) world =
			ms_test_request(f->session, "GET", "/world", thai, NULL);

		g_assert_cmpstr(ms_test_response_get_string(en, "message"), ==, "Hello!");
		g_assert_cmpstr(ms_test_response_get_string(th, "message"), ==, "สวัสดี!");
		g_assert_cmpstr(ms_test_response_get_string(named, "message"), ==, "สวัสดี, Ada!");
		g_assert_cmpstr(ms_test_response_get_string(world, "message"), ==, "ชาวโลก!");
		g_assert_cmpstr(ms_test_response_get_header(th, "Content-Type"),
				==,
				"application/json; charset=utf-8");
	}
}

static void
test_errors(Fixture *f, gconstpointer data)
{
	g_autofree char *long_name = g_strnfill(65, 'a');
	g_autofree char *long_path = g_strconcat("/hello?name=", long_name, NULL);
	struct {
		const char *method;
		const char *path;
		guint status;
		const char *type;
	} cases[] = {
		{ "GET", "/hello?name=", 400, "invalid_name" },
		{ "GET", "/hello?name=%0A", 400, "invalid_name" },
		{ "GET", "/hello?name=%FF", 400, "invalid_name" },
		{ "GET", long_path, 400, "invalid_name" },
		{ "GET", "/hello?nme=Ada", 400, "unknown_parameter" },
		{ "GET", "/world?name=Ada", 400, "unknown_parameter" },
		{ "GET", "/nope", 404, "not_found" },
		{ "GET", "/hello/extra", 404, "not_found" },
		{ "GET", "/%FF", 404, "not_found" },
		{ "POST", "/hello", 405, "method_not_allowed" },
		{ "DELETE", "/world", 405, "method_not_allowed" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsTestResponse) r =
			ms_test_request(f->session, cases[i].method, cases[i].path, NULL, NULL);

		g_test_message("%s %s", cases[i].method, cases[i].path);
		assert_problem(r, cases[i].status, cases[i].type);
		if (cases[i].status == 405)
			g_assert_cmpstr(ms_test_response_get_header(r, "Allow"), ==, "GET, HEAD");
	}
}

static void
test_request_id(Fixture *f, gconstpointer data)
{
	const char *sane[] = { "X-Request-ID", "client-id.42", NULL };
	const char *insane[] = { "X-Request-ID", "has space", NULL };
	g_autoptr(MsTestResponse) kept = ms_test_request(f->session, "GET", "/nope", sane, NULL);
	g_autoptr(MsTestResponse) replaced =
		ms_test_request(f->session, "GET", "/nope", insane, NULL);

	g_assert_cmpstr(ms_test_response_get_header(kept, "X-Request-ID"), ==, "client-id.42");
	g_assert_cmpstr(ms_test_response_get_string(kept, "request_id"), ==, "client-id.42");
	g_assert_cmpstr(ms_test_response_get_header(replaced, "X-Request-ID"), !=, "has space");
	g_assert_true(ms_request_id_is_sane(ms_test_response_get_header(replaced, "X-Request-ID")));

	/*
	 * handlers get the id the client gets back, whether kept or made, and the
	 * request carries no other
	 */
	for (guint i = 0; i < 3; i++) {
		const char *const *headers = i == 0 ? NULL : i == 1 ? sane : insane;
		g_autoptr(MsTestResponse) r =
			ms_test_request(f->session, "GET", "/echo-id", headers, NULL);
		g_autofree char *echoed =
			g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));

		g_assert_cmpuint(r->status, ==, SOUP_STATUS_OK);
		g_assert_true(ms_request_id_is_sane(echoed));
		g_assert_cmpstr(echoed, ==, ms_test_response_get_header(r, "X-Request-ID"));
	}
}

static void
test_head(Fixture *f, gconstpointer data)
{
	g_autoptr(MsTestResponse) r = ms_test_request(f->session, "HEAD", "/hello", NULL, NULL);
	g_autoptr(MsTestResponse) get = ms_test_request(f->session, "GET", "/hello", NULL, NULL);
	g_autofree char *length = g_strdup_printf("%" G_GSIZE_FORMAT, g_bytes_get_size(get->body));

	/* the head a GET gets, without its body */
	g_assert_cmpuint(r->status, ==, 200);
	g_assert_cmpuint(g_bytes_get_size(r->body), ==, 0);
	g_assert_cmpstr(ms_test_response_get_header(r, "Content-Length"), ==, length);
	g_assert_cmpstr(soup_message_headers_get_content_type(r->headers, NULL),
			==,
			"application/json");
}

/*
 * A far greeter answers later: the handler pauses the message and answers from
 * the greeter's callback, with the same answers and problems as a near one's.
 */
static void
test_far_greeter(void)
{
	g_autoptr(MsFakeGreeter) far =
		ms_fake_greeter_new(ms_goodbye_service_new(), 1, MS_FAKE_GREETER_NO_ERROR);
	g_autoptr(MsFakeGreeter) failing =
		ms_fake_greeter_new(ms_hello_service_new(), 1, MS_GREETER_ERROR_UNAVAILABLE);
	MsTestServer *server = ms_test_server_new();
	g_autoptr(SoupSession) session = NULL;
	const char *thai[] = { "Accept-Language", "th", NULL };

	g_assert_false(ms_greeter_answers_at_once(MS_GREETER(far)));
	g_signal_connect(server->server, "request-read", G_CALLBACK(on_request_read), NULL);
	ms_greeter_handler_register(server->server, MS_GREETER(far));
	ms_greeter_handler_register(server->server, MS_GREETER(failing));
	session = ms_test_session_new(server->socket_path);
	{
		g_autoptr(MsTestResponse) named =
			ms_test_request(session, "GET", "/goodbye?name=Ada", thai, NULL);
		g_autoptr(MsTestResponse) invalid =
			ms_test_request(session, "GET", "/goodbye?name=%0A", NULL, NULL);
		g_autoptr(MsTestResponse) failed =
			ms_test_request(session, "GET", "/hello", NULL, NULL);
		g_autoptr(MsTestResponse) failed_th =
			ms_test_request(session, "GET", "/hello", thai, NULL);

		g_assert_cmpuint(named->status, ==, 200);
		g_assert_cmpstr(soup_message_headers_get_content_type(named->headers, NULL),
				==,
				"application/json");
		g_assert_cmpstr(ms_test_response_get_string(named, "message"), ==, "ลาก่อน, Ada!");
		assert_problem(invalid, 400, "invalid_name");
		g_assert_cmpstr(ms_fake_greeter_get_last_request_id(far),
				==,
				ms_test_response_get_header(invalid, "X-Request-ID"));
		assert_problem(failed, 502, "greeter_failed");
		g_assert_cmpstr(ms_test_response_get_string(failed, "detail"),
				==,
				"the hello service could not be reached");
		/* what went wrong, in the client's language too */
		g_assert_cmpstr(ms_test_response_get_string(failed_th, "detail"),
				==,
				"ติดต่อบริการ hello ไม่ได้");
	}
	g_clear_object(&session);
	ms_test_server_free(server);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
#define ADD(path, func) g_test_add(path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
	ADD("/greeter-handler/hello", test_hello);
	ADD("/greeter-handler/thai", test_thai);
	ADD("/greeter-handler/nameless-repeated", test_nameless_repeated);
	ADD("/greeter-handler/errors", test_errors);
	ADD("/greeter-handler/request-id", test_request_id);
	ADD("/greeter-handler/head", test_head);
#undef ADD
	g_test_add_func("/greeter-handler/far-greeter", test_far_greeter);
	return g_test_run();
}
