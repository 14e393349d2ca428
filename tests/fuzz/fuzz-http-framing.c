/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "../lib/ms-test-soup-headers.h"
#include "gateway/adapters/http1/ms-http-framing.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * libFuzzer target for the gateway front's framing: the input is what a client
 * sends on one connection (after a first byte that says how many bytes each
 * read brings). Requests are taken as the front takes them: empty lines
 * skipped, the head found (in pieces and at once: the same end), parsed,
 * the body framed, a chunked body decoded in pieces. Nothing may crash, read
 * out of bounds, loop, or break a promise of ms-http-framing.h.
 */

#define FUZZ_HEAD_LIMIT 2048
#define FUZZ_MAX_BODY   512

static MsHttpHeadStatus
find_head(const char *data, gsize length, gsize step, gsize *head_length)
{
	MsHttpHeadStatus whole;
	MsHttpHeadStatus status = MS_HTTP_HEAD_INCOMPLETE;
	gsize whole_length = 0;
	gsize scanned = 0;

	whole = ms_http_head_find(data, length, FUZZ_HEAD_LIMIT, &scanned, &whole_length);
	scanned = 0;
	for (gsize have = MIN(step, length);; have = MIN(have + step, length)) {
		status = ms_http_head_find(data, have, FUZZ_HEAD_LIMIT, &scanned, head_length);
		g_assert(scanned <= have);
		if (status != MS_HTTP_HEAD_INCOMPLETE || have == length)
			break;
	}
	g_assert(status == whole);
	if (status == MS_HTTP_HEAD_COMPLETE) {
		g_assert(*head_length == whole_length);
		g_assert(*head_length <= FUZZ_HEAD_LIMIT && *head_length <= length);
		g_assert(data[*head_length - 1] == '\n');
	}
	return status;
}

/* Returns: the body's length on the wire, or 0 when the connection would close */
static gsize
decode_chunked(const char *data, gsize length, gsize step)
{
	MsHttpChunkedDecoder decoder;
	g_autoptr(GByteArray) out = g_byte_array_new();
	MsHttpChunkedStatus status = MS_HTTP_CHUNKED_MORE;
	gsize offset = 0;

	ms_http_chunked_decoder_init(&decoder, FUZZ_MAX_BODY);
	while (offset < length && status == MS_HTTP_CHUNKED_MORE) {
		gsize piece = MIN(step, length - offset);
		gsize consumed = 0;

		status = ms_http_chunked_decoder_feed(&decoder,
						      data + offset,
						      piece,
						      &consumed,
						      out);
		g_assert(consumed <= piece);
		if (status == MS_HTTP_CHUNKED_MORE)
			g_assert(consumed == piece);
		offset += consumed;
		g_assert(out->len <= FUZZ_MAX_BODY);
		g_assert(ms_http_chunked_decoder_get_total(&decoder) == out->len);
	}
	return status == MS_HTTP_CHUNKED_DONE ? offset : 0;
}

/* Returns: bytes of one request, or 0 when the connection would end there */
static gsize
take_request(const char *data, gsize length, gsize step)
{
	g_autoptr(MsHttpFields) headers = ms_http_fields_new();
	const char *method = NULL;
	const char *target = NULL;
	SoupHTTPVersion version;
	gsize skip = ms_http_skip_empty_lines(data, length);
	gsize head_length = 0;
	MsHttpBodyKind kind;
	guint64 body_length;
	gsize body;

	g_assert(skip <= length);
	if (find_head(data + skip, length - skip, step, &head_length) != MS_HTTP_HEAD_COMPLETE)
		return 0;
	if (ms_http_head_parse(data + skip, head_length, headers, &method, &target, &version) !=
	    MS_HTTP_OK)
		return 0;
	g_assert(method != NULL && target != NULL);
	g_assert(ms_http_method_intern(method) != NULL);
	g_assert(strpbrk(target, " \t\r\n") == NULL);
	g_assert(version == SOUP_HTTP_1_0 || version == SOUP_HTTP_1_1);
	/* what the gateway reads of a head it accepts, libsoup reads the same */
	g_assert(ms_test_request_head_as_libsoup(data + skip,
						 head_length,
						 headers,
						 method,
						 target,
						 version));
	(void)ms_http_wants_close(headers, version);
	(void)ms_http_expects_continue(headers, version);
	if (ms_http_body_framing(headers, version, &kind, &body_length) != MS_HTTP_OK)
		return 0;
	data += skip + head_length;
	length -= skip + head_length;
	switch (kind) {
	case MS_HTTP_BODY_CHUNKED:
		body = decode_chunked(data, length, step);
		if (body == 0)
			return 0;
		break;
	case MS_HTTP_BODY_LENGTH:
		if (body_length > FUZZ_MAX_BODY || body_length > length)
			return 0;
		body = (gsize)body_length;
		break;
	case MS_HTTP_BODY_NONE:
	default:
		body = 0;
		break;
	}
	return skip + head_length + body;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	const char *text = (const char *)data + 1;
	gsize step;

	if (size < 1)
		return 0;
	step = (gsize)data[0] % 32 + 1;
	size--;
	/* pipelined requests, as long as each one keeps the connection open */
	while (size > 0) {
		gsize taken = take_request(text, size, step);

		if (taken == 0)
			break;
		g_assert(taken <= size);
		text += taken;
		size -= taken;
	}
	return 0;
}
