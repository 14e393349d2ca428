/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * Why a message was refused: each has its own status and its own detail for
 * the client, so an error names its real cause.
 */
typedef enum {
	MS_HTTP_OK = 0,
	MS_HTTP_ERROR_SYNTAX,     /* 400: the request or status line, or a line, is not HTTP */
	MS_HTTP_ERROR_FIELD_NAME, /* 400: a field name that is not a token, or space before ':' */
	MS_HTTP_ERROR_OBS_FOLD,   /* 400: a field line continued on the next (obs-fold) */
	MS_HTTP_ERROR_HOST,       /* 400: Host missing, repeated or not a valid authority */
	MS_HTTP_ERROR_TARGET,     /* 400: a target that cannot be one canonical path */
	MS_HTTP_ERROR_CONTENT_LENGTH,   /* 400: not 1*DIGIT, too large, or copies that differ */
	MS_HTTP_ERROR_FRAMING_CONFLICT, /* 400: Transfer-Encoding with Content-Length, or in 1.0 */
	MS_HTTP_ERROR_CHUNKED,          /* 400: a chunked body that breaks RFC 9112 §7.1 */
	MS_HTTP_ERROR_HEAD_TOO_LARGE,   /* 431 */
	MS_HTTP_ERROR_BODY_TOO_LARGE,   /* 413 */
	MS_HTTP_ERROR_EXPECTATION,      /* 417: an Expect other than 100-continue */
	MS_HTTP_ERROR_METHOD,           /* 501: a method the gateway does not know */
	MS_HTTP_ERROR_TRANSFER_CODING,  /* 501: a transfer coding other than chunked */
	MS_HTTP_ERROR_VERSION,          /* 505: not HTTP/1.0 or HTTP/1.1 */
} MsHttpError;

guint
ms_http_error_get_status(MsHttpError error);

G_END_DECLS
