#include "config.h"

#include "ms-http-framing.h"

#include <string.h>

/*
 * Everything here reads bytes a client chose. Each function is bounded by its
 * input (or by the limits in the header), never reads past @length and never
 * trusts a number before checking it for overflow.
 */

/**
 * ms_http_skip_empty_lines:
 *
 * RFC 9112 §2.2: a server ignores empty lines before a request line (some
 * clients send a CRLF after a body).
 *
 * Returns: how many leading bytes of @data are empty lines
 */
gsize
ms_http_skip_empty_lines(const char *data, gsize length)
{
	gsize i = 0;

	for (;;) {
		if (i < length && data[i] == '\n')
			i++;
		else if (i + 1 < length && data[i] == '\r' && data[i + 1] == '\n')
			i += 2;
		else
			return i;
	}
}

/**
 * ms_http_head_find:
 * @limit: the longest head accepted, blank line included
 * @scanned: (inout): bytes of @data already searched: 0 for a new head, then
 *   whatever the previous call left, so that a head arriving in pieces is
 *   searched once
 * @head_length: (out): the head's length, blank line included
 *
 * Finds the blank line that ends a head; a lone LF ends a line as well as
 * CRLF (RFC 9112 §2.2), as libsoup's parser allows.
 */
MsHttpHeadStatus
ms_http_head_find(const char *data, gsize length, gsize limit, gsize *scanned, gsize *head_length)
{
	gsize from = *scanned;

	while (from < length) {
		const char *lf = memchr(data + from, '\n', length - from);
		gsize i;

		if (lf == NULL) {
			from = length;
			break;
		}
		i = (gsize)(lf - data);
		if (i + 1 < length && data[i + 1] == '\n') {
			*head_length = i + 2;
			return i + 2 > limit ? MS_HTTP_HEAD_TOO_LARGE : MS_HTTP_HEAD_COMPLETE;
		}
		if (i + 2 < length && data[i + 1] == '\r' && data[i + 2] == '\n') {
			*head_length = i + 3;
			return i + 3 > limit ? MS_HTTP_HEAD_TOO_LARGE : MS_HTTP_HEAD_COMPLETE;
		}
		if (i + 1 >= length || (i + 2 >= length && data[i + 1] == '\r')) {
			/* the blank line may still come: look at this LF again */
			from = i;
			break;
		}
		from = i + 1;
	}
	*scanned = from;
	return length >= limit ? MS_HTTP_HEAD_TOO_LARGE : MS_HTTP_HEAD_INCOMPLETE;
}

/* RFC 9110 §5.6.2 tchar */
static gboolean
is_tchar(guchar c)
{
	return g_ascii_isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static gboolean
is_token(const char *text)
{
	if (*text == '\0')
		return FALSE;
	for (const char *p = text; *p != '\0'; p++) {
		if (!is_tchar((guchar)*p))
			return FALSE;
	}
	return TRUE;
}

/*
 * what libsoup's parser lets through but a proxy must not pass on (RFC 9112
 * §2.2, RFC 9110 §5.5): NUL, a CR that does not end a line, other controls
 */
static gboolean
head_bytes_are_valid(const char *data, gsize length)
{
	for (gsize i = 0; i < length; i++) {
		guchar c = (guchar)data[i];

		if (c >= 0x20 && c != 0x7f)
			continue;
		if (c == '\t' || c == '\n')
			continue;
		if (c == '\r' && i + 1 < length && data[i + 1] == '\n')
			continue;
		return FALSE;
	}
	return TRUE;
}

/* origin-form and friends: visible ASCII or raw UTF-8, nothing that ends a line */
static gboolean
target_is_valid(const char *target)
{
	if (*target == '\0')
		return FALSE;
	for (const char *p = target; *p != '\0'; p++) {
		guchar c = (guchar)*p;
		if (c <= 0x20 || c == 0x7f)
			return FALSE;
	}
	return TRUE;
}

/* RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0 */
static gboolean
host_is_valid(SoupMessageHeaders *headers, SoupHTTPVersion version)
{
	const char *host = soup_message_headers_get_list(headers, "Host");

	if (host == NULL)
		return version == SOUP_HTTP_1_0;
	/* repeated fields come back joined with commas, which no host holds */
	return strchr(host, ',') == NULL && (*host != '\0' || version == SOUP_HTTP_1_0);
}

/**
 * ms_http_head_parse:
 * @data: a head as found by ms_http_head_find(), after any empty lines
 * @headers: cleared by the caller; filled with the header fields
 * @method: (out) (transfer full): the method as sent, or %NULL when the
 *   request line could not be read
 * @target: (out) (transfer full): the request target, or %NULL likewise
 * @version: (out): the version, HTTP/1.1 when unknown
 *
 * Returns: %SOUP_STATUS_OK, or the status to refuse the head with: 400 (bad
 *   syntax, no Host), 417 (an expectation libsoup does not know), 501 (an
 *   unknown method) or 505 (not HTTP/1.x)
 */
guint
ms_http_error_get_status(MsHttpError error)
{
	switch (error) {
	case MS_HTTP_OK: return 200;
	case MS_HTTP_ERROR_HEAD_TOO_LARGE: return 431;
	case MS_HTTP_ERROR_BODY_TOO_LARGE: return 413;
	case MS_HTTP_ERROR_EXPECTATION: return 417;
	case MS_HTTP_ERROR_METHOD: case MS_HTTP_ERROR_TRANSFER_CODING: return 501;
	case MS_HTTP_ERROR_VERSION: return 505;
	default: return 400;
	}
}

static guint
head_parse_status(const char *data,
		   gsize head_length,
		   SoupMessageHeaders *headers,
		   char **method,
		   char **target,
		   SoupHTTPVersion *version)
{
	gsize parse_length;
	guint status;

	*method = NULL;
	*target = NULL;
	*version = SOUP_HTTP_1_1;
	if (head_length < 2 || head_length > G_MAXINT || !head_bytes_are_valid(data, head_length))
		return SOUP_STATUS_BAD_REQUEST;
	/* libsoup wants the head without its blank line */
	parse_length = head_length - (data[head_length - 2] == '\r' ? 2 : 1);
	if (parse_length == 0)
		return SOUP_STATUS_BAD_REQUEST;
	status = soup_headers_parse_request(data,
					    (int)parse_length,
					    headers,
					    method,
					    target,
					    version);
	if (status != SOUP_STATUS_OK)
		return status;
	if (!is_token(*method) || !target_is_valid(*target) || !host_is_valid(headers, *version))
		return SOUP_STATUS_BAD_REQUEST;
	if (ms_http_method_intern(*method) == NULL)
		return SOUP_STATUS_NOT_IMPLEMENTED;
	return SOUP_STATUS_OK;
}

MsHttpError
ms_http_head_parse(const char *data, gsize head_length, SoupMessageHeaders *headers, char **method, char **target, SoupHTTPVersion *version)
{
	guint s = head_parse_status(data, head_length, headers, method, target, version);
	switch (s) {
	case 200: return MS_HTTP_OK;
	case 417: return MS_HTTP_ERROR_EXPECTATION;
	case 501: return MS_HTTP_ERROR_METHOD;
	case 505: return MS_HTTP_ERROR_VERSION;
	default: return MS_HTTP_ERROR_SYNTAX;
	}
}

/**
 * ms_http_method_intern:
 *
 * Returns: (nullable): the interned string of a method the gateway knows
 *   (SOUP_METHOD_GET...), or %NULL: client-chosen strings are never interned,
 *   since the table of interned strings only grows
 */
const char *
ms_http_method_intern(const char *method)
{
	switch (method[0]) {
	case 'G':
		return strcmp(method, "GET") == 0 ? SOUP_METHOD_GET : NULL;
	case 'H':
		return strcmp(method, "HEAD") == 0 ? SOUP_METHOD_HEAD : NULL;
	case 'P':
		if (strcmp(method, "POST") == 0)
			return SOUP_METHOD_POST;
		if (strcmp(method, "PUT") == 0)
			return SOUP_METHOD_PUT;
		return strcmp(method, "PATCH") == 0 ? g_intern_static_string("PATCH") : NULL;
	case 'D':
		return strcmp(method, "DELETE") == 0 ? SOUP_METHOD_DELETE : NULL;
	case 'O':
		return strcmp(method, "OPTIONS") == 0 ? SOUP_METHOD_OPTIONS : NULL;
	case 'T':
		return strcmp(method, "TRACE") == 0 ? SOUP_METHOD_TRACE : NULL;
	case 'C':
		return strcmp(method, "CONNECT") == 0 ? SOUP_METHOD_CONNECT : NULL;
	default:
		return NULL;
	}
}

static const char *
skip_ows(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *
unskip_ows(const char *p, const char *start)
{
	while (p > start && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	return p;
}

/* RFC 9112 §6.3 item 5: one decimal value, repeated identically at most */
static gboolean
parse_content_length(const char *value, guint64 *length)
{
	const char *p = value;
	gboolean seen = FALSE;

	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);
		const char *start = skip_ows(p, end);
		guint64 n = 0;

		end = unskip_ows(end, start);
		if (start == end)
			return FALSE;
		for (const char *d = start; d < end; d++) {
			if (!g_ascii_isdigit(*d))
				return FALSE;
			/* too large to be anything but refused: saturate */
			if (n > (G_MAXUINT64 - 9) / 10)
				n = G_MAXUINT64;
			else
				n = n * 10 + (guint64)(*d - '0');
		}
		if (seen && n != *length)
			return FALSE;
		*length = n;
		seen = TRUE;
		if (comma == NULL)
			return TRUE;
		p = comma + 1;
	}
}

/*
 * Returns: %SOUP_STATUS_OK when chunked is the only coding, 501 for a coding
 * the gateway does not decode, 400 for an empty list or chunked twice
 */
static guint
parse_transfer_encoding(const char *value)
{
	const char *p = value;
	guint n_chunked = 0;

	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);
		const char *start = skip_ows(p, end);

		end = unskip_ows(end, start);
		/* RFC 9110 §5.6.1: empty list elements do not count */
		if (end - start == 7 && g_ascii_strncasecmp(start, "chunked", 7) == 0)
			n_chunked++;
		else if (start != end)
			return SOUP_STATUS_NOT_IMPLEMENTED;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return n_chunked == 1 ? SOUP_STATUS_OK : SOUP_STATUS_BAD_REQUEST;
}

/**
 * ms_http_body_framing:
 * @kind: (out): how the body is delimited
 * @length: (out): the Content-Length (%MS_HTTP_BODY_LENGTH only; may be 0;
 *   %G_MAXUINT64 for a number too large to hold)
 *
 * Decides the request body's framing from its headers (RFC 9112 §6). A
 * request with both Transfer-Encoding and Content-Length is refused (400)
 * rather than read as chunked: whatever sent it disagrees with some other
 * hop about where it ends.
 *
 * Returns: %SOUP_STATUS_OK, 400 (bad or conflicting framing) or 501 (a
 *   transfer coding other than chunked)
 */
static guint
body_framing_status(SoupMessageHeaders *headers,
		     SoupHTTPVersion version,
		     MsHttpBodyKind *kind,
		     guint64 *length)
{
	const char *te = soup_message_headers_get_list(headers, "Transfer-Encoding");
	const char *cl = soup_message_headers_get_list(headers, "Content-Length");
	guint status;

	*kind = MS_HTTP_BODY_NONE;
	*length = 0;
	if (te != NULL) {
		/* RFC 9112 §6.1: HTTP/1.0 has no transfer codings, so its framing is faulty */
		if (cl != NULL || version == SOUP_HTTP_1_0)
			return SOUP_STATUS_BAD_REQUEST;
		status = parse_transfer_encoding(te);
		if (status == SOUP_STATUS_OK)
			*kind = MS_HTTP_BODY_CHUNKED;
		return status;
	}
	if (cl != NULL) {
		if (!parse_content_length(cl, length))
			return SOUP_STATUS_BAD_REQUEST;
		*kind = MS_HTTP_BODY_LENGTH;
	}
	return SOUP_STATUS_OK;
}

MsHttpError
ms_http_body_framing(SoupMessageHeaders *headers, SoupHTTPVersion version, MsHttpBodyKind *kind, guint64 *length)
{
	guint s = body_framing_status(headers, version, kind, length);
	return s == 200 ? MS_HTTP_OK : s == 501 ? MS_HTTP_ERROR_TRANSFER_CODING : MS_HTTP_ERROR_CONTENT_LENGTH;
}

/**
 * ms_http_wants_close:
 *
 * Returns: %TRUE when the connection ends after this request: HTTP/1.1 unless
 *   the client said close, HTTP/1.0 unless it asked for keep-alive
 */
gboolean
ms_http_wants_close(SoupMessageHeaders *headers, SoupHTTPVersion version)
{
	const char *connection = soup_message_headers_get_list(headers, "Connection");

	if (connection == NULL)
		return version == SOUP_HTTP_1_0;
	if (soup_header_contains(connection, "close"))
		return TRUE;
	return version == SOUP_HTTP_1_0 && !soup_header_contains(connection, "keep-alive");
}

/* RFC 9110 §10.1.1: never a 100 (Continue) to an HTTP/1.0 client */
gboolean
ms_http_expects_continue(SoupMessageHeaders *headers, SoupHTTPVersion version)
{
	return version == SOUP_HTTP_1_1 &&
	       (soup_message_headers_get_expectations(headers) & SOUP_EXPECTATION_CONTINUE) != 0;
}

/* --- chunked bodies (RFC 9112 §7.1) --------------------------------------------------- */

enum {
	CHUNK_SIZE_START, /* a chunk-size line begins: a hex digit is due */
	CHUNK_SIZE,       /* more hex digits, or what ends them */
	CHUNK_SIZE_WS,    /* whitespace after the size: only ';' may follow */
	CHUNK_EXT,        /* chunk extensions: ignored up to CR */
	CHUNK_SIZE_LF,    /* the size line's LF */
	CHUNK_DATA,
	CHUNK_DATA_CR,
	CHUNK_DATA_LF,
	CHUNK_TRAILER_START, /* after the last chunk: CRLF ends the body, else a trailer */
	CHUNK_TRAILER,
	CHUNK_TRAILER_LF,
	CHUNK_END_LF,
	CHUNK_DONE,
	CHUNK_INVALID,
	CHUNK_TOO_LARGE,
};

void
ms_http_chunked_decoder_init(MsHttpChunkedDecoder *self, guint64 max_bytes)
{
	memset(self, 0, sizeof *self);
	self->state = CHUNK_SIZE_START;
	self->max_bytes = max_bytes;
}

/* Returns: the hex value of @c, or -1 */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static guint
chunk_size_digit(MsHttpChunkedDecoder *self, int digit)
{
	if (self->chunk_left > (G_MAXUINT64 >> 4))
		return CHUNK_TOO_LARGE;
	self->chunk_left = (self->chunk_left << 4) | (guint64)digit;
	/* a size that cannot fit is refused before any of its data is read */
	if (self->chunk_left > self->max_bytes - self->total)
		return CHUNK_TOO_LARGE;
	return CHUNK_SIZE;
}

/* one byte of framing (not chunk data): the next state */
static guint
chunked_step(MsHttpChunkedDecoder *self, char c)
{
	int digit;

	switch (self->state) {
	case CHUNK_SIZE_START:
		self->line_bytes = 0;
		self->chunk_left = 0;
		digit = hex_value(c);
		return digit < 0 ? CHUNK_INVALID : chunk_size_digit(self, digit);
	case CHUNK_SIZE:
		digit = hex_value(c);
		if (digit >= 0)
			return chunk_size_digit(self, digit);
		if (c == '\r')
			return CHUNK_SIZE_LF;
		if (c == ';')
			return CHUNK_EXT;
		return c == ' ' || c == '\t' ? CHUNK_SIZE_WS : CHUNK_INVALID;
	case CHUNK_SIZE_WS:
		if (c == ';')
			return CHUNK_EXT;
		return c == ' ' || c == '\t' ? CHUNK_SIZE_WS : CHUNK_INVALID;
	case CHUNK_EXT:
		if (c == '\r')
			return CHUNK_SIZE_LF;
		return c == '\n' || c == '\0' ? CHUNK_INVALID : CHUNK_EXT;
	case CHUNK_SIZE_LF:
		if (c != '\n')
			return CHUNK_INVALID;
		return self->chunk_left == 0 ? CHUNK_TRAILER_START : CHUNK_DATA;
	case CHUNK_DATA_CR:
		return c == '\r' ? CHUNK_DATA_LF : CHUNK_INVALID;
	case CHUNK_DATA_LF:
		return c == '\n' ? CHUNK_SIZE_START : CHUNK_INVALID;
	case CHUNK_TRAILER_START:
		if (c == '\r')
			return CHUNK_END_LF;
		return c == '\n' || c == '\0' ? CHUNK_INVALID : CHUNK_TRAILER;
	case CHUNK_TRAILER:
		if (c == '\r')
			return CHUNK_TRAILER_LF;
		return c == '\n' || c == '\0' ? CHUNK_INVALID : CHUNK_TRAILER;
	case CHUNK_TRAILER_LF:
		return c == '\n' ? CHUNK_TRAILER_START : CHUNK_INVALID;
	case CHUNK_END_LF:
		return c == '\n' ? CHUNK_DONE : CHUNK_INVALID;
	default:
		return CHUNK_INVALID;
	}
}

static MsHttpChunkedStatus
chunked_status(guint state)
{
	switch (state) {
	case CHUNK_DONE:
		return MS_HTTP_CHUNKED_DONE;
	case CHUNK_INVALID:
		return MS_HTTP_CHUNKED_INVALID;
	case CHUNK_TOO_LARGE:
		return MS_HTTP_CHUNKED_TOO_LARGE;
	default:
		return MS_HTTP_CHUNKED_MORE;
	}
}

/**
 * ms_http_chunked_decoder_feed:
 * @consumed: (out): bytes of @data that belong to the body; after
 *   %MS_HTTP_CHUNKED_DONE, the rest is the next request
 * @out: the decoded data is appended here
 *
 * Decodes as much of a chunked body as @data holds. Extensions are ignored,
 * trailer fields are skipped; a size line is at most
 * %MS_HTTP_MAX_CHUNK_LINE_BYTES, the trailers %MS_HTTP_MAX_TRAILER_BYTES.
 */
MsHttpChunkedStatus
ms_http_chunked_decoder_feed(MsHttpChunkedDecoder *self,
			     const char *data,
			     gsize length,
			     gsize *consumed,
			     GByteArray *out)
{
	gsize i = 0;

	while (i < length && chunked_status(self->state) == MS_HTTP_CHUNKED_MORE) {
		if (self->state == CHUNK_DATA) {
			gsize n = (gsize)MIN((guint64)MIN(length - i, G_MAXUINT), self->chunk_left);

			g_byte_array_append(out, (const guint8 *)data + i, (guint)n);
			self->chunk_left -= n;
			self->total += n;
			i += n;
			if (self->chunk_left == 0)
				self->state = CHUNK_DATA_CR;
			continue;
		}
		self->state = chunked_step(self, data[i++]);
		switch (self->state) {
		case CHUNK_SIZE:
		case CHUNK_SIZE_WS:
		case CHUNK_EXT:
		case CHUNK_SIZE_LF:
			if (++self->line_bytes > MS_HTTP_MAX_CHUNK_LINE_BYTES)
				self->state = CHUNK_INVALID;
			break;
		case CHUNK_TRAILER_START:
		case CHUNK_TRAILER:
		case CHUNK_TRAILER_LF:
		case CHUNK_END_LF:
			if (++self->trailer_bytes > MS_HTTP_MAX_TRAILER_BYTES)
				self->state = CHUNK_INVALID;
			break;
		default:
			break;
		}
	}
	*consumed = i;
	return chunked_status(self->state);
}

/* decoded bytes so far */
guint64
ms_http_chunked_decoder_get_total(const MsHttpChunkedDecoder *self)
{
	return self->total;
}
