/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-listen.h"
#include "common/ms-log.h"
#include "common/ms-log-access.h"
#include "common/ms-request-id.h"
#include "common/ms-soup-runtime-server.h"
#include "ms-test-utils.h"

static void
test_request_id_sanity(void)
{
	g_autofree char *made = ms_request_id_new();
	g_autofree char *longest = g_strnfill(MS_REQUEST_ID_MAX_LENGTH, 'a');
	g_autofree char *too_long = g_strnfill(MS_REQUEST_ID_MAX_LENGTH + 1, 'a');

	g_assert_true(ms_request_id_is_sane("abc-DEF_1.2"));
	g_assert_true(ms_request_id_is_sane(longest));
	g_assert_false(ms_request_id_is_sane(too_long));
	g_assert_false(ms_request_id_is_sane(""));
	g_assert_false(ms_request_id_is_sane(NULL));
	g_assert_false(ms_request_id_is_sane("a b"));
	g_assert_false(ms_request_id_is_sane("a\r\nX-Evil: 1"));
	g_assert_false(ms_request_id_is_sane("ไทย"));
	g_assert_cmpuint(strlen(made), ==, 32);
	g_assert_true(ms_request_id_is_sane(made));
}

static void
test_language_negotiation(void)
{
	g_assert_cmpstr(ms_language_negotiate(NULL), ==, "en");
	g_assert_cmpstr(ms_language_negotiate(""), ==, "en");
	g_assert_cmpstr(ms_language_negotiate("th"), ==, "th");
	g_assert_cmpstr(ms_language_negotiate("th-TH,th;q=0.9"), ==, "th");
	g_assert_cmpstr(ms_language_negotiate("TH"), ==, "th");
	g_assert_cmpstr(ms_language_negotiate("en;q=0.5, th"), ==, "th");
	g_assert_cmpstr(ms_language_negotiate("th;q=0.2, en;q=0.8"), ==, "en");
	g_assert_cmpstr(ms_language_negotiate("th;q=0"), ==, "en");
	g_assert_cmpstr(ms_language_negotiate("fr, th;q=0.1"), ==, "th");
	g_assert_cmpstr(ms_language_negotiate("thai"), ==, "en");
	g_assert_cmpstr(ms_language_negotiate("*"), ==, "en");
	g_assert_cmpstr(ms_language_negotiate(";;;,,,q=="), ==, "en");
}

static void
test_i18n_lookup(void)
{
	g_assert_cmpstr(ms_i18n_gettext("th", "Hello!"), ==, "สวัสดี!");
	g_assert_cmpstr(ms_i18n_gettext("en", "Hello!"), ==, "Hello!");
	g_assert_cmpstr(ms_i18n_gettext(NULL, "Hello!"), ==, "Hello!");
	g_assert_cmpstr(ms_i18n_gettext("th", "not in any catalog"), ==, "not in any catalog");
	g_assert_cmpstr(ms_i18n_gettext("xx", "Hello!"), ==, "Hello!");
}

static void
test_i18n_catalog_malformed(void)
{
	/* a header claiming a string far outside the file */
	static const guint8 lying[] = { 0xde, 0x12, 0x04, 0x95, 0,  0, 0, 0, 1,    0,    0, 0,
					28,   0,    0,    0,    36, 0, 0, 0, 0,    0,    0, 0,
					0,    0,    0,    0,    5,  0, 0, 0, 0xff, 0xff, 0, 0 };
	static const guint8 *inputs[] = { (const guint8 *)"",
					  (const guint8 *)"not a catalog",
					  lying };
	static const gsize sizes[] = { 0, 13, sizeof lying };

	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GBytes) bytes = g_bytes_new_static(inputs[i], sizes[i]);
		g_autoptr(GHashTable) table =
			g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		g_autoptr(GError) error = NULL;

		g_assert_false(ms_i18n_catalog_parse(bytes, table, &error));
		g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
	}
}

/* a catalog whose header is cut short or of a major revision past 1: not read */
static void
test_i18n_catalog_bad_header(void)
{
	static const guint8 future[] = { 0xde, 0x12, 0x04, 0x95, 0, 0, 2, 0, 0, 0,
					 0,    0,    0,    0,    0, 0, 0, 0, 0, 0 };
	static const guint8 future_swapped[] = { 0x95, 0x04, 0x12, 0xde, 0, 2, 0, 0, 0, 0,
						 0,    0,    0,    0,    0, 0, 0, 0, 0, 0 };
	static const guint8 *inputs[] = { future, future_swapped, future };
	static const gsize sizes[] = { sizeof future, sizeof future_swapped, 10 };

	for (guint i = 0; i < G_N_ELEMENTS(inputs); i++) {
		g_autoptr(GBytes) bytes = g_bytes_new_static(inputs[i], sizes[i]);
		g_autoptr(GHashTable) table =
			g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
		g_autoptr(GError) error = NULL;

		g_assert_false(ms_i18n_catalog_parse(bytes, table, &error));
		g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
		g_assert_cmpstr(error->message, ==, "bad .mo header");
	}
}

typedef struct {
	guint entries;
	gboolean saw_fields;
} Capture;

static void
capture_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
	Capture *capture = user_data;
	const char *code = ms_test_log_field(fields, n_fields, "CODE_FILE");

	capture->entries++;
	capture->saw_fields =
		code != NULL && strstr(code, "test-common") != NULL &&
		ms_test_log_field(fields, n_fields, "SYSLOG_IDENTIFIER") != NULL &&
		g_strcmp0(ms_test_log_field(fields, n_fields, "REQUEST_ID"), "abc") == 0;
}

static void
test_log_fields(void)
{
	Capture capture = { 0 };
	const MsLogField fields[] = { { "REQUEST_ID", "abc" }, { "USER_NAME", NULL } };

	ms_log_set_capture(capture_writer, &capture);
	ms_log_fields(G_LOG_LEVEL_DEBUG, fields, G_N_ELEMENTS(fields), "%s %d%%", "value", 100);
	ms_log_set_capture(NULL, NULL);
	g_assert_cmpuint(capture.entries, ==, 1);
	g_assert_true(capture.saw_fields);
}

/*
 * what the writer puts on stderr (fd 2) for one entry, when not under journald;
 * with @ident, an entry another identifier logged through GLib
 */
static char *
stderr_line_of(const MsLogField *fields, gsize n_fields, const char *message, const char *ident)
{
	g_autofree char *path = NULL;
	g_autoptr(GError) error = NULL;
	int saved = dup(STDERR_FILENO);
	int fd = g_file_open_tmp("ms-log-XXXXXX", &path, &error);
	char *line = NULL;

	g_assert_no_error(error);
	g_assert_cmpint(dup2(fd, STDERR_FILENO), ==, STDERR_FILENO);
	if (ident != NULL)
		g_log_structured(G_LOG_DOMAIN,
				 G_LOG_LEVEL_MESSAGE,
				 "SYSLOG_IDENTIFIER",
				 ident,
				 "MESSAGE",
				 "%s",
				 message);
	else
		ms_log_fields(G_LOG_LEVEL_MESSAGE, fields, n_fields, "%s", message);
	g_assert_cmpint(dup2(saved, STDERR_FILENO), ==, STDERR_FILENO);
	close(saved);
	close(fd);
	g_assert_true(g_file_get_contents(path, &line, NULL, &error));
	g_assert_no_error(error);
	g_unlink(path);
	return line;
}

/* the line: local time to the millisecond, identifier[pid], message, then the ids */
static void
test_log_stderr_line(void)
{
	const MsLogField request[] = { { "REQUEST_ID", "abc" },
				       { "HTTP_STATUS", "200" },
				       { "UPSTREAM", "unix:/a b" },
				       { "ROUTE", "hello" },
				       { "USER_NAME", NULL } };
	g_autofree char *pattern = g_strdup_printf(
		"^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3} microsoup-test\\[%d\\]: ",
		(int)getpid());
	g_autofree char *foreign_pattern = g_strdup_printf(
		"^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3} other-ident\\[%d\\]: foreign\n$",
		(int)getpid());
	g_autofree char *full =
		stderr_line_of(request, G_N_ELEMENTS(request), "GET /x 200 7µs", NULL);
	g_autofree char *plain = stderr_line_of(NULL, 0, "ready", NULL);
	g_autofree char *null = stderr_line_of(NULL, 0, NULL, NULL);
	g_autofree char *foreign = stderr_line_of(NULL, 0, "foreign", "other-ident");

	g_test_message("%s", full);
	g_assert_true(g_regex_match_simple(pattern, full, 0, 0));
	g_assert_true(
		g_str_has_suffix(full, ": GET /x 200 7µs id=abc route=hello upstream=unix:/a b\n"));
	g_assert_true(g_regex_match_simple(pattern, plain, 0, 0));
	g_assert_true(g_str_has_suffix(plain, "]: ready\n"));
	/* "%s" of NULL says what printf() says */
	g_assert_true(g_str_has_suffix(null, "]: (null)\n"));
	/* an entry of another identifier says it, not this process's */
	g_assert_true(g_regex_match_simple(foreign_pattern, foreign, 0, 0));
}

static void
test_log_format_uint(void)
{
	const guint64 values[] = { 0, 7, 10, 200, 1234567, G_MAXUINT64 };

	for (guint i = 0; i < G_N_ELEMENTS(values); i++) {
		char buffer[MS_LOG_UINT_SIZE];
		g_autofree char *expected = g_strdup_printf("%" G_GUINT64_FORMAT, values[i]);

		g_assert_cmpstr(ms_log_format_uint(values[i], buffer), ==, expected);
	}
}

/*
 * The writer honours the always-fatal mask as GLib's default writer does:
 * g_test_init() puts warnings and criticals in it, so each ends a test.
 */
/* the pieces joined in the buffer when they fit, else on the heap, whole either way */
static void
test_log_concat(void)
{
	char buffer[8];
	char *heap = NULL;
	const char *text;

	text = ms_log_concat(buffer, sizeof buffer, &heap, "ab", "", "cd", NULL);
	g_assert_cmpstr(text, ==, "abcd");
	g_assert_true(text == buffer);
	g_assert_null(heap);

	/* seven characters and the NUL fill the buffer exactly */
	text = ms_log_concat(buffer, sizeof buffer, &heap, "abc", "defg", NULL);
	g_assert_cmpstr(text, ==, "abcdefg");
	g_assert_true(text == buffer);
	g_assert_null(heap);

	/* eight leave no room for the NUL */
	text = ms_log_concat(buffer, sizeof buffer, &heap, "abcd", "efgh", NULL);
	g_assert_cmpstr(text, ==, "abcdefgh");
	g_assert_true(text == heap);
	g_clear_pointer(&heap, g_free);

	text = ms_log_concat(buffer, sizeof buffer, &heap, "abc", "defgh", "ij", NULL);
	g_assert_cmpstr(text, ==, "abcdefghij");
	g_assert_true(text == heap);
	g_clear_pointer(&heap, g_free);

	text = ms_log_concat(buffer, sizeof buffer, &heap, "a", "bcdefghijk", NULL);
	g_assert_cmpstr(text, ==, "abcdefghijk");
	g_assert_true(text == heap);
	g_clear_pointer(&heap, g_free);
}

static void
test_log_fatal_critical(void)
{
	if (g_test_subprocess()) {
		ms_log_fields(G_LOG_LEVEL_CRITICAL, NULL, 0, "a critical in a test");
		g_warning("a warning after it");
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*CRITICAL: a critical in a test*");
	/* the entry is written before the process ends, and nothing after it */
	g_test_trap_assert_stderr_unmatched("*a warning after it*");
}

static void
test_log_fatal_warning(void)
{
	if (g_test_subprocess()) {
		g_warning("a warning in a test");
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*WARNING: a warning in a test*");
}

/* outside tests the mask holds only errors, unless G_DEBUG adds to it: nothing ends */
static void
test_log_not_fatal_outside_mask(void)
{
	if (g_test_subprocess()) {
		g_log_set_always_fatal(G_LOG_FATAL_MASK);
		ms_log_fields(G_LOG_LEVEL_CRITICAL, NULL, 0, "a critical, not fatal");
		ms_warning("a warning, not fatal");
		return;
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_passed();
	g_test_trap_assert_stderr(
		"*CRITICAL: a critical, not fatal*WARNING: a warning, not fatal*");
}

/* an expected entry is neither written nor fatal; one that never came fails the test */
static void
test_log_expected(void)
{
	if (g_test_subprocess()) {
		ms_log_expect_message(G_LOG_LEVEL_WARNING, "never logged");
		ms_log_assert_expected_messages();
		return;
	}
	ms_log_expect_message(G_LOG_LEVEL_WARNING, "second: *");
	ms_log_expect_message(G_LOG_LEVEL_WARNING, "first: *");
	ms_warning("first: %d", 1);
	ms_warning("second: %d", 2);
	ms_log_assert_expected_messages();

	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*did not see the expected message: never logged*");
}

/* what is in the non-blocking @fd now, as text */
static char *
drain_fd(int fd)
{
	GString *text = g_string_new(NULL);
	char buffer[4096];
	gssize n;

	while ((n = read(fd, buffer, sizeof buffer)) > 0)
		g_string_append_len(text, buffer, n);
	return g_string_free(text, FALSE);
}

typedef struct {
	int read_fd;
	char *seen_in_turn; /* what the pipe held while the turn that logged still ran */
} BatchTurn;

static gboolean
log_two_lines(gpointer data)
{
	BatchTurn *turn = data;

	ms_message("first line of the turn");
	ms_message("second line of the turn");
	turn->seen_in_turn = drain_fd(turn->read_fd);
	return G_SOURCE_REMOVE;
}

/* stderr lines logged inside a loop's turn are written together when the turn ends */
static void
test_log_stderr_batched_per_turn(void)
{
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(GSource) idle = g_idle_source_new();
	BatchTurn turn = { 0 };
	g_autofree char *written = NULL;
	int saved = dup(STDERR_FILENO);
	int fds[2];

	g_assert_no_errno(pipe(fds));
	g_assert_true(g_unix_set_fd_nonblocking(fds[0], TRUE, NULL));
	g_assert_cmpint(dup2(fds[1], STDERR_FILENO), ==, STDERR_FILENO);
	turn.read_fd = fds[0];
	g_main_context_push_thread_default(context);
	g_source_set_callback(idle, log_two_lines, &turn, NULL);
	g_source_attach(idle, context);
	while (turn.seen_in_turn == NULL)
		g_main_context_iteration(context, FALSE);
	/* the next turn begins by writing the last one's lines */
	g_main_context_iteration(context, FALSE);
	g_main_context_pop_thread_default(context);
	written = drain_fd(fds[0]);
	g_assert_cmpint(dup2(saved, STDERR_FILENO), ==, STDERR_FILENO);
	close(saved);
	close(fds[0]);
	close(fds[1]);

	g_assert_cmpstr(turn.seen_in_turn, ==, "");
	g_test_message("%s", written);
	g_assert_true(g_regex_match_simple(
		"^[^\\n]*: first line of the turn\\n[^\\n]*: second line of the turn\\n$",
		written,
		0,
		0));
	g_free(turn.seen_in_turn);
}

typedef struct {
	gboolean logged;
	guint captured;
} AccessTurn;

static void
capture_access_entry(GLogLevelFlags level,
		     const GLogField *fields,
		     gsize n_fields,
		     gpointer user_data)
{
	AccessTurn *turn = user_data;
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "REQUEST_ID"), ==, "r-1");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "HTTP_METHOD"), ==, "GET");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "HTTP_PATH"), ==, "/a%20b");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "HTTP_STATUS"), ==, "404");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "DURATION_USEC"), ==, "1234");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "ROUTE"), ==, "hello");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "UPSTREAM"), ==, "unix:/x, unix:/y");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "REMOTE_ADDR"), ==, "127.0.0.1");
	g_assert_cmpstr(ms_test_log_field(fields, n_fields, "USER_NAME"), ==, "ada");
	turn->captured++;
}

static gboolean
log_access_entry(gpointer data)
{
	AccessTurn *turn = data;
	const MsAccessEntry entry = {
		.request_id = "r-1",
		.method = "GET",
		.path = "/a%20b",
		.status = 404,
		.duration_us = 1234,
		.note = " (client went away)",
		.route = "hello",
		.upstream = "unix:/x, unix:/y",
		.remote_addr = "127.0.0.1",
		.user = "ada",
	};

	ms_log_access(&entry);
	turn->logged = TRUE;
	return G_SOURCE_REMOVE;
}

/* the stderr line of one access entry logged in a loop's turn, with or without a capture */
static char *
access_line_logged(AccessTurn *turn, gboolean with_capture)
{
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(GSource) idle = g_idle_source_new();
	int saved = dup(STDERR_FILENO);
	int fds[2];
	char *written;

	g_assert_no_errno(pipe(fds));
	g_assert_true(g_unix_set_fd_nonblocking(fds[0], TRUE, NULL));
	g_assert_cmpint(dup2(fds[1], STDERR_FILENO), ==, STDERR_FILENO);
	if (with_capture)
		ms_log_set_capture(capture_access_entry, turn);
	g_main_context_push_thread_default(context);
	g_source_set_callback(idle, log_access_entry, turn, NULL);
	g_source_attach(idle, context);
	while (!turn->logged)
		g_main_context_iteration(context, FALSE);
	g_main_context_iteration(context, FALSE);
	g_main_context_pop_thread_default(context);
	ms_log_set_capture(NULL, NULL);
	written = drain_fd(fds[0]);
	g_assert_cmpint(dup2(saved, STDERR_FILENO), ==, STDERR_FILENO);
	close(saved);
	close(fds[0]);
	close(fds[1]);
	return written;
}

/*
 * An access entry that nothing watches is written straight into the batch; one
 * that is watched goes through the fields and the writer: the line is the same
 */
static void
test_log_access_line_both_ways(void)
{
	AccessTurn plain_turn = { 0 };
	AccessTurn watched_turn = { 0 };
	g_autofree char *plain = access_line_logged(&plain_turn, FALSE);
	g_autofree char *watched = access_line_logged(&watched_turn, TRUE);
	g_autofree char *pattern = g_strdup_printf(
		"^[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3} microsoup-test\\[%d\\]: "
		"GET /a%%20b 404 1234µs \\(client went away\\) id=r-1 route=hello "
		"upstream=unix:/x, unix:/y\n$",
		(int)getpid());

	g_test_message("%s", plain);
	g_assert_cmpuint(plain_turn.captured, ==, 0);
	g_assert_cmpuint(watched_turn.captured, ==, 1);
	g_assert_true(g_regex_match_simple(pattern, plain, 0, 0));
	/* past the time stamp, byte for byte */
	g_assert_cmpstr(plain + sizeof "HH:MM:SS.mmm", ==, watched + sizeof "HH:MM:SS.mmm");
}

static gboolean
log_line_then_warning(gpointer data)
{
	ms_message("a line the warning must not overtake");
	g_warning("the warning");
	return G_SOURCE_REMOVE;
}

/* a warning is written at once, after the lines the turn held: none is lost */
static void
test_log_stderr_warning_flushes_batch(void)
{
	if (g_test_subprocess()) {
		g_autoptr(GMainContext) context = g_main_context_new();
		g_autoptr(GSource) idle = g_idle_source_new();

		g_main_context_push_thread_default(context);
		g_source_set_callback(idle, log_line_then_warning, NULL, NULL);
		g_source_attach(idle, context);
		/* the warning is fatal in a test: the turn never ends */
		while (TRUE)
			g_main_context_iteration(context, TRUE);
	}
	g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
	g_test_trap_assert_failed();
	g_test_trap_assert_stderr("*a line the warning must not overtake*WARNING: the warning*");
}

static void
test_listen_specs(void)
{
	const char *bad[] = { "bogus",           "unix:relative.sock",  "tcp:127.0.0.1",
			      "tcp:127.0.0.1:0", "tcp:127.0.0.1:70000", "tcp:not-an-address:80",
			      "tcp::80" };
	g_autofree char *dir = g_dir_make_tmp("ms-listen-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "a.sock", NULL);
	g_autofree char *spec = g_strconcat("unix:", path, NULL);

	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) socket = ms_listen_socket_open(bad[i], &error);

		g_assert_null(socket);
		g_assert_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	}
	/* twice: a stale socket file from an earlier run does not block the next */
	for (guint i = 0; i < 2; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) socket = ms_listen_socket_open(spec, &error);

		g_assert_no_error(error);
		g_assert_nonnull(socket);
	}
	g_unlink(path);
	g_rmdir(dir);
}

/* answers with the id a handler gets, and 500 when the request carries another */
static void
echo_served_id(SoupServer *server,
	       SoupServerMessage *msg,
	       const char *path,
	       GHashTable *query,
	       gpointer user_data)
{
	const char *id = ms_soup_server_get_request_id(server, msg);
	const char *carried =
		soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					     MS_REQUEST_ID_HEADER);

	if (id == NULL || (carried != NULL && strcmp(carried, id) != 0)) {
		soup_server_message_set_status(msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
		return;
	}
	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg, "text/plain", SOUP_MEMORY_COPY, id, strlen(id));
}

/* the HTTP_PATH of every OPTIONS access entry, one after the other */
static void
capture_options_paths(GLogLevelFlags level,
		      const GLogField *fields,
		      gsize n_fields,
		      gpointer user_data)
{
	GString *paths = user_data;
	const char *method = ms_test_log_field(fields, n_fields, "HTTP_METHOD");
	const char *path = ms_test_log_field(fields, n_fields, "HTTP_PATH");

	if (g_strcmp0(method, "OPTIONS") == 0 && path != NULL)
		g_string_append(paths, path);
}

/*
 * the runtime's server hands its handlers the id the client gets back; OPTIONS *,
 * which no handler of a path takes, gets an id and a problem answer too, and both
 * it and its log line name "*", not the "/" libsoup makes of it
 */
static void
test_soup_server_request_id(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *path = g_build_filename(dir, "s.sock", NULL);
	g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func(g_object_unref);
	MsRuntimeServer *server = ms_soup_runtime_server_new("test");
	g_autoptr(SoupSession) session = NULL;
	const char *const sane[] = { MS_REQUEST_ID_HEADER, "client-id.7", NULL };
	const char *const insane[] = { MS_REQUEST_ID_HEADER, "has space", NULL };
	g_autoptr(GError) error = NULL;
	g_autofree char *ping = NULL;
	g_autofree char *ping_id = NULL;
	g_autoptr(GString) logged_paths = g_string_new(NULL);

	g_ptr_array_add(sockets, ms_test_bind_unix(path));
	ms_soup_server_add_handler(ms_soup_runtime_server_get_soup_server(server),
				   "/id",
				   echo_served_id,
				   NULL,
				   NULL);
	g_assert_true(server->start(server, sockets, &error));
	g_assert_no_error(error);
	session = ms_test_session_new(path);
	for (guint i = 0; i < 3; i++) {
		const char *const *headers = i == 0 ? NULL : i == 1 ? sane : insane;
		g_autoptr(MsTestResponse) r = ms_test_request(session, "GET", "/id", headers, NULL);
		g_autofree char *served =
			g_strndup(g_bytes_get_data(r->body, NULL), g_bytes_get_size(r->body));

		g_assert_cmpuint(r->status, ==, SOUP_STATUS_OK);
		g_assert_true(ms_request_id_is_sane(served));
		g_assert_cmpstr(served, ==, ms_test_response_get_header(r, MS_REQUEST_ID_HEADER));
		if (i == 1)
			g_assert_cmpstr(served, ==, "client-id.7");
	}
	ms_log_set_capture(capture_options_paths, logged_paths);
	ping = ms_test_exchange_raw(path,
				    "OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	ms_log_set_capture(NULL, NULL);
	g_assert_true(g_str_has_prefix(ping, "HTTP/1.1 404 "));
	g_assert_nonnull(strstr(ping, "application/problem+json"));
	g_assert_nonnull(strstr(ping, "\"instance\":\"*\""));
	g_assert_cmpstr(logged_paths->str, ==, "*");
	ping_id = ms_test_raw_header(ping, MS_REQUEST_ID_HEADER);
	g_assert_true(ms_request_id_is_sane(ping_id));
	g_assert_cmpuint(server->get_n_requests(server), ==, 4);
	g_clear_object(&session);
	server->free(server);
	ms_test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/common/request-id/sanity", test_request_id_sanity);
	g_test_add_func("/common/language/negotiation", test_language_negotiation);
	g_test_add_func("/common/i18n/lookup", test_i18n_lookup);
	g_test_add_func("/common/i18n/catalog-malformed", test_i18n_catalog_malformed);
	g_test_add_func("/common/i18n/catalog-bad-header", test_i18n_catalog_bad_header);
	g_test_add_func("/common/log/fields", test_log_fields);
	g_test_add_func("/common/log/stderr-line", test_log_stderr_line);
	g_test_add_func("/common/log/format-uint", test_log_format_uint);
	g_test_add_func("/common/log/concat", test_log_concat);
	g_test_add_func("/common/log/fatal-critical", test_log_fatal_critical);
	g_test_add_func("/common/log/fatal-warning", test_log_fatal_warning);
	g_test_add_func("/common/log/not-fatal-outside-mask", test_log_not_fatal_outside_mask);
	g_test_add_func("/common/log/expected", test_log_expected);
	g_test_add_func("/common/log/stderr-batched-per-turn", test_log_stderr_batched_per_turn);
	g_test_add_func("/common/log/access-line-both-ways", test_log_access_line_both_ways);
	g_test_add_func("/common/log/stderr-warning-flushes-batch",
			test_log_stderr_warning_flushes_batch);
	g_test_add_func("/common/listen/specs", test_listen_specs);
	g_test_add_func("/common/soup-server/request-id", test_soup_server_request_id);
	return g_test_run();
}
