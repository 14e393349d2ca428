#include "config.h"

#include <string.h>

#include "gateway/ms-http-framing.h"
#include "ms-test-utils.h"

/* unit tests: the front's HTTP/1.1 framing over bytes a client chose, no sockets */

typedef struct {
	SoupMessageHeaders *headers;
	char *method;
	char *target;
	SoupHTTPVersion version;
} Head;

static void
head_clear(Head *head)
{
	g_clear_pointer(&head->headers, soup_message_headers_unref);
	g_clear_pointer(&head->method, g_free);
	g_clear_pointer(&head->target, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Head, head_clear)

/* a whole head, as the front hands it over: found, then parsed */
static guint
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
	head->headers = soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
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

	g_assert_cmpuint(parse("\r\nGET /api/x?y=1 HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n"
			       " two\r\nAccept:  text/plain \r\n\r\n",
			       &head),
			 ==,
			 SOUP_STATUS_OK);
	g_assert_cmpstr(head.method, ==, "GET");
	g_assert_cmpstr(head.target, ==, "/api/x?y=1");
	g_assert_cmpint(head.version, ==, SOUP_HTTP_1_1);
	g_assert_cmpstr(soup_message_headers_get_one(head.headers, "Host"), ==, "a");
	g_assert_cmpstr(soup_message_headers_get_one(head.headers, "X-Folded"), ==, "one two");
	g_assert_cmpstr(soup_message_headers_get_one(head.headers, "Accept"), ==, "text/plain");
	g_assert_true(ms_http_method_intern(head.method) == SOUP_METHOD_GET);
}

static void
test_head_parse_http10(void)
{
	g_auto(Head) head = { 0 };

	/* HTTP/1.0 may leave Host out; bare LFs end lines too */
	g_assert_cmpuint(parse("POST /p HTTP/1.0\nContent-Length: 2\n\n", &head),
			 ==,
			 SOUP_STATUS_OK);
	g_assert_cmpint(head.version, ==, SOUP_HTTP_1_0);
	g_assert_true(ms_http_method_intern(head.method) == SOUP_METHOD_POST);
}

static void
assert_refused(const char *text, guint expected)
{
	g_auto(Head) head = { 0 };

	g_assert_cmpuint(parse(text, &head), ==, expected);
}

static void
test_head_parse_refused(void)
{
	assert_refused("GET / HTTP/1.1\r\n\r\n", SOUP_STATUS_BAD_REQUEST); /* no Host */
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	assert_refused("GET / HTTP/1.1\r\nHost:\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	assert_refused("GET / HTTP/2.0\r\nHost: a\r\n\r\n", SOUP_STATUS_HTTP_VERSION_NOT_SUPPORTED);
	assert_refused("GET / HTTP/1.2\r\nHost: a\r\n\r\n", SOUP_STATUS_HTTP_VERSION_NOT_SUPPORTED);
	assert_refused("GET / FTP/1.1\r\nHost: a\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	assert_refused("GET /\r\nHost: a\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	assert_refused("GARBAGE\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	/* what would split the line for the next hop */
	assert_refused("GET /a\rb HTTP/1.1\r\nHost: a\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01"
		       "b\r\n\r\n",
		       SOUP_STATUS_BAD_REQUEST);
	assert_refused("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	/* not a token */
	assert_refused("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", SOUP_STATUS_BAD_REQUEST);
	assert_refused("GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n",
		       SOUP_STATUS_EXPECTATION_FAILED);
}

static void
test_head_parse_nul(void)
{
	const char text[] = "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n";
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);
	g_autofree char *method = NULL;
	g_autofree char *target = NULL;
	SoupHTTPVersion version;

	g_assert_cmpuint(
		ms_http_head_parse(text, sizeof text - 1, headers, &method, &target, &version),
		==,
		SOUP_STATUS_BAD_REQUEST);
	g_assert_null(method);
	/* libsoup would fail a precondition on a head starting with NUL */
	g_assert_cmpuint(ms_http_head_parse("\0\r\n\r\n", 5, headers, &method, &target, &version),
			 ==,
			 SOUP_STATUS_BAD_REQUEST);
}

/* an unknown method is refused, but what it asked for is known for the log */
static void
test_head_parse_unknown_method(void)
{
	g_auto(Head) head = { 0 };

	g_assert_cmpuint(parse("BREW /pot HTTP/1.1\r\nHost: a\r\n\r\n", &head),
			 ==,
			 SOUP_STATUS_NOT_IMPLEMENTED);
	g_assert_cmpstr(head.method, ==, "BREW");
	g_assert_cmpstr(head.target, ==, "/pot");
	g_assert_null(ms_http_method_intern("BREW"));
	g_assert_null(ms_http_method_intern("get"));
	g_assert_true(ms_http_method_intern("PATCH") == g_intern_static_string("PATCH"));
	g_assert_true(ms_http_method_intern("OPTIONS") == SOUP_METHOD_OPTIONS);
}

static guint
framing(const char *fields, SoupHTTPVersion version, MsHttpBodyKind *kind, guint64 *length)
{
	g_autoptr(SoupMessageHeaders) headers =
		soup_message_headers_new(SOUP_MESSAGE_HEADERS_REQUEST);

	g_assert_true(soup_headers_parse(fields, (int)strlen(fields), headers));
	return ms_http_body_framing(headers, version, kind, length);
}

static void
assert_framing(const char *fields, guint status, MsHttpBodyKind kind, guint64 length)
{
	MsHttpBodyKind got_kind;
	guint64 got_length;

	g_assert_cmpuint(framing(fields, SOUP_HTTP_1_1, &got_kind, &got_length), ==, status);
	if (status != SOUP_STATUS_OK)
		return;
	g_assert_cmpint(got_kind, ==, kind);
	g_assert_cmpuint(got_length, ==, length);
}

static void
test_body_framing(void)
{
	MsHttpBodyKind kind;
	guint64 length;

	assert_framing("X\r\nHost: a\r\n", SOUP_STATUS_OK, MS_HTTP_BODY_NONE, 0);
	assert_framing("X\r\nContent-Length: 5\r\n", SOUP_STATUS_OK, MS_HTTP_BODY_LENGTH, 5);
	assert_framing("X\r\nContent-Length: 0\r\n", SOUP_STATUS_OK, MS_HTTP_BODY_LENGTH, 0);
	assert_framing("X\r\nContent-Length: 007\r\n", SOUP_STATUS_OK, MS_HTTP_BODY_LENGTH, 7);
	assert_framing("X\r\nContent-Length: 5\r\nContent-Length: 5\r\n",
		       SOUP_STATUS_OK,
		       MS_HTTP_BODY_LENGTH,
		       5);
	assert_framing("X\r\nContent-Length: 5,5\r\n", SOUP_STATUS_OK, MS_HTTP_BODY_LENGTH, 5);
	/* too large to hold: kept as the largest number, which every limit refuses */
	assert_framing("X\r\nContent-Length: 99999999999999999999999\r\n",
		       SOUP_STATUS_OK,
		       MS_HTTP_BODY_LENGTH,
		       G_MAXUINT64);
	assert_framing("X\r\nContent-Length: 5\r\nContent-Length: 6\r\n",
		       SOUP_STATUS_BAD_REQUEST,
		       0,
		       0);
	assert_framing("X\r\nContent-Length: 5,\r\n", SOUP_STATUS_BAD_REQUEST, 0, 0);
	assert_framing("X\r\nContent-Length:\r\n", SOUP_STATUS_BAD_REQUEST, 0, 0);
	assert_framing("X\r\nContent-Length: -1\r\n", SOUP_STATUS_BAD_REQUEST, 0, 0);
	assert_framing("X\r\nContent-Length: +1\r\n", SOUP_STATUS_BAD_REQUEST, 0, 0);
	assert_framing("X\r\nContent-Length: 0x10\r\n", SOUP_STATUS_BAD_REQUEST, 0, 0);
	assert_framing("X\r\nContent-Length: 1 2\r\n", SOUP_STATUS_BAD_REQUEST, 0, 0);

	assert_framing("X\r\nTransfer-Encoding: chunked\r\n",
		       SOUP_STATUS_OK,
		       MS_HTTP_BODY_CHUNKED,
		       0);
	assert_framing("X\r\nTransfer-Encoding: Chunked\r\n",
		       SOUP_STATUS_OK,
		       MS_HTTP_BODY_CHUNKED,
		       0);
	assert_framing("X\r\nTransfer-Encoding: , chunked\r\n",
		       SOUP_STATUS_OK,
		       MS_HTTP_BODY_CHUNKED,
		       0);
	assert_framing("X\r\nTransfer-Encoding: gzip\r\n", SOUP_STATUS_NOT_IMPLEMENTED, 0, 0);
	assert_framing("X\r\nTransfer-Encoding: gzip, chunked\r\n",
		       SOUP_STATUS_NOT_IMPLEMENTED,
		       0,
		       0);
	assert_framing("X\r\nTransfer-Encoding: chunked;x=1\r\n",
		       SOUP_STATUS_NOT_IMPLEMENTED,
		       0,
		       0);
	assert_framing("X\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
		       SOUP_STATUS_BAD_REQUEST,
		       0,
		       0);
	assert_framing("X\r\nTransfer-Encoding:\r\n", SOUP_STATUS_BAD_REQUEST, 0, 0);
	/* both: refused rather than guessed (request smuggling) */
	assert_framing("X\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n",
		       SOUP_STATUS_BAD_REQUEST,
		       0,
		       0);
	g_assert_cmpuint(
		framing("X\r\nTransfer-Encoding: chunked\r\n", SOUP_HTTP_1_0, &kind, &length),
		==,
		SOUP_STATUS_BAD_REQUEST);
}

static gboolean
wants_close(const char *text)
{
	g_auto(Head) head = { 0 };

	g_assert_cmpuint(parse(text, &head), ==, SOUP_STATUS_OK);
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
	g_test_add_func("/http-framing/head-parse-nul", test_head_parse_nul);
	g_test_add_func("/http-framing/head-parse-unknown-method", test_head_parse_unknown_method);
	g_test_add_func("/http-framing/body-framing", test_body_framing);
	g_test_add_func("/http-framing/wants-close", test_wants_close);
	g_test_add_func("/http-framing/expects-continue", test_expects_continue);
	g_test_add_func("/http-framing/chunked-valid", test_chunked_valid);
	g_test_add_func("/http-framing/chunked-invalid", test_chunked_invalid);
	g_test_add_func("/http-framing/chunked-incomplete", test_chunked_incomplete);
	g_test_add_func("/http-framing/chunked-limit", test_chunked_limit);
	g_test_add_func("/http-framing/chunked-sticky", test_chunked_sticky);
	return g_test_run();
}
