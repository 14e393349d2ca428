/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-upstream-head.h"

#include "common/ms-log.h"
#include "common/ms-request-id.h"

/*
 * What every request the gateway sends upstream starts with, the proxied
 * one and each part of an aggregation alike: the request line, Host, and
 * what the gateway itself says of the client's request.
 */

/**
 * ms_upstream_head_write_request_line:
 * @path: the upstream path, without query
 * @query: (nullable): the query, without '?'
 * @route: the route whose upstream is asked
 *
 * Starts an upstream request head: the request line and Host.
 */
void
ms_upstream_head_write_request_line(GString *out,
				    const char *method,
				    const char *path,
				    const char *query,
				    const char *authority)
{
	ms_head_put(out, method);
	ms_head_put(out, " ");
	ms_head_put(out, path);
	if (query != NULL) {
		ms_head_put(out, "?");
		ms_head_put(out, query);
	}
	ms_head_put(out, " HTTP/1.1\r\nHost: ");
	ms_head_put(out, authority);
	ms_head_put(out, "\r\n");
}

/**
 * ms_upstream_head_write_gateway_fields:
 *
 * Appends what the gateway itself says of @request to an upstream request:
 * its X-Request-ID (in place of any the client sent), X-Forwarded-For (the
 * client's chain, then its address) and X-Forwarded-Proto.
 */
void
ms_upstream_head_write_gateway_fields(MsGatewayRequest *request, GString *out)
{
	MsHttpFields *headers = request->head.headers;
	const char *forwarded = ms_http_fields_get_list_id(headers, MS_HTTP_FIELD_X_FORWARDED_FOR);
	const char *remote = request->head.remote_addr;

	ms_head_put(out, MS_REQUEST_ID_HEADER ": ");
	ms_head_put(out, request->id);
	ms_head_put(out, "\r\nX-Forwarded-For: ");
	if (forwarded != NULL) {
		ms_head_put(out, forwarded);
		ms_head_put(out, ", ");
	}
	ms_head_put(out, remote != NULL ? remote : "unknown");
	ms_head_put(out, "\r\nX-Forwarded-Proto: http\r\n");
}

/**
 * ms_upstream_head_write_content_length:
 * @length: the body's size
 *
 * Appends the Content-Length field of a request body.
 */
void
ms_upstream_head_write_content_length(GString *out, guint64 length)
{
	char buffer[MS_LOG_UINT_SIZE];

	ms_head_put(out, "Content-Length: ");
	ms_head_put(out, ms_log_format_uint(length, buffer));
	ms_head_put(out, "\r\n");
}
