/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/core/ms-http-error.h"

/* the numbers, not libsoup's names: core does not link libsoup */

/**
 * ms_http_error_get_status:
 *
 * Returns: the status a refusal for @error is answered with, or
 *   200 for %MS_HTTP_OK
 */
guint
ms_http_error_get_status(MsHttpError error)
{
	switch (error) {
	case MS_HTTP_OK:
		return 200;
	case MS_HTTP_ERROR_HEAD_TOO_LARGE:
		return 431; /* Request Header Fields Too Large */
	case MS_HTTP_ERROR_BODY_TOO_LARGE:
		return 413; /* Content Too Large */
	case MS_HTTP_ERROR_EXPECTATION:
		return 417; /* Expectation Failed */
	case MS_HTTP_ERROR_METHOD:
	case MS_HTTP_ERROR_TRANSFER_CODING:
		return 501; /* Not Implemented */
	case MS_HTTP_ERROR_VERSION:
		return 505; /* HTTP Version Not Supported */
	case MS_HTTP_ERROR_SYNTAX:
	case MS_HTTP_ERROR_FIELD_NAME:
	case MS_HTTP_ERROR_OBS_FOLD:
	case MS_HTTP_ERROR_HOST:
	case MS_HTTP_ERROR_TARGET:
	case MS_HTTP_ERROR_CONTENT_LENGTH:
	case MS_HTTP_ERROR_FRAMING_CONFLICT:
	case MS_HTTP_ERROR_CHUNKED:
	default:
		return 400; /* Bad Request */
	}
}
