/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/adapters/http1/ms-http-framing.h"
#include "gateway/core/ms-http-target.h"

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

/*
 * What each byte may be, as one table so that the scanners below cost a load
 * per byte (they run over every head the gateway sees).
 */
enum {
	CLASS_TCHAR = 1 << 0,  /* RFC 9110 §5.6.2 tchar */
	CLASS_FIELD = 1 << 1,  /* field-value: VCHAR, SP, HTAB, obs-text */
	CLASS_TARGET = 1 << 2, /* a request-target byte: VCHAR or obs-text */
	CLASS_EXT = 1 << 3,    /* a chunk extension byte: VCHAR, SP, HTAB */
};

#define CLASS_V (CLASS_FIELD | CLASS_TARGET | CLASS_EXT)
#define CLASS_T (CLASS_V | CLASS_TCHAR)

/* disjoint ranges: 0x21..0x7e split into tchar and the delimiters */
static const guint8 char_class[256] = {
	['\t'] = CLASS_FIELD | CLASS_EXT,
	[' '] = CLASS_FIELD | CLASS_EXT,
	['!'] = CLASS_T,
	['"'] = CLASS_V,
	['#' ... '\''] = CLASS_T,
	['(' ... ')'] = CLASS_V,
	['*' ... '+'] = CLASS_T,
	[','] = CLASS_V,
	['-' ... '.'] = CLASS_T,
	['/'] = CLASS_V,
	['0' ... '9'] = CLASS_T,
	[':' ... '@'] = CLASS_V,
	['A' ... 'Z'] = CLASS_T,
	['[' ... ']'] = CLASS_V,
	['^' ... 'z'] = CLASS_T,
	['{'] = CLASS_V,
	['|'] = CLASS_T,
	['}'] = CLASS_V,
	['~'] = CLASS_T,
	[0x80 ... 0xff] = CLASS_FIELD | CLASS_TARGET,
};

static inline gboolean
has_class(char c, guint8 class)
{
	return (char_class[(guchar)c] & class) != 0;
}

/*
 * @p is where a line should end: Returns the start of the next line, or %NULL
 * when @p holds anything but LF or CRLF (a bare CR, a control, NUL)
 */
static inline const char *
line_end(const char *p, const char *end)
{
	if (p < end && *p == '\n')
		return p + 1;
	if (p + 1 < end && p[0] == '\r' && p[1] == '\n')
		return p + 2;
	return NULL;
}

/*
 * the end of a run of field-value characters from @p: where the first byte
 * that is not one stands (the line's end, when the line is good). @high
 * gathers the bytes' top bits: obs-text (0x80 and up) sets its 0x80.
 */
static const char *
field_text_skip(const char *p, const char *end, guint8 *high)
{
	const guint64 ones = G_GUINT64_CONSTANT(0x0101010101010101);
	const guint64 tops = G_GUINT64_CONSTANT(0x8080808080808080);
	guint64 seen = 0;
	guint8 bits = 0;

	/*
	 * eight bytes at a time while none is a control (below SP, or DEL): a
	 * byte below 0x20 makes w - 0x20 borrow into its top bit, a DEL is a zero
	 * byte of w ^ 0x7f (the usual "has a byte less than" and "has a zero
	 * byte" tests). The word that ends the line, or holds an HTAB, is left to
	 * the byte loop.
	 */
	while (end - p >= 8) {
		guint64 w;
		guint64 del;

		memcpy(&w, p, 8);
		del = w ^ (ones * 0x7f);
		if ((((w - ones * 0x20) & ~w) | ((del - ones) & ~del)) & tops)
			break;
		seen |= w;
		p += 8;
	}
	if (seen & tops)
		bits = 0x80;
	while (p < end && has_class(*p, CLASS_FIELD))
		bits |= (guint8)*p++;
	*high |= bits;
	return p;
}

/*
 * RFC 9112 §3: method SP request-target SP HTTP-version, one SP each, where
 * libsoup would take any run of SP and HTAB: a line that two parsers split
 * differently is how requests get smuggled past one of them.
 */
static MsHttpError
scan_request_line(const char **line, const char *end)
{
	const char *p = *line;
	const char *start = p;
	const char *next;

	while (p < end && has_class(*p, CLASS_TCHAR))
		p++;
	if (p == start || p == end || *p != ' ')
		return MS_HTTP_ERROR_SYNTAX;
	start = ++p;
	while (p < end && has_class(*p, CLASS_TARGET))
		p++;
	if (p == start || p == end || *p != ' ')
		return MS_HTTP_ERROR_SYNTAX;
	p++;
	if (end - p < 8 || memcmp(p, "HTTP/", 5) != 0 || !g_ascii_isdigit(p[5]) || p[6] != '.' ||
	    !g_ascii_isdigit(p[7]))
		return MS_HTTP_ERROR_SYNTAX;
	next = line_end(p + 8, end);
	if (next == NULL)
		return MS_HTTP_ERROR_SYNTAX;
	/* well formed, but a version the gateway does not speak */
	if (p[5] != '1' || p[7] > '1')
		return MS_HTTP_ERROR_VERSION;
	*line = next;
	return MS_HTTP_OK;
}

/*
 * RFC 9112 §4: HTTP-version SP 3DIGIT SP [ reason-phrase ]. A status line that
 * ends right after the code (no SP) is taken too, as libsoup takes it: some
 * servers send one, and it leaves no doubt where the line ends.
 */
static MsHttpError
scan_status_line(const char **line, const char *end)
{
	const char *p = *line;
	const char *next;
	guint8 high = 0; /* the reason phrase's obs-text is not looked at */
	guint code;

	if (end - p < 12 || memcmp(p, "HTTP/", 5) != 0 || !g_ascii_isdigit(p[5]) || p[6] != '.' ||
	    !g_ascii_isdigit(p[7]) || p[8] != ' ' || !g_ascii_isdigit(p[9]) ||
	    !g_ascii_isdigit(p[10]) || !g_ascii_isdigit(p[11]))
		return MS_HTTP_ERROR_SYNTAX;
	code = (guint)(p[9] - '0') * 100 + (guint)(p[10] - '0') * 10 + (guint)(p[11] - '0');
	p += 12;
	/* the reason phrase, which says nothing */
	next = line_end(p < end && *p == ' ' ? field_text_skip(p + 1, end, &high) : p, end);
	if (next == NULL)
		return MS_HTTP_ERROR_SYNTAX;
	if ((*line)[5] != '1' || (*line)[7] > '1')
		return MS_HTTP_ERROR_VERSION;
	if (code < 100 || code > 599)
		return MS_HTTP_ERROR_SYNTAX;
	*line = next;
	return MS_HTTP_OK;
}

/*
 * One field line, cut where it lies in the table's storage: the name and the
 * value end with a NUL, the value without the OWS around it, and the field is
 * added without another copy. A value with obs-text is made valid UTF-8 as
 * libsoup keeps an untrusted one (each bad byte U+FFFD); the others are not
 * looked at again.
 */
static void
take_field(MsHttpFields *fields, char *name, char *colon, char *value, char *value_end, guint8 high)
{
	gsize value_length;

	while (value < value_end && (*value == ' ' || *value == '\t'))
		value++;
	while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
		value_end--;
	*colon = '\0';
	*value_end = '\0';
	value_length = (gsize)(value_end - value);
	if (G_UNLIKELY(high & 0x80) && !g_utf8_validate_len(value, value_length, NULL)) {
		g_autofree char *valid = g_utf8_make_valid(value, (gssize)value_length);

		ms_http_fields_append_len(fields,
					  name,
					  (gsize)(colon - name),
					  valid,
					  strlen(valid));
	} else {
		ms_http_fields_append_stored(fields,
					     name,
					     (gsize)(colon - name),
					     value,
					     value_length);
	}
}

/*
 * RFC 9112 §5: each line up to the blank one is field-name ":" OWS
 * field-value OWS, the name a token right against its colon, the value free
 * of controls; no line continues another (obs-fold, §5.2). libsoup drops or
 * unfolds what breaks this, where another hop may read it otherwise.
 *
 * @p: the field lines, copied into @fields' storage, blank line included;
 *   each good line is cut there and added to @fields as soon as it is read
 */
static MsHttpError
take_field_lines(char *p, const char *end, MsHttpFields *fields)
{
	for (;;) {
		char *name = p;
		const char *next;

		if (p == end)
			return MS_HTTP_ERROR_SYNTAX;
		if (*p == ' ' || *p == '\t')
			return MS_HTTP_ERROR_OBS_FOLD;
		while (p < end && has_class(*p, CLASS_TCHAR))
			p++;
		if (p < end && *p == ':' && p != name) {
			guint8 high = 0;
			char *value_end = (char *)field_text_skip(p + 1, end, &high);

			next = line_end(value_end, end);
			if (next == NULL)
				return MS_HTTP_ERROR_SYNTAX;
			take_field(fields, name, p, p + 1, value_end, high);
			p = (char *)next;
			continue;
		}
		next = line_end(p, end);
		/* the blank line: nothing may follow it */
		if (next != NULL && p == name)
			return next == end ? MS_HTTP_OK : MS_HTTP_ERROR_SYNTAX;
		/* a line with no colon, or a name with a space, '(' or the like */
		if (next != NULL || (p < end && has_class(*p, CLASS_FIELD)) ||
		    (p < end && *p == ':'))
			return MS_HTTP_ERROR_FIELD_NAME;
		return MS_HTTP_ERROR_SYNTAX;
	}
}

/*
 * The strict reading of a head, in one pass: libsoup's parser is lenient (it
 * skips a "Content-Length : 5" line, unfolds obs-fold, takes a run of spaces in
 * the request line), and a proxy must not read a head in a way some other hop
 * does not. The field lines are copied once into @fields' storage and taken
 * apart there as they are checked: what soup_headers_parse() makes of a head
 * the scan accepts, without its work for what the scan refuses (obs-fold, NULs,
 * bare CRs, a name with a space) and without its copies per field. A refused
 * head leaves @fields empty.
 *
 * @fields_start: (out): where the field lines start in @data
 */
static MsHttpError
take_head(const char *data,
	  gsize head_length,
	  gboolean response,
	  MsHttpFields *fields,
	  const char **fields_start)
{
	const char *p = data;
	const char *end = data + head_length;
	MsHttpError error;
	char *copy;

	if (head_length > G_MAXINT)
		return MS_HTTP_ERROR_HEAD_TOO_LARGE;
	error = response ? scan_status_line(&p, end) : scan_request_line(&p, end);
	if (error != MS_HTTP_OK)
		return error;
	*fields_start = p;
	copy = ms_http_fields_reserve(fields, (gsize)(end - p));
	memcpy(copy, p, (gsize)(end - p));
	error = take_field_lines(copy, copy + (end - p), fields);
	if (error != MS_HTTP_OK)
		ms_http_fields_clear(fields);
	return error;
}

/*
 * as libsoup does for HTTP/1.0 (RFC 2616 §14.10): the fields a Connection
 * header names are taken out
 */
static void
clean_connection_fields(MsHttpFields *fields, SoupHTTPVersion version)
{
	const char *connection;
	GSList *names;

	if (version != SOUP_HTTP_1_0)
		return;
	connection = ms_http_fields_get_list_id(fields, MS_HTTP_FIELD_CONNECTION);
	if (connection == NULL)
		return;
	names = soup_header_parse_list(connection);
	for (GSList *l = names; l != NULL; l = l->next)
		ms_http_fields_remove(fields, l->data);
	soup_header_free_list(names);
}

/* RFC 9112 §3.2: exactly one Host in HTTP/1.1, at most one in HTTP/1.0 */
static gboolean
host_field_is_valid(MsHttpFields *fields, SoupHTTPVersion version)
{
	const char *host = ms_http_fields_get_list_id(fields, MS_HTTP_FIELD_HOST);

	if (host == NULL || *host == '\0')
		return version == SOUP_HTTP_1_0;
	/* repeated fields come back joined with commas, which no valid host holds */
	return ms_http_host_is_valid(host);
}

/*
 * what the Expect field asks, read as libsoup's
 * soup_message_headers_get_expectations() reads it: the last Expect field is
 * 100-continue (any case), or an expectation the gateway does not meet
 * (even an empty one, or a list)
 */
static SoupExpectation
expectations_of(MsHttpFields *fields)
{
	const char *expect = ms_http_fields_get_one_id(fields, MS_HTTP_FIELD_EXPECT);

	if (expect == NULL)
		return 0;
	return g_ascii_strcasecmp(expect, "100-continue") == 0 ? SOUP_EXPECTATION_CONTINUE
							       : SOUP_EXPECTATION_UNRECOGNIZED;
}

/**
 * ms_http_head_parse:
 * @data: a head as found by ms_http_head_find(), after any empty lines
 * @headers: cleared by the caller; filled with the header fields
 * @method: (out) (transfer none): the method as sent, or %NULL when the
 *   request line could not be read; kept in @headers' storage, as long as
 *   the fields
 * @target: (out) (transfer none): the request target, or %NULL likewise
 * @version: (out): the version, HTTP/1.1 when unknown
 *
 * Reads a request head strictly (RFC 9112 §2 to §5): one SP between the parts
 * of the request line, field names that are tokens right against their colon,
 * no obs-fold, no control byte or bare CR anywhere, one valid Host (none is
 * fine in HTTP/1.0). Lines may end in a bare LF (RFC 9112 §2.2).
 *
 * Returns: %MS_HTTP_OK or why the head is refused; @method and @target are
 *   set as soon as the request line is well formed (so an unknown method can
 *   be logged), @headers only when the scan accepted the head
 */
MsHttpError
ms_http_head_parse(const char *data,
		   gsize head_length,
		   MsHttpFields *headers,
		   const char **method,
		   const char **target,
		   SoupHTTPVersion *version)
{
	MsHttpError error;
	const char *fields_start = NULL;
	const char *target_start;
	const char *version_start;

	*method = NULL;
	*target = NULL;
	*version = SOUP_HTTP_1_1;
	error = take_head(data, head_length, FALSE, headers, &fields_start);
	if (error != MS_HTTP_OK)
		return error;
	/* the scan found one SP after the method and one after the target */
	target_start = (const char *)memchr(data, ' ', head_length) + 1;
	version_start =
		(const char *)memchr(target_start, ' ', (gsize)(fields_start - target_start)) + 1;
	*method = ms_http_fields_store(headers, data, (gsize)(target_start - 1 - data));
	*target = ms_http_fields_store(headers,
				       target_start,
				       (gsize)(version_start - 1 - target_start));
	*version = version_start[7] == '0' ? SOUP_HTTP_1_0 : SOUP_HTTP_1_1;
	if (expectations_of(headers) & SOUP_EXPECTATION_UNRECOGNIZED)
		return MS_HTTP_ERROR_EXPECTATION;
	clean_connection_fields(headers, *version);
	if (!host_field_is_valid(headers, *version))
		return MS_HTTP_ERROR_HOST;
	if (ms_http_method_intern(*method) == NULL)
		return MS_HTTP_ERROR_METHOD;
	return MS_HTTP_OK;
}

/**
 * ms_http_response_head_parse:
 * @data: a head as found by ms_http_head_find()
 * @headers: cleared by the caller; filled with the header fields
 * @version: (out): the version, HTTP/1.1 when unknown
 * @status: (out): the status code, 100 to 599; 0 when unknown
 * @reason: (out) (transfer none): the reason phrase, maybe empty, in
 *   @headers' storage; %NULL when the head was refused
 *
 * Reads an upstream's response head with the rules of ms_http_head_parse():
 * the status line is HTTP/1.x SP 3DIGIT, then SP and a reason phrase (which
 * may be empty), or the line end right away; the field lines are as strict.
 *
 * Returns: %MS_HTTP_OK or why the head is refused (%MS_HTTP_ERROR_VERSION for
 *   a well-formed version other than 1.0 or 1.1)
 */
MsHttpError
ms_http_response_head_parse(const char *data,
			    gsize head_length,
			    MsHttpFields *headers,
			    SoupHTTPVersion *version,
			    guint *status,
			    const char **reason)
{
	MsHttpError error;
	const char *fields_start = NULL;
	const char *reason_start = data + 12;
	const char *reason_end;

	*version = SOUP_HTTP_1_1;
	*status = 0;
	*reason = NULL;
	error = take_head(data, head_length, TRUE, headers, &fields_start);
	if (error != MS_HTTP_OK)
		return error;
	/* the scan read "HTTP/1.x 3DIGIT", then the line's end or SP and the phrase */
	*version = data[7] == '0' ? SOUP_HTTP_1_0 : SOUP_HTTP_1_1;
	*status = (guint)(data[9] - '0') * 100 + (guint)(data[10] - '0') * 10 +
		  (guint)(data[11] - '0');
	while (reason_start < fields_start && (*reason_start == ' ' || *reason_start == '\t'))
		reason_start++;
	reason_end = fields_start;
	while (reason_end > reason_start && (reason_end[-1] == '\n' || reason_end[-1] == '\r' ||
					     reason_end[-1] == ' ' || reason_end[-1] == '\t'))
		reason_end--;
	*reason = ms_http_fields_store(headers, reason_start, (gsize)(reason_end - reason_start));
	clean_connection_fields(headers, *version);
	return MS_HTTP_OK;
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

/*
 * RFC 9112 §6.3 item 5: 1*DIGIT, maybe repeated in a list or in more fields,
 * every copy the same. The number must fit a gint64, what every byte count
 * downstream (libsoup's among them) is held in.
 */
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
			guint digit;

			if (!g_ascii_isdigit(*d))
				return FALSE;
			digit = (guint)(*d - '0');
			if (n > ((guint64)G_MAXINT64 - digit) / 10)
				return FALSE;
			n = n * 10 + digit;
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
 * Returns: %MS_HTTP_OK when chunked is the only coding, and there once;
 *   %MS_HTTP_ERROR_TRANSFER_CODING for any other coding (the gateway decodes
 *   none); %MS_HTTP_ERROR_CHUNKED for an empty list or chunked twice, where
 *   chunked is not what ends the body (RFC 9112 §6.3 item 4)
 */
static MsHttpError
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
			return MS_HTTP_ERROR_TRANSFER_CODING;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return n_chunked == 1 ? MS_HTTP_OK : MS_HTTP_ERROR_CHUNKED;
}

/* the framing fields, once the message is known to have a body (RFC 9112 §6.3) */
static MsHttpError
framing_from_fields(MsHttpFields *headers, MsHttpBodyKind *kind, guint64 *length)
{
	const char *te = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_TRANSFER_ENCODING);
	const char *cl = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_CONTENT_LENGTH);
	MsHttpError error;

	if (te != NULL) {
		/*
		 * refused rather than read as chunked: whatever sent it disagrees
		 * with some other hop about where it ends (request smuggling)
		 */
		if (cl != NULL)
			return MS_HTTP_ERROR_FRAMING_CONFLICT;
		error = parse_transfer_encoding(te);
		if (error == MS_HTTP_OK)
			*kind = MS_HTTP_BODY_CHUNKED;
		return error;
	}
	if (cl != NULL) {
		if (!parse_content_length(cl, length))
			return MS_HTTP_ERROR_CONTENT_LENGTH;
		*kind = MS_HTTP_BODY_LENGTH;
	}
	return MS_HTTP_OK;
}

/**
 * ms_http_body_framing:
 * @kind: (out): how the body is delimited
 * @length: (out): the Content-Length (%MS_HTTP_BODY_LENGTH only; may be 0;
 *   at most %G_MAXINT64)
 *
 * Decides the request body's framing from its headers (RFC 9112 §6). A
 * request with both Transfer-Encoding and Content-Length is refused rather
 * than read as chunked, and so is Transfer-Encoding in HTTP/1.0, which has no
 * transfer codings (RFC 9112 §6.1).
 *
 * Returns: %MS_HTTP_OK, %MS_HTTP_ERROR_FRAMING_CONFLICT,
 *   %MS_HTTP_ERROR_CONTENT_LENGTH, %MS_HTTP_ERROR_CHUNKED or
 *   %MS_HTTP_ERROR_TRANSFER_CODING
 */
MsHttpError
ms_http_body_framing(MsHttpFields *headers,
		     SoupHTTPVersion version,
		     MsHttpBodyKind *kind,
		     guint64 *length)
{
	*kind = MS_HTTP_BODY_NONE;
	*length = 0;
	if (version == SOUP_HTTP_1_0 &&
	    ms_http_fields_has_id(headers, MS_HTTP_FIELD_TRANSFER_ENCODING))
		return MS_HTTP_ERROR_FRAMING_CONFLICT;
	return framing_from_fields(headers, kind, length);
}

/**
 * ms_http_response_body_framing:
 * @head_request: whether the request was HEAD
 * @status: the response's status code
 * @kind: (out): how the body is delimited
 * @length: (out): the Content-Length (%MS_HTTP_BODY_LENGTH only)
 *
 * Decides an upstream response body's framing (RFC 9112 §6.3): none after
 * HEAD and for 1xx, 204 and 304, whatever the fields say (the fields describe
 * the representation, not this message); otherwise chunked, a length, or
 * %MS_HTTP_BODY_UNTIL_CLOSE. A proxy refuses what it would have to guess:
 * both Transfer-Encoding and Content-Length, or a coding other than chunked.
 *
 * Returns: %MS_HTTP_OK or why the framing is refused, as ms_http_body_framing()
 */
MsHttpError
ms_http_response_body_framing(MsHttpFields *headers,
			      gboolean head_request,
			      guint status,
			      MsHttpBodyKind *kind,
			      guint64 *length)
{
	MsHttpError error;

	*kind = MS_HTTP_BODY_NONE;
	*length = 0;
	if (head_request || SOUP_STATUS_IS_INFORMATIONAL(status) ||
	    status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
		return MS_HTTP_OK;
	error = framing_from_fields(headers, kind, length);
	if (error == MS_HTTP_OK && *kind == MS_HTTP_BODY_NONE)
		*kind = MS_HTTP_BODY_UNTIL_CLOSE;
	return error;
}

/**
 * ms_http_wants_close:
 *
 * Returns: %TRUE when the connection ends after this request: HTTP/1.1 unless
 *   the client said close, HTTP/1.0 unless it asked for keep-alive
 */
gboolean
ms_http_wants_close(MsHttpFields *headers, SoupHTTPVersion version)
{
	const char *connection = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_CONNECTION);

	if (connection == NULL)
		return version == SOUP_HTTP_1_0;
	if (soup_header_contains(connection, "close"))
		return TRUE;
	return version == SOUP_HTTP_1_0 && !soup_header_contains(connection, "keep-alive");
}

/**
 * ms_http_expects_continue:
 *
 * RFC 9110 §10.1.1: never a 100 (Continue) to an HTTP/1.0 client.
 *
 * Returns: %TRUE when the client waits for a 100 (Continue) before its body
 */
gboolean
ms_http_expects_continue(MsHttpFields *headers, SoupHTTPVersion version)
{
	return version == SOUP_HTTP_1_1 &&
	       (expectations_of(headers) & SOUP_EXPECTATION_CONTINUE) != 0;
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
	CHUNK_TRAILER_START, /* after the last chunk: CRLF ends the body, else a field line */
	CHUNK_TRAILER_NAME,
	CHUNK_TRAILER_VALUE,
	CHUNK_TRAILER_LF,
	CHUNK_END_LF,
	CHUNK_DONE,
	CHUNK_INVALID,
	CHUNK_TOO_LARGE,
};

/**
 * ms_http_chunked_decoder_init:
 * @max_bytes: the most chunk data accepted; %G_MAXUINT64 for no limit
 *
 * Sets up @self for a new chunked body.
 */
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
	/*
	 * a size that cannot fit is refused before any of its data is read;
	 * total never passes max_bytes, so this cannot wrap, not even at
	 * G_MAXUINT64
	 */
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
		/* ignored, but never a way to hide a line end or a control */
		if (c == '\r')
			return CHUNK_SIZE_LF;
		return has_class(c, CLASS_EXT) ? CHUNK_EXT : CHUNK_INVALID;
	case CHUNK_SIZE_LF:
		if (c != '\n')
			return CHUNK_INVALID;
		return self->chunk_left == 0 ? CHUNK_TRAILER_START : CHUNK_DATA;
	case CHUNK_DATA_CR:
		return c == '\r' ? CHUNK_DATA_LF : CHUNK_INVALID;
	case CHUNK_DATA_LF:
		return c == '\n' ? CHUNK_SIZE_START : CHUNK_INVALID;
	case CHUNK_TRAILER_START:
		/* trailer fields are field lines like the head's (RFC 9112 §7.1.2) */
		if (c == '\r')
			return CHUNK_END_LF;
		return has_class(c, CLASS_TCHAR) ? CHUNK_TRAILER_NAME : CHUNK_INVALID;
	case CHUNK_TRAILER_NAME:
		if (c == ':')
			return CHUNK_TRAILER_VALUE;
		return has_class(c, CLASS_TCHAR) ? CHUNK_TRAILER_NAME : CHUNK_INVALID;
	case CHUNK_TRAILER_VALUE:
		if (c == '\r')
			return CHUNK_TRAILER_LF;
		return has_class(c, CLASS_FIELD) ? CHUNK_TRAILER_VALUE : CHUNK_INVALID;
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
 * ms_http_chunked_decoder_next:
 * @data: the body's bytes as they arrive
 * @consumed: (out): bytes of @data taken, framing and @chunk included; after
 *   %MS_HTTP_CHUNKED_DONE, the rest is the next message
 * @chunk: (out) (transfer none): where the data found starts, inside @data
 * @chunk_length: (out): its length; 0 when this call found no data
 *
 * Decodes without copying: takes framing bytes up to the next run of chunk
 * data, and that run, then stops. %MS_HTTP_CHUNKED_MORE with *@consumed less
 * than @length means: call again with the rest. Extensions are checked and
 * ignored, trailer fields checked and skipped; a size line is at most
 * %MS_HTTP_MAX_CHUNK_LINE_BYTES, the trailers %MS_HTTP_MAX_TRAILER_BYTES.
 *
 * Returns: %MS_HTTP_CHUNKED_MORE while the body goes on, else how it ended;
 *   the decoder keeps that status from then on
 */
MsHttpChunkedStatus
ms_http_chunked_decoder_next(MsHttpChunkedDecoder *self,
			     const char *data,
			     gsize length,
			     gsize *consumed,
			     const char **chunk,
			     gsize *chunk_length)
{
	gsize i = 0;

	*chunk = data;
	*chunk_length = 0;
	while (i < length && chunked_status(self->state) == MS_HTTP_CHUNKED_MORE) {
		if (self->state == CHUNK_DATA) {
			gsize n = (gsize)MIN((guint64)(length - i), self->chunk_left);

			*chunk = data + i;
			*chunk_length = n;
			self->chunk_left -= n;
			self->total += n;
			i += n;
			if (self->chunk_left == 0)
				self->state = CHUNK_DATA_CR;
			break;
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
		case CHUNK_TRAILER_NAME:
		case CHUNK_TRAILER_VALUE:
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

/**
 * ms_http_chunked_decoder_feed:
 * @consumed: (out): bytes of @data that belong to the body; after
 *   %MS_HTTP_CHUNKED_DONE, the rest is the next request
 * @out: the decoded data is appended here
 *
 * Decodes as much of a chunked body as @data holds, as
 * ms_http_chunked_decoder_next() does, copying the data into @out.
 *
 * Returns: %MS_HTTP_CHUNKED_MORE when all of @data was taken and the body
 *   goes on, else how it ended
 */
MsHttpChunkedStatus
ms_http_chunked_decoder_feed(MsHttpChunkedDecoder *self,
			     const char *data,
			     gsize length,
			     gsize *consumed,
			     GByteArray *out)
{
	MsHttpChunkedStatus status = chunked_status(self->state);
	gsize i = 0;

	while (i < length && status == MS_HTTP_CHUNKED_MORE) {
		const char *chunk;
		gsize chunk_length;
		gsize n;

		status = ms_http_chunked_decoder_next(self,
						      data + i,
						      length - i,
						      &n,
						      &chunk,
						      &chunk_length);
		i += n;
		/* a GByteArray takes a guint at a time */
		while (chunk_length > 0) {
			guint piece = (guint)MIN(chunk_length, (gsize)G_MAXUINT);

			g_byte_array_append(out, (const guint8 *)chunk, piece);
			chunk += piece;
			chunk_length -= piece;
		}
	}
	*consumed = i;
	return status;
}

/**
 * ms_http_chunked_decoder_get_total:
 *
 * Returns: the chunk data decoded so far
 */
guint64
ms_http_chunked_decoder_get_total(const MsHttpChunkedDecoder *self)
{
	return self->total;
}
