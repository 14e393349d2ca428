/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "../lib/ms-test-soup-headers.h"
#include "gateway/adapters/http1/ms-http-framing.h"

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * libFuzzer target for what an upstream answers: the input is one connection's
 * bytes after a first byte that says how many bytes each read brings and
 * whether the request was HEAD. Responses are taken as the upstream client
 * takes them: the head found, parsed, the body framed, then read by length or
 * decoded in place by ms_http_chunked_decoder_next() over reads of varying
 * size. Nothing may crash, read out of bounds, loop, or break a promise of
 * ms-http-framing.h.
 */

#define FUZZ_HEAD_LIMIT 2048

/* Returns: the body's length on the wire, or 0 when the connection would close */
static gsize
read_chunked(const char *data, gsize length, gsize step)
{
	MsHttpChunkedDecoder decoder;
	MsHttpChunkedStatus status = MS_HTTP_CHUNKED_MORE;
	guint64 seen = 0;
	gsize offset = 0;

	/* what the upstream client uses: no limit, so nothing may overflow */
	ms_http_chunked_decoder_init(&decoder, G_MAXUINT64);
	while (offset < length && status == MS_HTTP_CHUNKED_MORE) {
		gsize piece = MIN(step, length - offset);
		gsize taken = 0;

		while (taken < piece && status == MS_HTTP_CHUNKED_MORE) {
			const char *chunk = NULL;
			gsize chunk_length = 0;
			gsize consumed = 0;

			status = ms_http_chunked_decoder_next(&decoder,
							      data + offset + taken,
							      piece - taken,
							      &consumed,
							      &chunk,
							      &chunk_length);
			g_assert(consumed > 0 && consumed <= piece - taken);
			g_assert(chunk_length <= consumed);
			if (chunk_length > 0) {
				/* the data ends the call, inside what was given */
				g_assert(status == MS_HTTP_CHUNKED_MORE);
				g_assert(chunk + chunk_length == data + offset + taken + consumed);
			}
			seen += chunk_length;
			taken += consumed;
			g_assert(ms_http_chunked_decoder_get_total(&decoder) == seen);
		}
		offset += taken;
		/* the step steers the piece sizes, so they vary */
		step = step % 31 + 1;
	}
	g_assert(seen <= offset);
	return status == MS_HTTP_CHUNKED_DONE ? offset : 0;
}

/* Returns: bytes of one response, or 0 when the connection would end there */
static gsize
take_response(const char *data, gsize length, gsize step, gboolean head_request)
{
	g_autoptr(MsHttpFields) headers = ms_http_fields_new();
	const char *reason = NULL;
	SoupHTTPVersion version;
	gsize scanned = 0;
	gsize head_length = 0;
	MsHttpBodyKind kind;
	guint64 body_length;
	guint status;
	gsize body;

	if (ms_http_head_find(data, length, FUZZ_HEAD_LIMIT, &scanned, &head_length) !=
	    MS_HTTP_HEAD_COMPLETE)
		return 0;
	g_assert(head_length <= length && data[head_length - 1] == '\n');
	if (ms_http_response_head_parse(data, head_length, headers, &version, &status, &reason) !=
	    MS_HTTP_OK) {
		g_assert(reason == NULL);
		return 0;
	}
	g_assert(reason != NULL && strpbrk(reason, "\r\n") == NULL);
	g_assert(status >= 100 && status <= 599);
	g_assert(version == SOUP_HTTP_1_0 || version == SOUP_HTTP_1_1);
	/* what the gateway reads of a head it accepts, libsoup reads the same */
	g_assert(ms_test_response_head_as_libsoup(data,
						  head_length,
						  headers,
						  version,
						  status,
						  reason));
	if (ms_http_response_body_framing(headers, head_request, status, &kind, &body_length) !=
	    MS_HTTP_OK)
		return 0;
	data += head_length;
	length -= head_length;
	switch (kind) {
	case MS_HTTP_BODY_CHUNKED:
		body = read_chunked(data, length, step);
		if (body == 0)
			return 0;
		break;
	case MS_HTTP_BODY_LENGTH:
		g_assert(body_length <= G_MAXINT64);
		if (body_length > length)
			return 0;
		body = (gsize)body_length;
		break;
	case MS_HTTP_BODY_UNTIL_CLOSE:
		g_assert(!head_request && status >= 200 && status != 204 && status != 304);
		return 0;
	case MS_HTTP_BODY_NONE:
	default:
		g_assert(body_length == 0);
		body = 0;
		break;
	}
	return head_length + body;
}

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size)
{
	const char *text = (const char *)data + 1;
	gboolean head_request;
	gsize step;

	if (size < 1)
		return 0;
	step = (gsize)data[0] % 32 + 1;
	head_request = (data[0] & 0x80) != 0;
	size--;
	/* responses one after another, as long as each one has an end */
	while (size > 0) {
		gsize taken = take_response(text, size, step, head_request);

		if (taken == 0)
			break;
		g_assert(taken <= size);
		text += taken;
		size -= taken;
	}
	return 0;
}
