/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/ports/ms-access-log.h"

#include "common/ms-log.h"
#include "common/ms-log-access.h"
#include "gateway/service/ms-gateway-request.h"

/* what the gateway tells clients and the journal about each request */

/**
 * ms_gateway_log_access:
 *
 * The one access entry per request, with the fields journalctl finds it by
 * (REQUEST_ID, ROUTE, UPSTREAM, HTTP_STATUS, DURATION_USEC...).
 */
void
ms_gateway_log_access(MsGatewayRequest *request, gint64 duration_us)
{
	const MsAccessEntry entry = {
		.request_id = request->id,
		.method = request->head.method != NULL ? request->head.method : "-",
		.path = request->head.path != NULL ? request->head.path : "-",
		.status = request->status,
		/* the monotonic clock never goes back: a negative span is never seen */
		.duration_us = (guint64)MAX(duration_us, 0),
		.note = request->aborted ? " (client went away)" : NULL,
		.route = request->route != NULL ? request->route->name : NULL,
		.upstream = request->upstream,
		.remote_addr = request->head.remote_addr,
		.user = ms_gateway_request_get_user(request),
	};

	ms_log_access(&entry);
}

/**
 * ms_gateway_log_part_failure:
 * @part: the route whose upstream failed: the request's own, or one part of
 *   an aggregation route
 *
 * A warning with MESSAGE_ID, explained in data/microsoup.catalog.
 */
void
ms_gateway_log_part_failure(MsGatewayRequest *request,
			    const MsRoute *part,
			    guint status,
			    const char *message)
{
	char status_text[16];
	const MsLogField fields[] = {
		{ "MESSAGE_ID", MS_GATEWAY_UPSTREAM_FAILED_MESSAGE_ID },
		{ "REQUEST_ID", request->id },
		{ "ROUTE", part->name },
		{ "UPSTREAM", part->upstream },
		{ "HTTP_STATUS", status_text },
		{ "ERROR", message },
	};

	g_snprintf(status_text, sizeof status_text, "%u", status);
	ms_log_fields(G_LOG_LEVEL_WARNING,
		      fields,
		      G_N_ELEMENTS(fields),
		      "upstream %s of route %s failed: %s; answered %u",
		      part->upstream,
		      part->name,
		      message,
		      status);
}

void
ms_gateway_log_upstream_failure(MsGatewayRequest *request, guint status, const char *message)
{
	ms_gateway_log_part_failure(request, request->route, status, message);
}
