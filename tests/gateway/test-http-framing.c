/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "../lib/ms-test-soup-headers.h"
#include "gateway/adapters/http1/ms-http-framing.h"
#include "ms-test-utils.h"

/* unit tests: the front's HTTP/1.1 framing over bytes a client chose, no sockets */

typedef struct {
	MsHttpFields *headers;
	const char *method; /* in the headers' storage */
	const char *target; /* in the headers' storage */
	SoupHTTPVersion version;
} Head;

static void
head_clear(Head *head)
{
	g_clear_pointer(&head->headers, ms_http_fields_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Head, head_clear)

/* a whole head, as the front hands it over: found, then parsed */
static MsHttpError
parse(const char *text, Head *head)
{
	gsize length = strlen(text);
	gsize skip = ms_http_skip_empty_lines(text, length);
	gsize scanned = 0;
	gsize head_length = 0;

	g_assert_cmpint(ms_http_head_find(text + skip,
					  length - skip,
					  MS_HTTP_MAX_HEAD_BYTES,
					  &scanned,
					  &head_length),
			==,
			MS_HTTP_HEAD_COMPLETE);
	g_assert_cmpuint(skip + head_length, ==, length);
	head->headers = ms_http_fields_new();
	return ms_http_head_parse(text + skip,
				  head_length,
				  head->headers,
				  &head->method,
				  &head->target,
				  &head->version);
}

static void
test_skip_empty_lines(void)
{
	g_assert_cmpuint(ms_http_skip_empty_lines("", 0), ==, 0);
	g_assert_cmpuint(ms_http_skip_empty_lines("GET", 3), ==, 0);
	g_assert_cmpuint(ms_http_skip_empty_lines("\r\n\r\nGET", 7), ==, 4);
	g_assert_cmpuint(ms_http_skip_empty_lines("\n\r\nGET", 6), ==, 3);
	/* a CR alone may be the start of a CRLF still on its way */
	g_assert_cmpuint(ms_http_skip_empty_lines("\r\n\r", 3), ==, 2);
	g_assert_cmpuint(ms_http_skip_empty_lines("\rGET", 4), ==, 0);
}

static void
test_head_find(void)
{
	const char *crlf = "GET / HTTP/1.1\r\nHost: a\r\n\r\nbody";
	const char *lf = "GET / HTTP/1.1\nHost: a\n\nbody";
	const char *mixed = "GET / HTTP/1.1\r\nHost: a\n\r\n";
	gsize scanned = 0;
	gsize head_length = 0;

	g_assert_cmpint(ms_http_head_find(crlf, strlen(crlf), 100, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_COMPLETE);
	g_assert_cmpuint(head_length, ==, strlen(crlf) - 4);
	scanned = 0;
	g_assert_cmpint(ms_http_head_find(lf, strlen(lf), 100, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_COMPLETE);
	g_assert_cmpuint(head_length, ==, strlen(lf) - 4);
	scanned = 0;
	g_assert_cmpint(ms_http_head_find(mixed, strlen(mixed), 100, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_COMPLETE);
	g_assert_cmpuint(head_length, ==, strlen(mixed));
	scanned = 0;
	g_assert_cmpint(ms_http_head_find("GET / HTTP/1.1\r\n", 16, 100, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_INCOMPLETE);
	g_assert_cmpint(ms_http_head_find("", 0, 100, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_INCOMPLETE);
}

/* a head arriving a byte at a time is found where it ends, and searched once */
static void
test_head_find_pieces(void)
{
	const char *text = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET";
	gsize end = strlen(text) - 3;
	gsize scanned = 0;

	for (gsize length = 0; length <= strlen(text); length++) {
		gsize head_length = 0;
		MsHttpHeadStatus status =
			ms_http_head_find(text, length, 100, &scanned, &head_length);

		g_assert_cmpuint(scanned, <=, length);
		if (length < end) {
			g_assert_cmpint(status, ==, MS_HTTP_HEAD_INCOMPLETE);
			continue;
		}
		g_assert_cmpint(status, ==, MS_HTTP_HEAD_COMPLETE);
		g_assert_cmpuint(head_length, ==, end);
	}
}

static void
test_head_find_limit(void)
{
	const char *text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	gsize length = strlen(text);
	gsize scanned = 0;
	gsize head_length = 0;

	g_assert_cmpint(ms_http_head_find(text, length, length, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_COMPLETE);
	scanned = 0;
	g_assert_cmpint(ms_http_head_find(text, length, length - 1, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_TOO_LARGE);
	/* no end yet, and no room left for one */
	scanned = 0;
	g_assert_cmpint(ms_http_head_find(text, 20, 20, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_TOO_LARGE);
	scanned = 0;
	g_assert_cmpint(ms_http_head_find(text, 20, 21, &scanned, &head_length),
			==,
			MS_HTTP_HEAD_INCOMPLETE);
}

static void
test_head_parse_valid(void)
{
	g_auto(Head) head = { 0 };

	g_assert_cmpint(parse("\r\nGET /api/x?y=1 HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n"
			      "X-Tab:\tone two\t\r\nAccept:  text/plain \r\n\r\n",
			      &head),
			==,
			MS_HTTP_OK);
	g_assert_cmpstr(head.method, ==, "GET");
	g_assert_cmpstr(head.target, ==, "/api/x?y=1");
	g_assert_cmpint(head.version, ==, SOUP_HTTP_1_1);
	g_assert_cmpstr(ms_http_fields_get_one(head.headers, "Host"), ==, "a");
	g_assert_cmpstr(ms_http_fields_get_one(head.headers, "X-Empty"), ==, "");
	g_assert_cmpstr(ms_http_fields_get_one(head.headers, "X-Tab"), ==, "one two");
	g_assert_cmpstr(ms_http_fields_get_one(head.headers, "Accept"), ==, "text/plain");
	g_assert_true(ms_http_method_intern(head.method) == SOUP_METHOD_GET);
}

static void
test_head_parse_http10(void)
{
	g_auto(Head) head = { 0 };

	/* HTTP/1.0 may leave Host out; bare LFs end lines too */
	g_assert_cmpint(parse("POST /p HTTP/1.0\nContent-Length: 2\n\n", &head), ==, MS_HTTP_OK);
	g_assert_cmpint(head.version, ==, SOUP_HTTP_1_0);
	g_assert_true(ms_http_method_intern(head.method) == SOUP_METHOD_POST);
}

static void
assert_refused(const char *text, MsHttpError expected)
{
	g_auto(Head) head = { 0 };

	g_assert_cmpint(parse(text, &head), ==, expected);
}

static void
test_head_parse_refused(void)
{
	assert_refused("GET / HTTP/1.1\r\n\r\n", MS_HTTP_ERROR_HOST); /* no Host */
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/1.1\r\nHost:\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/1.0\r\nHost:\r\nHost:\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", MS_HTTP_ERROR_HOST);
	assert_refused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_VERSION);
	assert_refused("GET / HTTP/1.2\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_VERSION);
	assert_refused("GET / HTTP/3.0\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_VERSION);
	assert_refused("GET / HTTP/0.9\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_VERSION);
	assert_refused("GET / HTTP/1.10\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/11.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/2\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / http/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / FTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET /\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GARBAGE\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	/* exactly one SP between the parts of the request line */
	assert_refused("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET /  HTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused(" GET / HTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1x\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	/* what would split the line for the next hop */
	assert_refused("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01"
		       "b\r\n\r\n",
		       MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX\x01: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX\r: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	/* not a token */
	assert_refused("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n",
		       MS_HTTP_ERROR_EXPECTATION);
	/* as libsoup reads Expect: the last field is 100-continue, or it is not met */
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nExpect:\r\n\r\n", MS_HTTP_ERROR_EXPECTATION);
	assert_refused("GET / HTTP/1.0\r\nExpect:\r\n\r\n", MS_HTTP_ERROR_EXPECTATION);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue, x\r\n\r\n",
		       MS_HTTP_ERROR_EXPECTATION);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nExpect: x\r\n\r\n",
		       MS_HTTP_ERROR_EXPECTATION);
}

/* RFC 9112 §5: what libsoup would drop or unfold, where another hop may not */
static void
test_head_parse_field_lines(void)
{
	const char *names[] = {
		"Content-Length : 43",
		"Content-Length\t: 43",
		"X Y: a",
		"X(: a",
		"X\": a",
		"X@: a",
		"X{: a",
		"X}: a",
		": a",
		":X: a",
		"X",
		"X;: a",
		"X/: a",
		"X=: a",
		"X[: a",
		"X\xc3\xa9: a",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
		g_autofree char *text =
			g_strdup_printf("POST / HTTP/1.1\r\nHost: a\r\n%s\r\n\r\n", names[i]);

		g_test_message("%s", names[i]);
		assert_refused(text, MS_HTTP_ERROR_FIELD_NAME);
	}
	/* a field line continued on the next (obs-fold), by SP or HTAB */
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n two\r\n\r\n",
		       MS_HTTP_ERROR_OBS_FOLD);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n\ttwo\r\n\r\n",
		       MS_HTTP_ERROR_OBS_FOLD);
	/* a folded line right after the request line (RFC 9112 §2.2) */
	assert_refused("GET / HTTP/1.1\r\n Host: a\r\n\r\n", MS_HTTP_ERROR_OBS_FOLD);
	assert_refused("GET / HTTP/1.1\nHost: a\n X: b\n\n", MS_HTTP_ERROR_OBS_FOLD);
}

/* the same checks without ms_http_head_find(): what a caller might pass */
static void
test_head_parse_raw(void)
{
	g_autoptr(MsHttpFields) headers = ms_http_fields_new();
	const char *cases[] = {
		"",
		"\r\n",
		"GET / HTTP/1.1",
		"GET / HTTP/1.1\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n",
		"GET / HTTP/1.1\r\nHost: a",
		"GET / HTTP/1.1\r\nHost: a\r\n\r\nX: b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
		const char *method = NULL;
		const char *target = NULL;
		SoupHTTPVersion version;

		g_test_message("%s", cases[i]);
		g_assert_cmpint(ms_http_head_parse(cases[i],
						   strlen(cases[i]),
						   headers,
						   &method,
						   &target,
						   &version),
				==,
				MS_HTTP_ERROR_SYNTAX);
		g_assert_null(method);
	}
}

static void
test_error_status(void)
{
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_OK), ==, 200);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_SYNTAX), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_FIELD_NAME), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_OBS_FOLD), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_HOST), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_TARGET), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_CONTENT_LENGTH), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_FRAMING_CONFLICT), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_CHUNKED), ==, 400);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_HEAD_TOO_LARGE), ==, 431);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_BODY_TOO_LARGE), ==, 413);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_EXPECTATION), ==, 417);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_METHOD), ==, 501);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_TRANSFER_CODING), ==, 501);
	g_assert_cmpuint(ms_http_error_get_status(MS_HTTP_ERROR_VERSION), ==, 505);
}

static void
test_head_parse_hosts(void)
{
	const char *valid[] = {
		"a",          "example.com:8080", "a:",    "127.0.0.1", "[::1]",
		"[::1]:443",  "[v1.x:y]",         "xn--a", "a%41b",     "[1:2:3:4:5:6:7:8]",
		"!$&'()*+;=", "[::ffff:1.2.3.4]", "a:0",   "[1::]",     "a:65535",
	};

	for (gsize i = 0; i < G_N_ELEMENTS(valid); i++) {
		g_autofree char *text =
			g_strdup_printf("GET / HTTP/1.1\r\nHost: %s\r\n\r\n", valid[i]);
		g_auto(Head) head = { 0 };

		g_test_message("%s", valid[i]);
		g_assert_cmpint(parse(text, &head), ==, MS_HTTP_OK);
	}
	/* HTTP/1.0 may send an empty Host, or none */
	{
		g_auto(Head) head = { 0 };

		g_assert_cmpint(parse("GET / HTTP/1.0\r\nHost:\r\n\r\n", &head), ==, MS_HTTP_OK);
	}
}

static void
test_head_parse_nul(void)
{
	const char text[] = "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n";
	g_autoptr(MsHttpFields) headers = ms_http_fields_new();
	const char *method = NULL;
	const char *target = NULL;
	SoupHTTPVersion version;

	g_assert_cmpint(
		ms_http_head_parse(text, sizeof text - 1, headers, &method, &target, &version),
		==,
		MS_HTTP_ERROR_SYNTAX);
	g_assert_null(method);
	/* libsoup would fail a precondition on a head starting with NUL */
	g_assert_cmpint(ms_http_head_parse("\0\r\n\r\n", 5, headers, &method, &target, &version),
			==,
			MS_HTTP_ERROR_SYNTAX);
	g_assert_cmpint(ms_http_head_parse("GET / HTTP/1.1\r\nX: \0\r\n\r\n",
					   21,
					   headers,
					   &method,
					   &target,
					   &version),
			==,
			MS_HTTP_ERROR_SYNTAX);
}

/*
 * every byte at every place of a value long enough for the scanner's
 * eight-byte steps: controls and DEL are refused wherever they are, the rest
 * is taken as it came
 */
static void
test_head_parse_value_bytes(void)
{
	static const char start[] = "GET / HTTP/1.1\r\nHost: a\r\nX-V: ";
	const gsize prefix = sizeof start - 1;
	const gsize length = prefix + 24 + 4;

	for (guint byte = 0; byte < 256; byte++) {
		gboolean allowed = byte == '\t' || (byte >= 0x20 && byte != 0x7f);

		/* LF ends the line: what follows is another field line */
		if (byte == '\n')
			continue;
		for (guint at = 0; at < 24; at++) {
			char text[sizeof start + 24 + 4];
			char value[25];
			g_auto(Head) head = { 0 };
			gsize scanned = 0;
			gsize head_length = 0;
			MsHttpError error;

			/* NUL included: the text is bytes, not a string */
			memset(value, 'v', 24);
			value[24] = '\0';
			value[at] = (char)byte;
			memcpy(text, start, prefix);
			memcpy(text + prefix, value, 24);
			memcpy(text + prefix + 24, "\r\n\r\n", 4);
			g_assert_cmpint(ms_http_head_find(text,
							  length,
							  MS_HTTP_MAX_HEAD_BYTES,
							  &scanned,
							  &head_length),
					==,
					MS_HTTP_HEAD_COMPLETE);
			g_assert_cmpuint(head_length, ==, length);
			head.headers = ms_http_fields_new();
			error = ms_http_head_parse(text,
						   head_length,
						   head.headers,
						   &head.method,
						   &head.target,
						   &head.version);
			if (!allowed) {
				g_assert_cmpint(error, ==, MS_HTTP_ERROR_SYNTAX);
				continue;
			}
			g_assert_cmpint(error, ==, MS_HTTP_OK);
			/* trimmed at the edges; obs-text is made valid UTF-8 */
			if (byte < 0x80 &&
			    !((byte == ' ' || byte == '\t') && (at == 0 || at == 23)))
				g_assert_cmpstr(ms_http_fields_get_one(head.headers, "X-V"),
						==,
						value);
		}
	}
}

/* an unknown method is refused, but what it asked for is known for the log */
static void
test_head_parse_unknown_method(void)
{
	g_auto(Head) head = { 0 };

	g_assert_cmpint(parse("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", &head),
			==,
			MS_HTTP_ERROR_METHOD);
	g_assert_cmpstr(head.method, ==, "BREW");
	g_assert_cmpstr(head.target, ==, "/pot");
	g_assert_null(ms_http_method_intern("BREW"));
	g_assert_null(ms_http_method_intern("get"));
	g_assert_true(ms_http_method_intern("PATCH") == g_intern_static_string("PATCH"));
	g_assert_true(ms_http_method_intern("OPTIONS") == SOUP_METHOD_OPTIONS);
}

static MsHttpError
framing(const char *fields, SoupHTTPVersion version, MsHttpBodyKind *kind, guint64 *length)
{
	g_autoptr(SoupMessageHeaders) parsed =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_autoptr(MsHttpFields) headers = NULL;

	g_assert_true(soup_headers_parse(fields, (int)strlen(fields), parsed));
	headers = ms_test_fields_from_soup(parsed);
	return ms_http_body_framing(headers, version, kind, length);
}

static void
assert_framing(const char *fields, MsHttpError error, MsHttpBodyKind kind, guint64 length)
{
	MsHttpBodyKind got_kind;
	guint64 got_length;

	g_test_message("%s", fields);
	g_assert_cmpint(framing(fields, SOUP_HTTP_1_1, &got_kind, &got_length), ==, error);
	if (error != MS_HTTP_OK)
		return;
	g_assert_cmpint(got_kind, ==, kind);
	g_assert_cmpuint(got_length, ==, length);
}

static void
test_body_framing(void)
{
	MsHttpBodyKind kind;
	guint64 length;

	assert_framing("X\r\nHost: a\r\n", MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_framing("X\r\nContent-Length: 5\r\n", MS_HTTP_OK, MS_HTTP_BODY_LENGTH, 5);
	assert_framing("X\r\nContent-Length: 0\r\n", MS_HTTP_OK, MS_HTTP_BODY_LENGTH, 0);
	assert_framing("X\r\nContent-Length: 007\r\n", MS_HTTP_OK, MS_HTTP_BODY_LENGTH, 7);
	assert_framing("X\r\nContent-Length: 5\r\nContent-Length: 5\r\n",
		       MS_HTTP_OK,
		       MS_HTTP_BODY_LENGTH,
		       5);
	assert_framing("X\r\nContent-Length: 5,5\r\n", MS_HTTP_OK, MS_HTTP_BODY_LENGTH, 5);
	assert_framing("X\r\nContent-Length: 1, 1\r\n", MS_HTTP_OK, MS_HTTP_BODY_LENGTH, 1);
	assert_framing("X\r\nContent-Length: 9223372036854775807\r\n",
		       MS_HTTP_OK,
		       MS_HTTP_BODY_LENGTH,
		       G_MAXINT64);
	/* too large for the gint64 every byte count downstream is held in */
	assert_framing("X\r\nContent-Length: 9223372036854775808\r\n",
		       MS_HTTP_ERROR_CONTENT_LENGTH,
		       0,
		       0);
	assert_framing("X\r\nContent-Length: 99999999999999999999999\r\n",
		       MS_HTTP_ERROR_CONTENT_LENGTH,
		       0,
		       0);
	assert_framing("X\r\nContent-Length: 5\r\nContent-Length: 6\r\n",
		       MS_HTTP_ERROR_CONTENT_LENGTH,
		       0,
		       0);
	assert_framing("X\r\nContent-Length: 1,2\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	assert_framing("X\r\nContent-Length: 5,\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	assert_framing("X\r\nContent-Length:\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	assert_framing("X\r\nContent-Length: -1\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	assert_framing("X\r\nContent-Length: +1\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	assert_framing("X\r\nContent-Length: 0x10\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	assert_framing("X\r\nContent-Length: 1 2\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	assert_framing("X\r\nContent-Length: 1.0\r\n", MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);

	assert_framing("X\r\nTransfer-Encoding: chunked\r\n", MS_HTTP_OK, MS_HTTP_BODY_CHUNKED, 0);
	assert_framing("X\r\nTransfer-Encoding: Chunked\r\n", MS_HTTP_OK, MS_HTTP_BODY_CHUNKED, 0);
	assert_framing("X\r\nTransfer-Encoding: , chunked\r\n",
		       MS_HTTP_OK,
		       MS_HTTP_BODY_CHUNKED,
		       0);
	assert_framing("X\r\nTransfer-Encoding: gzip\r\n", MS_HTTP_ERROR_TRANSFER_CODING, 0, 0);
	assert_framing("X\r\nTransfer-Encoding: gzip, chunked\r\n",
		       MS_HTTP_ERROR_TRANSFER_CODING,
		       0,
		       0);
	assert_framing("X\r\nTransfer-Encoding: chunked;x=1\r\n",
		       MS_HTTP_ERROR_TRANSFER_CODING,
		       0,
		       0);
	assert_framing("X\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
		       MS_HTTP_ERROR_CHUNKED,
		       0,
		       0);
	assert_framing("X\r\nTransfer-Encoding:\r\n", MS_HTTP_ERROR_CHUNKED, 0, 0);
	/* both: refused rather than guessed (request smuggling) */
	assert_framing("X\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n",
		       MS_HTTP_ERROR_FRAMING_CONFLICT,
		       0,
		       0);
	assert_framing("X\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n",
		       MS_HTTP_ERROR_FRAMING_CONFLICT,
		       0,
		       0);
	g_assert_cmpint(
		framing("X\r\nTransfer-Encoding: chunked\r\n", SOUP_HTTP_1_0, &kind, &length),
		==,
		MS_HTTP_ERROR_FRAMING_CONFLICT);
	g_assert_cmpint(framing("X\r\nContent-Length: 3\r\n", SOUP_HTTP_1_0, &kind, &length),
			==,
			MS_HTTP_OK);
	g_assert_cmpint(kind, ==, MS_HTTP_BODY_LENGTH);
}

/* from raw bytes through the head parser, as the front does */
static MsHttpError
parse_and_frame(const char *text)
{
	g_auto(Head) head = { 0 };
	MsHttpBodyKind kind;
	guint64 length;
	MsHttpError error = parse(text, &head);

	if (error != MS_HTTP_OK)
		return error;
	return ms_http_body_framing(head.headers, head.version, &kind, &length);
}

static void
test_body_framing_raw(void)
{
	g_assert_cmpint(
		parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 43\r\n\r\n"),
		==,
		MS_HTTP_ERROR_FIELD_NAME);
	g_assert_cmpint(parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
			==,
			MS_HTTP_ERROR_CONTENT_LENGTH);
	g_assert_cmpint(parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n"),
			==,
			MS_HTTP_ERROR_CONTENT_LENGTH);
	g_assert_cmpint(
		parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1,2\r\n\r\n"),
		==,
		MS_HTTP_ERROR_CONTENT_LENGTH);
	g_assert_cmpint(
		parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1, 1\r\n\r\n"),
		==,
		MS_HTTP_OK);
	g_assert_cmpint(parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\n"
					"Content-Length: 99999999999999999999999\r\n\r\n"),
			==,
			MS_HTTP_ERROR_CONTENT_LENGTH);
	g_assert_cmpint(
		parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
				"Content-Length: 3\r\n\r\n"),
		==,
		MS_HTTP_ERROR_FRAMING_CONFLICT);
	g_assert_cmpint(parse_and_frame("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
			==,
			MS_HTTP_ERROR_FRAMING_CONFLICT);
	g_assert_cmpint(
		parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"),
		==,
		MS_HTTP_ERROR_TRANSFER_CODING);
	/* the obs-fold that would hide "chunked" from libsoup's reading */
	g_assert_cmpint(parse_and_frame("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n"
					" chunked\r\n\r\n"),
			==,
			MS_HTTP_ERROR_OBS_FOLD);
}

typedef struct {
	MsHttpFields *headers;
	SoupHTTPVersion version;
	guint status;
	const char *reason; /* in the headers' storage */
} Response;

static void
response_clear(Response *response)
{
	g_clear_pointer(&response->headers, ms_http_fields_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Response, response_clear)

static MsHttpError
parse_response(const char *text, Response *response)
{
	gsize length = strlen(text);
	gsize scanned = 0;
	gsize head_length = 0;

	g_test_message("%s", text);
	g_assert_cmpint(
		ms_http_head_find(text, length, MS_HTTP_MAX_HEAD_BYTES, &scanned, &head_length),
		==,
		MS_HTTP_HEAD_COMPLETE);
	g_assert_cmpuint(head_length, ==, length);
	response->headers = ms_http_fields_new();
	return ms_http_response_head_parse(text,
					   head_length,
					   response->headers,
					   &response->version,
					   &response->status,
					   &response->reason);
}

static void
assert_response(const char *text, SoupHTTPVersion version, guint status, const char *reason)
{
	g_auto(Response) response = { 0 };

	g_assert_cmpint(parse_response(text, &response), ==, MS_HTTP_OK);
	g_assert_cmpint(response.version, ==, version);
	g_assert_cmpuint(response.status, ==, status);
	g_assert_cmpstr(response.reason, ==, reason);
}

static void
assert_response_refused(const char *text, MsHttpError error)
{
	g_auto(Response) response = { 0 };

	g_assert_cmpint(parse_response(text, &response), ==, error);
	g_assert_null(response.reason);
}

static void
test_response_head_parse(void)
{
	g_auto(Response) response = { 0 };

	assert_response("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", SOUP_HTTP_1_1, 200, "OK");
	assert_response("HTTP/1.0 404 Not  Found\r\n\r\n", SOUP_HTTP_1_0, 404, "Not  Found");
	assert_response("HTTP/1.1 204 \r\n\r\n", SOUP_HTTP_1_1, 204, "");
	/* no SP after the code: libsoup takes it, and so do we */
	assert_response("HTTP/1.1 200\r\n\r\n", SOUP_HTTP_1_1, 200, "");
	assert_response("HTTP/1.1 599 x\n\n", SOUP_HTTP_1_1, 599, "x");
	assert_response("HTTP/1.1 100 Continue\r\n\r\n", SOUP_HTTP_1_1, 100, "Continue");
	assert_response("HTTP/1.1 200 caf\xc3\xa9\r\n\r\n", SOUP_HTTP_1_1, 200, "caf\xc3\xa9");

	g_assert_cmpint(
		parse_response("HTTP/1.1 200 OK\r\nX-A: 1\r\nServer:  up \r\n\r\n", &response),
		==,
		MS_HTTP_OK);
	g_assert_cmpstr(ms_http_fields_get_one(response.headers, "X-A"), ==, "1");
	g_assert_cmpstr(ms_http_fields_get_one(response.headers, "Server"), ==, "up");

	assert_response_refused("HTTP/1.1 099 X\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 600 X\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 20 X\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 2000 X\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 20x X\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1  200 OK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1\t200 OK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 200\tOK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 200 O\rK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 200 O\x01K\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 \r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("ICY 200 OK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("http/1.1 200 OK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.10 200 OK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused(" HTTP/1.1 200 OK\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/2.0 200 OK\r\n\r\n", MS_HTTP_ERROR_VERSION);
	assert_response_refused("HTTP/1.2 200 OK\r\n\r\n", MS_HTTP_ERROR_VERSION);
	assert_response_refused("HTTP/1.1 200 OK\r\nContent-Length : 4\r\n\r\n",
				MS_HTTP_ERROR_FIELD_NAME);
	assert_response_refused("HTTP/1.1 200 OK\r\n(X): 4\r\n\r\n", MS_HTTP_ERROR_FIELD_NAME);
	assert_response_refused("HTTP/1.1 200 OK\r\nX-A\r\n\r\n", MS_HTTP_ERROR_FIELD_NAME);
	assert_response_refused("HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\n\r\n", MS_HTTP_ERROR_OBS_FOLD);
	assert_response_refused("HTTP/1.1 200 OK\r\nX-A: 1\r2\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
	assert_response_refused("HTTP/1.1 200 OK\r\nX-A: 1\x7f\r\n\r\n", MS_HTTP_ERROR_SYNTAX);
}

static MsHttpError
response_framing(const char *fields,
		 gboolean head_request,
		 guint status,
		 MsHttpBodyKind *kind,
		 guint64 *length)
{
	g_autoptr(SoupMessageHeaders) parsed =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_RESPONSE);
	g_autoptr(MsHttpFields) headers = NULL;

	g_test_message("%u %s", status, fields);
	g_assert_true(soup_headers_parse(fields, (int)strlen(fields), parsed));
	headers = ms_test_fields_from_soup(parsed);
	return ms_http_response_body_framing(headers, head_request, status, kind, length);
}

static void
assert_response_framing(const char *fields,
			gboolean head_request,
			guint status,
			MsHttpError error,
			MsHttpBodyKind kind,
			guint64 length)
{
	MsHttpBodyKind got_kind;
	guint64 got_length;

	g_assert_cmpint(response_framing(fields, head_request, status, &got_kind, &got_length),
			==,
			error);
	if (error != MS_HTTP_OK)
		return;
	g_assert_cmpint(got_kind, ==, kind);
	g_assert_cmpuint(got_length, ==, length);
}

/* field lines that pass the strict scan, each read as libsoup reads it */
static const char *const accepted_fields[] = {
	"X-A: 1\r\nx-a: 2\r\n",
	"X-Sp:  two spaces  \r\nX-Tab:\tin\tside\t\r\nX-None:\r\nX-Ows: \t \r\n",
	"content-length: 0\r\nCONTENT-TYPE: text/plain\r\nAccept-Language: th, en;q=0.5\r\n",
	"X-Utf8: caf\xc3\xa9 \xe0\xb8\xaa\r\n",
	"X-Bad: a\xff\xfe b\r\nX-Cut: \xe0\xb8\r\nX-Lone: \x80\r\n",
	"X-Lf: bare line end\nX-Crlf: and a CRLF\r\n",
	"Connection: X-Hop, keep-alive\r\nX-Hop: 1\r\nX-Kept: 2\r\n",
};

/* one head per case and version, with more fields than the parser's stack copy holds */
static char *
head_with_fields(const char *start_line, const char *fields, gboolean long_head)
{
	g_autofree char *padding = long_head ? g_strnfill(3000, 'p') : g_strdup("");

	return g_strdup_printf("%s\r\nHost: a\r\n%s%s%s%s\r\n",
			       start_line,
			       fields,
			       long_head ? "X-Long: " : "",
			       padding,
			       long_head ? "\r\n" : "");
}

/*
 * the gateway takes heads apart itself, past its strict scan: what it reads
 * of an accepted head is what libsoup's own parser reads, field for field
 */
static void
test_head_parse_fields_as_libsoup(void)
{
	const char *request_lines[] = { "GET /a?b HTTP/1.1", "POST / HTTP/1.0" };
	const char *status_lines[] = { "HTTP/1.1 200 OK",
				       "HTTP/1.0 404 Not  Found",
				       "HTTP/1.1 204" };

	for (gsize i = 0; i < G_N_ELEMENTS(accepted_fields); i++) {
		for (guint long_head = 0; long_head < 2; long_head++) {
			for (gsize j = 0; j < G_N_ELEMENTS(request_lines); j++) {
				g_autofree char *text = head_with_fields(request_lines[j],
									 accepted_fields[i],
									 long_head);
				g_auto(Head) head = { 0 };

				g_test_message("%s", text);
				g_assert_cmpint(parse(text, &head), ==, MS_HTTP_OK);
				g_assert_true(ms_test_request_head_as_libsoup(text,
									      strlen(text),
									      head.headers,
									      head.method,
									      head.target,
									      head.version));
			}
			for (gsize j = 0; j < G_N_ELEMENTS(status_lines); j++) {
				g_autofree char *text = head_with_fields(status_lines[j],
									 accepted_fields[i],
									 long_head);
				g_auto(Response) response = { 0 };

				g_assert_cmpint(parse_response(text, &response), ==, MS_HTTP_OK);
				g_assert_true(ms_test_response_head_as_libsoup(text,
									       strlen(text),
									       response.headers,
									       response.version,
									       response.status,
									       response.reason));
			}
		}
	}
}

static void
test_response_body_framing(void)
{
	const char *cl = "X\r\nContent-Length: 5\r\n";
	const char *te = "X\r\nTransfer-Encoding: chunked\r\n";

	/* no body, whatever the fields say */
	assert_response_framing(cl, TRUE, 200, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_response_framing(te, TRUE, 200, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_response_framing(cl, FALSE, 100, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_response_framing(cl, FALSE, 101, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_response_framing(cl, FALSE, 199, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_response_framing(cl, FALSE, 204, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_response_framing(te, FALSE, 304, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);
	assert_response_framing("X\r\n", FALSE, 204, MS_HTTP_OK, MS_HTTP_BODY_NONE, 0);

	assert_response_framing(cl, FALSE, 200, MS_HTTP_OK, MS_HTTP_BODY_LENGTH, 5);
	assert_response_framing(cl, FALSE, 205, MS_HTTP_OK, MS_HTTP_BODY_LENGTH, 5);
	assert_response_framing("X\r\nContent-Length: 0\r\n",
				FALSE,
				500,
				MS_HTTP_OK,
				MS_HTTP_BODY_LENGTH,
				0);
	assert_response_framing("X\r\nContent-Length: 4, 4\r\n",
				FALSE,
				200,
				MS_HTTP_OK,
				MS_HTTP_BODY_LENGTH,
				4);
	assert_response_framing(te, FALSE, 200, MS_HTTP_OK, MS_HTTP_BODY_CHUNKED, 0);
	assert_response_framing("X\r\n", FALSE, 200, MS_HTTP_OK, MS_HTTP_BODY_UNTIL_CLOSE, 0);
	assert_response_framing("X\r\nServer: a\r\n",
				FALSE,
				404,
				MS_HTTP_OK,
				MS_HTTP_BODY_UNTIL_CLOSE,
				0);

	const char *refused_cl[] = {
		"-1",
		"+5",
		"0x10",
		"",
		"1,2",
		"5,",
		"9223372036854775808",
		"99999999999999999999999",
	};
	for (gsize i = 0; i < G_N_ELEMENTS(refused_cl); i++) {
		g_autofree char *fields =
			g_strdup_printf("X\r\nContent-Length: %s\r\n", refused_cl[i]);

		assert_response_framing(fields, FALSE, 200, MS_HTTP_ERROR_CONTENT_LENGTH, 0, 0);
	}
	assert_response_framing("X\r\nContent-Length: 5\r\nContent-Length: 6\r\n",
				FALSE,
				200,
				MS_HTTP_ERROR_CONTENT_LENGTH,
				0,
				0);
	assert_response_framing("X\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n",
				FALSE,
				200,
				MS_HTTP_ERROR_FRAMING_CONFLICT,
				0,
				0);
	assert_response_framing("X\r\nTransfer-Encoding: gzip\r\n",
				FALSE,
				200,
				MS_HTTP_ERROR_TRANSFER_CODING,
				0,
				0);
	assert_response_framing("X\r\nTransfer-Encoding: gzip, chunked\r\n",
				FALSE,
				200,
				MS_HTTP_ERROR_TRANSFER_CODING,
				0,
				0);
	assert_response_framing("X\r\nTransfer-Encoding: chunked, chunked\r\n",
				FALSE,
				200,
				MS_HTTP_ERROR_CHUNKED,
				0,
				0);
}

static gboolean
wants_close(const char *text)
{
	g_auto(Head) head = { 0 };

	g_assert_cmpint(parse(text, &head), ==, MS_HTTP_OK);
	return ms_http_wants_close(head.headers, head.version);
}

static void
test_wants_close(void)
{
	g_assert_false(wants_close("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
	g_assert_true(wants_close("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"));
	g_assert_true(wants_close("GET / HTTP/1.1\r\nHost: a\r\nConnection: x, Close\r\n\r\n"));
	g_assert_false(wants_close("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"));
	g_assert_true(wants_close("GET / HTTP/1.0\r\n\r\n"));
	g_assert_false(wants_close("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
	g_assert_true(wants_close("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"));
}

static void
test_expects_continue(void)
{
	g_auto(Head) head11 = { 0 };
	g_auto(Head) head10 = { 0 };
	g_auto(Head) plain = { 0 };

	parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n", &head11);
	g_assert_true(ms_http_expects_continue(head11.headers, head11.version));
	parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &head10);
	g_assert_false(ms_http_expects_continue(head10.headers, head10.version));
	parse("POST / HTTP/1.1\r\nHost: a\r\n\r\n", &plain);
	g_assert_false(ms_http_expects_continue(plain.headers, plain.version));
	/* any case; the last Expect field is the one read, as libsoup reads it */
	head_clear(&head11);
	g_assert_cmpint(
		parse("POST / HTTP/1.1\r\nHost: a\r\nExpect: x\r\nExpect: 100-Continue\r\n\r\n",
		      &head11),
		==,
		MS_HTTP_OK);
	g_assert_true(ms_http_expects_continue(head11.headers, head11.version));
}

/*
 * ms_http_chunked_decoder_next() over @text in pieces of @step bytes: the
 * chunks point into the piece, the status is what feed gave
 */
static MsHttpChunkedStatus
decode_next(const char *text,
	    gsize length,
	    guint64 max,
	    gsize step,
	    gsize *consumed,
	    GByteArray *out)
{
	MsHttpChunkedDecoder decoder;
	MsHttpChunkedStatus status = MS_HTTP_CHUNKED_MORE;
	gsize offset = 0;

	ms_http_chunked_decoder_init(&decoder, max);
	while (offset < length && status == MS_HTTP_CHUNKED_MORE) {
		gsize piece = MIN(step, length - offset);
		gsize taken = 0;

		/* a piece is called again until all of it is taken */
		while (taken < piece && status == MS_HTTP_CHUNKED_MORE) {
			const char *chunk = NULL;
			gsize chunk_length = 99;
			gsize n = 0;

			status = ms_http_chunked_decoder_next(&decoder,
							      text + offset + taken,
							      piece - taken,
							      &n,
							      &chunk,
							      &chunk_length);
			g_assert_cmpuint(n, >, 0);
			g_assert_cmpuint(n, <=, piece - taken);
			g_assert_cmpuint(chunk_length, <=, n);
			if (chunk_length > 0) {
				/* inside what was given, and its end is where it stopped */
				g_assert_true(chunk >= text + offset + taken);
				g_assert_true(chunk + chunk_length == text + offset + taken + n);
				g_assert_cmpint(status, ==, MS_HTTP_CHUNKED_MORE);
				g_byte_array_append(out,
						    (const guint8 *)chunk,
						    (guint)chunk_length);
			}
			taken += n;
		}
		offset += taken;
		g_assert_cmpuint(ms_http_chunked_decoder_get_total(&decoder), ==, out->len);
	}
	*consumed = offset;
	return status;
}

/* the whole of @text at once, then again a byte at a time: the same result */
static MsHttpChunkedStatus
decode(const char *text, gsize length, guint64 max, gsize *consumed, GByteArray *out)
{
	MsHttpChunkedDecoder decoder;
	MsHttpChunkedDecoder bytewise;
	g_autoptr(GByteArray) out2 = g_byte_array_new();
	MsHttpChunkedStatus status;
	MsHttpChunkedStatus status2 = MS_HTTP_CHUNKED_MORE;
	gsize consumed2 = 0;

	ms_http_chunked_decoder_init(&decoder, max);
	status = ms_http_chunked_decoder_feed(&decoder, text, length, consumed, out);
	g_assert_cmpuint(*consumed, <=, length);
	g_assert_cmpuint(ms_http_chunked_decoder_get_total(&decoder), ==, out->len);
	g_assert_cmpuint(out->len, <=, max);
	if (status == MS_HTTP_CHUNKED_MORE)
		g_assert_cmpuint(*consumed, ==, length);

	ms_http_chunked_decoder_init(&bytewise, max);
	for (gsize i = 0; i < length && status2 == MS_HTTP_CHUNKED_MORE; i++) {
		gsize n = 0;
		status2 = ms_http_chunked_decoder_feed(&bytewise, text + i, 1, &n, out2);
		consumed2 += n;
	}
	g_assert_cmpint(status2, ==, status);
	if (status == MS_HTTP_CHUNKED_DONE) {
		g_assert_cmpuint(consumed2, ==, *consumed);
		g_assert_cmpmem(out->data, out->len, out2->data, out2->len);
	}

	/* and through next, whole and in pieces of 1, 2, 3, 7 */
	for (gsize step = 1; step <= length + 1; step = step < 3    ? step + 1
							: step == 3 ? 7
								    : length + 2) {
		g_autoptr(GByteArray) out3 = g_byte_array_new();
		gsize consumed3 = 0;

		g_assert_cmpint(decode_next(text, length, max, step, &consumed3, out3), ==, status);
		if (status == MS_HTTP_CHUNKED_DONE) {
			g_assert_cmpuint(consumed3, ==, *consumed);
			g_assert_cmpmem(out->data, out->len, out3->data, out3->len);
		}
	}
	return status;
}

static void
assert_decoded_len(const char *text, gsize length, const char *expected, gsize rest)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	gsize consumed = 0;

	g_assert_cmpint(decode(text, length, 1024, &consumed, out), ==, MS_HTTP_CHUNKED_DONE);
	g_assert_cmpmem(out->data, out->len, expected, strlen(expected));
	g_assert_cmpuint(length - consumed, ==, rest);
}

static void
assert_decoded(const char *text, const char *expected, gsize rest)
{
	assert_decoded_len(text, strlen(text), expected, rest);
}

static void
assert_decode_status(const char *text, guint64 max, MsHttpChunkedStatus expected)
{
	g_autoptr(GByteArray) out = g_byte_array_new();
	gsize consumed = 0;

	g_assert_cmpint(decode(text, strlen(text), max, &consumed, out), ==, expected);
}

static void
test_chunked_valid(void)
{
	assert_decoded("0\r\n\r\n", "", 0);
	assert_decoded("5\r\nhello\r\n0\r\n\r\n", "hello", 0);
	assert_decoded("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\n",
		       "hello world",
		       16);
	assert_decoded("A\r\n0123456789\r\n0\r\n\r\n", "0123456789", 0);
	assert_decoded("a;name=value;q=\"x;y\"\r\n0123456789\r\n0 ;last\r\n\r\n", "0123456789", 0);
	assert_decoded("0005\r\nhello\r\n000\r\n\r\n", "hello", 0);
	assert_decoded("3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\nrest", "abc", 4);
	assert_decoded("3\r\nabc\r\n0\r\nX-Empty:\r\nX-T:\tv\xc3\xa9 \r\n\r\n", "abc", 0);
	assert_decoded("1;a=\"x\ty\"; b\t=c\r\nz\r\n0\r\n\r\n", "z", 0);
	/* data is opaque: line ends inside a chunk are just bytes */
	assert_decoded("4\r\n\r\n\n\r\r\n0\r\n\r\n", "\r\n\n\r", 0);
}

static void
test_chunked_invalid(void)
{
	g_autofree char *long_size = g_strnfill(MS_HTTP_MAX_CHUNK_LINE_BYTES + 1, '0');
	g_autofree char *e = g_strnfill(MS_HTTP_MAX_CHUNK_LINE_BYTES, 'e');
	g_autofree char *long_ext = g_strdup_printf("1;%s\r\n", e);
	g_autoptr(GString) trailers = g_string_new("0\r\n");

	assert_decode_status("\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("x\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0x5\r\nhello\r\n0\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("-1\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5\nhello\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5 \r\nhello\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5\r\nhelloX\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5\r\nhello\rX", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5\r\nhello\r\n0\r\n\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\nX: 1\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5;a\nb\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	/* extensions hold visible ASCII, SP and HTAB only */
	assert_decode_status("5;a\rb\r\nhello\r\n0\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5;a=\x01\r\nhello\r\n0\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5;a=\x7f\r\nhello\r\n0\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("5;a=\xc3\xa9\r\nhello\r\n0\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0;a\r\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	/* trailer fields are field lines */
	assert_decode_status("0\r\nX : 1\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\n(X: 1\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\n\x01X: 1\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\n: 1\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\nX\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\nX: 1\r\n 2\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\nX: 1\r2\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\nX: \x01\r\n\r\n", 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status("0\r\nX: 1\r\n\r\r\n", 1024, MS_HTTP_CHUNKED_INVALID);

	/* a size line is bounded, extensions included */
	assert_decode_status(long_size, 1024, MS_HTTP_CHUNKED_INVALID);
	assert_decode_status(long_ext, 1024, MS_HTTP_CHUNKED_INVALID);

	/* so are the trailers */
	while (trailers->len <= MS_HTTP_MAX_TRAILER_BYTES)
		g_string_append(trailers, "X-Trailer: 0123456789\r\n");
	assert_decode_status(trailers->str, 1024, MS_HTTP_CHUNKED_INVALID);
}

static void
test_chunked_incomplete(void)
{
	assert_decode_status("", 1024, MS_HTTP_CHUNKED_MORE);
	assert_decode_status("5", 1024, MS_HTTP_CHUNKED_MORE);
	assert_decode_status("5\r\nhel", 1024, MS_HTTP_CHUNKED_MORE);
	assert_decode_status("5\r\nhello\r\n0\r\n", 1024, MS_HTTP_CHUNKED_MORE);
	assert_decode_status("5\r\nhello\r\n0\r\nX: 1\r\n", 1024, MS_HTTP_CHUNKED_MORE);
}

static void
test_chunked_limit(void)
{
	/* exactly the limit is fine; one more is not, before its data arrives */
	assert_decode_status("5\r\nhello\r\n0\r\n\r\n", 5, MS_HTTP_CHUNKED_DONE);
	assert_decode_status("6\r\n", 5, MS_HTTP_CHUNKED_TOO_LARGE);
	assert_decode_status("3\r\nabc\r\n3\r\n", 5, MS_HTTP_CHUNKED_TOO_LARGE);
	assert_decode_status("0\r\n\r\n", 0, MS_HTTP_CHUNKED_DONE);
	assert_decode_status("1\r\n", 0, MS_HTTP_CHUNKED_TOO_LARGE);
	/* sizes that do not fit in 64 bits never wrap around */
	assert_decode_status("10000000000000000\r\n", G_MAXUINT64, MS_HTTP_CHUNKED_TOO_LARGE);
	assert_decode_status("ffffffffffffffffff\r\n", G_MAXUINT64, MS_HTTP_CHUNKED_TOO_LARGE);
	assert_decode_status("ffffffffffffffff\r\n", G_MAXUINT64, MS_HTTP_CHUNKED_MORE);
}

/* next hands out the data where it lies, one run per call */
static void
test_chunked_next(void)
{
	const char *body = "5\r\nhello\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\nNEXT";
	MsHttpChunkedDecoder decoder;
	const char *chunk = NULL;
	gsize chunk_length = 0;
	gsize consumed = 0;

	ms_http_chunked_decoder_init(&decoder, G_MAXUINT64);
	g_assert_cmpint(ms_http_chunked_decoder_next(&decoder,
						     body,
						     strlen(body),
						     &consumed,
						     &chunk,
						     &chunk_length),
			==,
			MS_HTTP_CHUNKED_MORE);
	g_assert_cmpuint(consumed, ==, 8);
	g_assert_true(chunk == body + 3);
	g_assert_cmpuint(chunk_length, ==, 5);
	body += consumed;
	g_assert_cmpint(ms_http_chunked_decoder_next(&decoder,
						     body,
						     strlen(body),
						     &consumed,
						     &chunk,
						     &chunk_length),
			==,
			MS_HTTP_CHUNKED_MORE);
	g_assert_true(chunk == body + 9);
	g_assert_cmpmem(chunk, chunk_length, "abc", 3);
	body += consumed;
	g_assert_cmpint(ms_http_chunked_decoder_next(&decoder,
						     body,
						     strlen(body),
						     &consumed,
						     &chunk,
						     &chunk_length),
			==,
			MS_HTTP_CHUNKED_DONE);
	g_assert_cmpuint(chunk_length, ==, 0);
	g_assert_cmpstr(body + consumed, ==, "NEXT");
	g_assert_cmpuint(ms_http_chunked_decoder_get_total(&decoder), ==, 8);

	/* data split across calls: each call gives what it has */
	ms_http_chunked_decoder_init(&decoder, G_MAXUINT64);
	g_assert_cmpint(ms_http_chunked_decoder_next(&decoder,
						     "a\r\n01234",
						     8,
						     &consumed,
						     &chunk,
						     &chunk_length),
			==,
			MS_HTTP_CHUNKED_MORE);
	g_assert_cmpuint(consumed, ==, 8);
	g_assert_cmpmem(chunk, chunk_length, "01234", 5);
	g_assert_cmpint(
		ms_http_chunked_decoder_next(&decoder, "567", 3, &consumed, &chunk, &chunk_length),
		==,
		MS_HTTP_CHUNKED_MORE);
	g_assert_cmpmem(chunk, chunk_length, "567", 3);
	g_assert_cmpint(ms_http_chunked_decoder_next(&decoder,
						     "89\r\n",
						     4,
						     &consumed,
						     &chunk,
						     &chunk_length),
			==,
			MS_HTTP_CHUNKED_MORE);
	/* the data ends the call: its CRLF waits for the next */
	g_assert_cmpuint(consumed, ==, 2);
	g_assert_cmpmem(chunk, chunk_length, "89", 2);
	g_assert_cmpint(
		ms_http_chunked_decoder_next(&decoder, "\r\n", 2, &consumed, &chunk, &chunk_length),
		==,
		MS_HTTP_CHUNKED_MORE);
	g_assert_cmpuint(consumed, ==, 2);
	g_assert_cmpuint(chunk_length, ==, 0);
	g_assert_cmpint(
		ms_http_chunked_decoder_next(&decoder, "", 0, &consumed, &chunk, &chunk_length),
		==,
		MS_HTTP_CHUNKED_MORE);
	g_assert_cmpuint(consumed, ==, 0);

	/* no limit at all: the largest size is taken, and never wraps */
	ms_http_chunked_decoder_init(&decoder, G_MAXUINT64);
	g_assert_cmpint(ms_http_chunked_decoder_next(&decoder,
						     "ffffffffffffffff\r\nxy",
						     20,
						     &consumed,
						     &chunk,
						     &chunk_length),
			==,
			MS_HTTP_CHUNKED_MORE);
	g_assert_cmpmem(chunk, chunk_length, "xy", 2);
	g_assert_cmpuint(ms_http_chunked_decoder_get_total(&decoder), ==, 2);
	ms_http_chunked_decoder_init(&decoder, G_MAXUINT64);
	g_assert_cmpint(ms_http_chunked_decoder_next(&decoder,
						     "10000000000000000\r\n",
						     19,
						     &consumed,
						     &chunk,
						     &chunk_length),
			==,
			MS_HTTP_CHUNKED_TOO_LARGE);
	g_assert_cmpuint(chunk_length, ==, 0);
}

/* the decoder stays where it ended */
static void
test_chunked_sticky(void)
{
	MsHttpChunkedDecoder decoder;
	g_autoptr(GByteArray) out = g_byte_array_new();
	gsize consumed = 0;

	ms_http_chunked_decoder_init(&decoder, 100);
	g_assert_cmpint(ms_http_chunked_decoder_feed(&decoder, "0\r\n\r\n", 5, &consumed, out),
			==,
			MS_HTTP_CHUNKED_DONE);
	g_assert_cmpint(ms_http_chunked_decoder_feed(&decoder, "1\r\n", 3, &consumed, out),
			==,
			MS_HTTP_CHUNKED_DONE);
	g_assert_cmpuint(consumed, ==, 0);
	ms_http_chunked_decoder_init(&decoder, 100);
	g_assert_cmpint(ms_http_chunked_decoder_feed(&decoder, "z", 1, &consumed, out),
			==,
			MS_HTTP_CHUNKED_INVALID);
	g_assert_cmpint(ms_http_chunked_decoder_feed(&decoder, "0\r\n\r\n", 5, &consumed, out),
			==,
			MS_HTTP_CHUNKED_INVALID);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/http-framing/skip-empty-lines", test_skip_empty_lines);
	g_test_add_func("/http-framing/head-find", test_head_find);
	g_test_add_func("/http-framing/head-find-pieces", test_head_find_pieces);
	g_test_add_func("/http-framing/head-find-limit", test_head_find_limit);
	g_test_add_func("/http-framing/head-parse-valid", test_head_parse_valid);
	g_test_add_func("/http-framing/head-parse-http10", test_head_parse_http10);
	g_test_add_func("/http-framing/head-parse-refused", test_head_parse_refused);
	g_test_add_func("/http-framing/head-parse-field-lines", test_head_parse_field_lines);
	g_test_add_func("/http-framing/head-parse-raw", test_head_parse_raw);
	g_test_add_func("/http-framing/head-parse-hosts", test_head_parse_hosts);
	g_test_add_func("/http-framing/error-status", test_error_status);
	g_test_add_func("/http-framing/head-parse-nul", test_head_parse_nul);
	g_test_add_func("/http-framing/head-parse-value-bytes", test_head_parse_value_bytes);
	g_test_add_func("/http-framing/head-parse-unknown-method", test_head_parse_unknown_method);
	g_test_add_func("/http-framing/body-framing", test_body_framing);
	g_test_add_func("/http-framing/body-framing-raw", test_body_framing_raw);
	g_test_add_func("/http-framing/response-head-parse", test_response_head_parse);
	g_test_add_func("/http-framing/head-parse-fields-as-libsoup",
			test_head_parse_fields_as_libsoup);
	g_test_add_func("/http-framing/response-body-framing", test_response_body_framing);
	g_test_add_func("/http-framing/wants-close", test_wants_close);
	g_test_add_func("/http-framing/expects-continue", test_expects_continue);
	g_test_add_func("/http-framing/chunked-valid", test_chunked_valid);
	g_test_add_func("/http-framing/chunked-invalid", test_chunked_invalid);
	g_test_add_func("/http-framing/chunked-incomplete", test_chunked_incomplete);
	g_test_add_func("/http-framing/chunked-limit", test_chunked_limit);
	g_test_add_func("/http-framing/chunked-next", test_chunked_next);
	g_test_add_func("/http-framing/chunked-sticky", test_chunked_sticky);
	return g_test_run();
}
