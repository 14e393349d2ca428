/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>

#include "adapters/ms-http-greeter.h"
#include "core/services/ms-phrase-greeter.h"
#include "handlers/ms-greeter-handler.h"
#include "ms-test-utils.h"

/*
 * The HTTP greeter against an upstream that answers in raw bytes: every answer the
 * greeting cannot use must become the right MsGreeterError, with a message that
 * says what the upstream did. The upstream runs in its own thread, so it can block
 * reading the request while the main loop drives the client.
 */

typedef struct {
	char *dir;
	char *socket_path;
	GSocket *listener;
	GCancellable *stop;
	GThread *thread;
	const char *answer; /* the bytes written after the request head, then EOF */
	MsHttpGreeter *greeter;
} AnswerFixture;

/* the upstream's thread: one connection at a time, until the fixture stops it */
static gpointer
serve(gpointer user_data)
{
	AnswerFixture *fx = user_data;
	GSocket *connection;

	while ((connection = g_socket_accept(fx->listener, fx->stop, NULL)) != NULL) {
		g_autoptr(GString) head = g_string_new(NULL);
		char byte;

		/* the request has no body: its head ends at the first blank line */
		g_socket_set_blocking(connection, TRUE);
		while (!g_str_has_suffix(head->str, "\r\n\r\n") &&
		       g_socket_receive(connection, &byte, 1, NULL, NULL) == 1)
			g_string_append_c(head, byte);
		g_socket_send(connection, fx->answer, strlen(fx->answer), NULL, NULL);
		g_socket_close(connection, NULL);
		g_object_unref(connection);
	}
	return NULL;
}

static void
fx_setup(AnswerFixture *fx, gconstpointer data)
{
	g_autofree char *upstream = NULL;
	g_autoptr(GError) error = NULL;

	fx->dir = ms_test_dir_new();
	fx->socket_path = g_build_filename(fx->dir, "hello.sock", NULL);
	fx->listener = ms_test_bind_unix(fx->socket_path);
	g_socket_set_blocking(fx->listener, TRUE);
	fx->stop = g_cancellable_new();
	fx->thread = g_thread_new("upstream", serve, fx);

	upstream = g_strconcat("unix:", fx->socket_path, NULL);
	fx->greeter = ms_http_greeter_new("hello", upstream, TRUE, &error);
	g_assert_no_error(error);
}

static void
fx_teardown(AnswerFixture *fx, gconstpointer data)
{
	g_clear_object(&fx->greeter);
	g_cancellable_cancel(fx->stop);
	g_thread_join(fx->thread);
	g_clear_object(&fx->stop);
	g_clear_object(&fx->listener);
	ms_test_dir_remove(fx->dir);
	g_free(fx->socket_path);
	g_free(fx->dir);
}

static void
on_greeted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GAsyncResult **out = user_data;

	*out = g_object_ref(result);
}

/* greets through the adapter; the error it fails with, or NULL */
static GError *
greet_error(AnswerFixture *fx, const char *answer)
{
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *message = NULL;
	GError *error = NULL;

	fx->answer = answer;
	ms_greeter_greet_async(MS_GREETER(fx->greeter),
			       "Ana",
			       NULL,
			       NULL,
			       NULL,
			       on_greeted,
			       &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	message = ms_greeter_greet_finish(MS_GREETER(fx->greeter), result, &error);
	g_assert_true((message == NULL) == (error != NULL));
	return error;
}

static void
assert_answer_fails(AnswerFixture *fx, const char *answer, int code, const char *expected)
{
	g_autoptr(GError) error = greet_error(fx, answer);

	g_assert_error(error, MS_GREETER_ERROR, code);
	if (strstr(error->message, expected) == NULL)
		g_error("expected “%s” in “%s”", expected, error->message);
}

static void
assert_answer_fails_with(AnswerFixture *fx, const char *answer, int code, const char *message)
{
	g_autoptr(GError) error = greet_error(fx, answer);

	g_assert_error(error, MS_GREETER_ERROR, code);
	g_assert_cmpstr(error->message, ==, message);
}

/* an answer with its Content-Length filled in */
static char *
answer_new(const char *status_line, const char *content_type, const char *body)
{
	return g_strdup_printf("%s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			       "Connection: close\r\n\r\n%s",
			       status_line,
			       content_type,
			       strlen(body),
			       body);
}

static void
test_good_answer(AnswerFixture *fx, gconstpointer data)
{
	g_autofree char *answer =
		answer_new("HTTP/1.1 200 OK", "application/json", "{\"message\":\"Hello Ana\"}");
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *message = NULL;
	g_autoptr(GError) error = NULL;

	/* the fixture itself: an answer it can use comes through */
	fx->answer = answer;
	ms_greeter_greet_async(MS_GREETER(fx->greeter),
			       "Ana",
			       NULL,
			       NULL,
			       NULL,
			       on_greeted,
			       &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	message = ms_greeter_greet_finish(MS_GREETER(fx->greeter), result, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(message, ==, "Hello Ana");
}

static void
test_status(AnswerFixture *fx, gconstpointer data)
{
	g_autofree char *error_500 = answer_new("HTTP/1.1 500 Oops", "text/plain", "oops");
	g_autofree char *error_503 = answer_new("HTTP/1.1 503 Busy", "text/plain", "busy");
	g_autofree char *error_504 = answer_new("HTTP/1.1 504 Late", "text/plain", "late");

	/* its own upstream down or late: the greeting says so, not "bad answer" */
	assert_answer_fails_with(fx,
				 error_503,
				 MS_GREETER_ERROR_UNAVAILABLE,
				 "hello answered HTTP 503");
	assert_answer_fails_with(fx,
				 error_504,
				 MS_GREETER_ERROR_TIMED_OUT,
				 "hello answered HTTP 504");
	/* any other status is refused before its body is looked at */
	assert_answer_fails_with(fx,
				 error_500,
				 MS_GREETER_ERROR_BAD_RESPONSE,
				 "hello answered HTTP 500");
}

static void
test_bad_json(AnswerFixture *fx, gconstpointer data)
{
	g_autofree char *not_json = answer_new("HTTP/1.1 200 OK", "application/json", "{oops");
	g_autofree char *array = answer_new("HTTP/1.1 200 OK", "application/json", "[1]");
	g_autofree char *no_type =
		g_strdup("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");

	assert_answer_fails(fx,
			    not_json,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "hello answered HTTP 200 with bad JSON: ");
	assert_answer_fails(fx,
			    array,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "hello answered HTTP 200 with bad JSON: not a JSON object");
	assert_answer_fails(fx,
			    no_type,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "hello answered HTTP 200 with no content type, not JSON");
}

static void
test_no_message(AnswerFixture *fx, gconstpointer data)
{
	const char *const bodies[] = { "{}", "{\"message\":5}", "{\"message\":\"\"}" };

	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autofree char *answer =
			answer_new("HTTP/1.1 200 OK", "application/json", bodies[i]);

		assert_answer_fails(fx,
				    answer,
				    MS_GREETER_ERROR_BAD_RESPONSE,
				    "hello answered no message");
	}
}

static void
test_refused(AnswerFixture *fx, gconstpointer data)
{
	g_autofree char *other =
		answer_new("HTTP/1.1 400 Bad Request",
			   "application/problem+json",
			   "{\"type\":\"urn:other\",\"detail\":\"no such thing\"}");
	g_autofree char *bare =
		answer_new("HTTP/1.1 400 Bad Request", "application/problem+json", "{}");

	/* a 400 that is not about the name is the greeting's fault, not the client's */
	assert_answer_fails(fx,
			    other,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "hello refused the request: no such thing");
	assert_answer_fails(fx,
			    bare,
			    MS_GREETER_ERROR_BAD_RESPONSE,
			    "hello refused the request: no detail");
}

static void
test_garbage(AnswerFixture *fx, gconstpointer data)
{
	/* not HTTP at all: libsoup's parse error becomes a bad answer */
	assert_answer_fails(fx, "HELLO THERE\r\n\r\n", MS_GREETER_ERROR_BAD_RESPONSE, "hello at ");
}

static void
test_cut_body(AnswerFixture *fx, gconstpointer data)
{
	/* the upstream went away inside the body: as unavailable as not answering */
	assert_answer_fails(fx,
			    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: 100\r\n\r\n{\"message\":",
			    MS_GREETER_ERROR_UNAVAILABLE,
			    "hello at ");
}

/* http://HOST:PORT: a real hello on TCP, its host name resolved (a pod's Service) */
static void
test_over_tcp(void)
{
	g_autoptr(SoupServer) server = soup_server_new(NULL, NULL);
	g_autoptr(MsGreeter) hello = ms_hello_service_new();
	g_autofree char *upstream = NULL;
	g_autoptr(MsHttpGreeter) greeter = NULL;
	g_autoptr(GAsyncResult) result = NULL;
	g_autofree char *message = NULL;
	g_autoptr(GError) error = NULL;

	ms_greeter_handler_register(server, hello);
	upstream = g_strdup_printf("http://localhost:%u", ms_test_server_listen_tcp(server));
	greeter = ms_http_greeter_new("hello", upstream, TRUE, &error);
	g_assert_no_error(error);
	ms_greeter_greet_async(MS_GREETER(greeter), "Ana", NULL, NULL, NULL, on_greeted, &result);
	while (result == NULL)
		g_main_context_iteration(NULL, TRUE);
	message = ms_greeter_greet_finish(MS_GREETER(greeter), result, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(message, ==, "Hello, Ana!");
}

/* what is neither unix:PATH nor http://HOST:PORT is refused when it is given */
static void
test_bad_upstreams(void)
{
	const char *const bad[] = {
		"",
		"unix:",
		"tcp:hello:8080",
		"https://hello:8443",
		"http://hello",
		"http://:8080",
		"http://hello:8080/hello",
		"http://hello:8080?x=1",
		"http://user@hello:8080",
	};

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MsHttpGreeter) greeter =
			ms_http_greeter_new("hello", bad[i], TRUE, &error);

		g_assert_null(greeter);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
		g_test_message("%s: %s", bad[i], error->message);
	}
}

#define ANSWER_ADD(path, func) g_test_add(path, AnswerFixture, NULL, fx_setup, func, fx_teardown)

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	ANSWER_ADD("/http-greeter/answers/good", test_good_answer);
	ANSWER_ADD("/http-greeter/answers/status", test_status);
	ANSWER_ADD("/http-greeter/answers/bad-json", test_bad_json);
	ANSWER_ADD("/http-greeter/answers/no-message", test_no_message);
	ANSWER_ADD("/http-greeter/answers/refused", test_refused);
	ANSWER_ADD("/http-greeter/answers/garbage", test_garbage);
	ANSWER_ADD("/http-greeter/answers/cut-body", test_cut_body);
	g_test_add_func("/http-greeter/over-tcp", test_over_tcp);
	g_test_add_func("/http-greeter/bad-upstreams", test_bad_upstreams);
	return g_test_run();
}
