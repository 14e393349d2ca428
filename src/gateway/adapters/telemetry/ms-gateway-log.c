/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/ports/ms-access-log.h"

#include "common/ms-log.h"
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
	const char *method = request->head.method != NULL ? request->head.method : "-";
	const char *path = request->head.path != NULL ? request->head.path : "-";
	char status_buffer[MS_LOG_UINT_SIZE];
	char duration_buffer[MS_LOG_UINT_SIZE];
	/* the monotonic clock never goes back: a negative span is never seen */
	const char *status_text = ms_log_format_uint(request->status, status_buffer);
	const char *duration = ms_log_format_uint((guint64)MAX(duration_us, 0), duration_buffer);
	const MsLogField fields[] = {
		{ "REQUEST_ID", request->id },
		{ "HTTP_METHOD", method },
		{ "HTTP_PATH", path },
		{ "HTTP_STATUS", status_text },
		{ "DURATION_USEC", duration },
		{ "ROUTE", request->route != NULL ? request->route->name : NULL },
		{ "UPSTREAM", request->upstream },
		{ "REMOTE_ADDR", request->head.remote_addr },
		{ "USER_NAME", ms_gateway_request_get_user(request) },
	};
	char message_buffer[256];
	g_autofree char *message_heap = NULL;
	/*
	 * every piece is text already: concatenated, and handed over as "%s", which
	 * ms_log_fields() takes as it is; a printf() of the message and of each
	 * number cost more than the rest of the line together
	 */
	const char *message =
		ms_log_access_message(message_buffer,
				      sizeof message_buffer,
				      &message_heap,
				      method,
				      path,
				      status_text,
				      duration,
				      request->aborted ? " (client went away)" : NULL);

	ms_log_fields(G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS(fields), "%s", message);
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
