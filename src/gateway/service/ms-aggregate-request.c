/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-aggregate-request.h"

#include "gateway/core/ms-aggregate-plan.h"
#include "gateway/core/ms-route-table.h"
#include "gateway/service/ms-upstream-head.h"

/*
 * The request head each part of an aggregation is sent; its path and query
 * are decided in core (ms-aggregate-plan.c)
 */

static void
append_header(GString *out, MsHttpFields *headers, MsHttpFieldId id)
{
	const char *value = ms_http_fields_get_list_id(headers, id);

	if (value == NULL)
		return;
	g_string_append(out, ms_http_field_name(id));
	g_string_append(out, ": ");
	g_string_append(out, value);
	g_string_append(out, "\r\n");
}

/**
 * ms_aggregate_write_request:
 * @part: one part route of @request's aggregation route
 * @server: the server of @part the head goes to
 *
 * Writes the request head for @part: a GET, whatever the client's method (a
 * HEAD needs the parts' bodies for its length), with the request id, the
 * language and the identity the authentication step set, as the proxy forwards them.
 */
void
ms_aggregate_write_request(MsGatewayRequest *request,
			   const MsRoute *part,
			   const MsUpstreamServer *server,
			   GString *out)
{
	const MsRoute *route = ms_gateway_request_get_route(request);
	MsHttpFields *headers = ms_gateway_request_get_headers(request);
	g_autofree char *query =
		ms_aggregate_part_query(route, part, ms_gateway_request_get_query(request));
	g_autofree char *path =
		ms_aggregate_part_path(route, part, ms_gateway_request_get_path(request));

	ms_upstream_head_write_request_line(out, "GET", path, query, server->authority);
	g_string_append(out, "Accept: application/json\r\n");
	append_header(out, headers, MS_HTTP_FIELD_ACCEPT_LANGUAGE);
	/* set by the authentication step only: the client's own were removed at the start */
	append_header(out, headers, MS_HTTP_FIELD_X_MICROSOUP_USER);
	append_header(out, headers, MS_HTTP_FIELD_X_MICROSOUP_ROLE);
	ms_upstream_head_write_gateway_fields(request, out);
	g_string_append(out, "\r\n");
}
