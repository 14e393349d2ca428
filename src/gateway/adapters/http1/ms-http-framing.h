/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "gateway/core/ms-http-error.h"
#include "gateway/core/ms-http-fields.h"

G_BEGIN_DECLS

/*
 * HTTP/1.1 request framing for the gateway's front (RFC 9112), as pure
 * functions over untrusted bytes: where a head ends, whether it is acceptable,
 * how long its body is, and a chunked body decoder. No I/O, no allocation
 * beyond the header table's storage and the decoded body.
 */

/* request line and headers together, blank line included */
#define MS_HTTP_MAX_HEAD_BYTES (64 * 1024)
/* a chunk-size line with its extensions */
#define MS_HTTP_MAX_CHUNK_LINE_BYTES 4096
/* all trailer lines of a chunked body */
#define MS_HTTP_MAX_TRAILER_BYTES (16 * 1024)

gsize
ms_http_skip_empty_lines(const char *data, gsize length);

typedef enum {
	MS_HTTP_HEAD_INCOMPLETE,
	MS_HTTP_HEAD_COMPLETE,
	MS_HTTP_HEAD_TOO_LARGE,
} MsHttpHeadStatus;

MsHttpHeadStatus
ms_http_head_find(const char *data, gsize length, gsize limit, gsize *scanned, gsize *head_length);

MsHttpError
ms_http_head_parse(const char *data,
		   gsize head_length,
		   MsHttpFields *headers,
		   const char **method,
		   const char **target,
		   SoupHTTPVersion *version);

const char *
ms_http_method_intern(const char *method);

typedef enum {
	MS_HTTP_BODY_NONE,
	MS_HTTP_BODY_LENGTH,
	MS_HTTP_BODY_CHUNKED,
	MS_HTTP_BODY_UNTIL_CLOSE, /* responses only: no length, the close ends it */
} MsHttpBodyKind;

MsHttpError
ms_http_body_framing(MsHttpFields *headers,
		     SoupHTTPVersion version,
		     MsHttpBodyKind *kind,
		     guint64 *length);

/*
 * Upstream responses go through the same strict rules as requests: the same
 * line and field syntax, Content-Length as 1*DIGIT whose copies agree, and
 * chunked as the only transfer coding (decoded by the same decoder).
 */
MsHttpError
ms_http_response_head_parse(const char *data,
			    gsize head_length,
			    MsHttpFields *headers,
			    SoupHTTPVersion *version,
			    guint *status,
			    const char **reason);
MsHttpError
ms_http_response_body_framing(MsHttpFields *headers,
			      gboolean head_request,
			      guint status,
			      MsHttpBodyKind *kind,
			      guint64 *length);

gboolean
ms_http_wants_close(MsHttpFields *headers, SoupHTTPVersion version);
gboolean
ms_http_expects_continue(MsHttpFields *headers, SoupHTTPVersion version);

typedef enum {
	MS_HTTP_CHUNKED_MORE,      /* everything given was taken; the body goes on */
	MS_HTTP_CHUNKED_DONE,      /* the body ended: what follows is the next request */
	MS_HTTP_CHUNKED_INVALID,   /* bad framing: 400, then close */
	MS_HTTP_CHUNKED_TOO_LARGE, /* more data than allowed: 413, then close */
} MsHttpChunkedStatus;

typedef struct {
	/*< private >*/
	guint state;
	guint64 max_bytes;
	guint64 total;
	guint64 chunk_left;
	gsize line_bytes;
	gsize trailer_bytes;
} MsHttpChunkedDecoder;

void
ms_http_chunked_decoder_init(MsHttpChunkedDecoder *self, guint64 max_bytes);
MsHttpChunkedStatus
ms_http_chunked_decoder_feed(MsHttpChunkedDecoder *self,
			     const char *data,
			     gsize length,
			     gsize *consumed,
			     GByteArray *out);
MsHttpChunkedStatus
ms_http_chunked_decoder_next(MsHttpChunkedDecoder *self,
			     const char *data,
			     gsize length,
			     gsize *consumed,
			     const char **chunk,
			     gsize *chunk_length);
guint64
ms_http_chunked_decoder_get_total(const MsHttpChunkedDecoder *self);

G_END_DECLS
