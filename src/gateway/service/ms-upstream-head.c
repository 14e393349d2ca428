#include "config.h"

#include "gateway/service/ms-upstream-head.h"

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
				    const MsRoute *route)
{
	g_string_append(out, method);
	g_string_append_c(out, ' ');
	g_string_append(out, path);
	if (query != NULL) {
		g_string_append_c(out, '?');
		g_string_append(out, query);
	}
	g_string_append(out, " HTTP/1.1\r\nHost: ");
	g_string_append(out, route->upstream_authority);
	g_string_append(out, "\r\n");
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
	SoupMessageHeaders *headers = request->head.headers;
	const char *forwarded = soup_message_headers_get_list(headers, "X-Forwarded-For");
	const char *remote = request->head.remote_addr;

	g_string_append(out, MS_REQUEST_ID_HEADER ": ");
	g_string_append(out, request->id);
	g_string_append(out, "\r\nX-Forwarded-For: ");
	if (forwarded != NULL) {
		g_string_append(out, forwarded);
		g_string_append(out, ", ");
	}
	g_string_append(out, remote != NULL ? remote : "unknown");
	g_string_append(out, "\r\nX-Forwarded-Proto: http\r\n");
}
