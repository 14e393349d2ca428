/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "core/services/ms-phrase-greeter.h"
#include "ms-test-utils.h"

typedef struct {
	char *message;
	GError *error;
	gboolean done;
} GreetResult;

static void
on_greeted(GObject *source, GAsyncResult *result, gpointer user_data)
{
	GreetResult *out = user_data;

	out->message = ms_greeter_greet_finish(MS_GREETER(source), result, &out->error);
	out->done = TRUE;
}

/* the async answer, checked to be the one ms_greeter_greet() gives at once */
static char *
greet(MsGreeter *greeter, const char *name, const char *language, GError **error)
{
	GreetResult out = { 0 };
	g_autoptr(GError) at_once_error = NULL;
	g_autofree char *at_once = NULL;

	ms_greeter_greet_async(greeter, name, language, "test-request", NULL, on_greeted, &out);
	while (!out.done)
		g_main_context_iteration(NULL, TRUE);
	g_assert_true(ms_greeter_answers_at_once(greeter));
	at_once = ms_greeter_greet(greeter, name, language, "test-request", &at_once_error);
	g_assert_cmpstr(at_once, ==, out.message);
	if (out.error != NULL) {
		g_assert_error(at_once_error, out.error->domain, out.error->code);
		g_assert_cmpstr(at_once_error->message, ==, out.error->message);
	} else {
		g_assert_no_error(at_once_error);
	}
	if (out.error != NULL)
		g_propagate_error(error, out.error);
	return out.message;
}

static void
test_phrases(void)
{
	struct {
		MsGreeter *(*make)(void);
		const char *name;
		const char *language;
		const char *expected;
	} cases[] = {
		{ ms_hello_service_new, NULL, "en", "Hello!" },
		{ ms_hello_service_new, "Ada", "en", "Hello, Ada!" },
		{ ms_hello_service_new, "Ada", "th", "สวัสดี, Ada!" },
		{ ms_hello_service_new, NULL, "th", "สวัสดี!" },
		{ ms_world_service_new, NULL, "en", "World!" },
		{ ms_world_service_new, "ignored", "th", "ชาวโลก!" },
		{ ms_goodbye_service_new, "สมชาย", "en", "Goodbye, สมชาย!" },
		{ ms_goodbye_service_new, NULL, "th", "ลาก่อน!" },
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(MsGreeter) greeter = cases[i].make();
		g_autoptr(GError) error = NULL;
		g_autofree char *message = greet(greeter, cases[i].name, cases[i].language, &error);

		g_assert_no_error(error);
		g_assert_cmpstr(message, ==, cases[i].expected);
	}
}

static void
test_names(void)
{
	g_autofree char *longest = g_strnfill(64, 'x');
	g_autofree char *too_long = g_strnfill(65, 'x');
	g_autoptr(GString) thai = g_string_new(NULL);
	const char *bad[] = { "",      "a\nb",     "tab\there",
			      "\x7f",  "\xff\xfe", "zero\xe2\x80\x8bwidth",
			      too_long };
	const char *good[] = { "Ada", "สมชาย", "O'Brien-Smith", "a b", longest, NULL };

	/* 64 Thai characters are 192 bytes: the limit counts characters */
	for (guint i = 0; i < 64; i++)
		g_string_append(thai, "ก");
	good[G_N_ELEMENTS(good) - 1] = thai->str;
	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		g_autoptr(GError) error = NULL;
		g_assert_true(ms_greeter_validate_name(good[i], "en", &error));
		g_assert_no_error(error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(MsGreeter) hello = ms_hello_service_new();
		g_autofree char *message = NULL;

		g_assert_false(ms_greeter_validate_name(bad[i], "en", &error));
		g_assert_error(error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME);
		g_clear_error(&error);
		message = greet(hello, bad[i], "en", &error);
		g_assert_null(message);
		g_assert_error(error, MS_GREETER_ERROR, MS_GREETER_ERROR_INVALID_NAME);
	}
}

static void
test_identity(void)
{
	g_autoptr(MsGreeter) hello = ms_hello_service_new();
	g_autoptr(MsGreeter) world = ms_world_service_new();

	g_assert_cmpstr(ms_greeter_get_name(hello), ==, "hello");
	g_assert_true(ms_greeter_accepts_name(hello));
	g_assert_cmpstr(ms_greeter_get_name(world), ==, "world");
	g_assert_false(ms_greeter_accepts_name(world));
	/* the error domain's name, as g_error_matches() reports it in a failing test */
	g_assert_cmpstr(g_quark_to_string(MS_GREETER_ERROR), ==, "ms-greeter-error-quark");
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/greeter/phrases", test_phrases);
	g_test_add_func("/greeter/names", test_names);
	g_test_add_func("/greeter/identity", test_identity);
	return g_test_run();
}
