#include "config.h"

#include "ms-gateway-private.h"

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-log.h"
#include "common/ms-problem.h"
#include "common/ms-request-id.h"

/* what the gateway tells clients and the journal about each request */

/**
 * ms_gateway_problem:
 * @title: English, marked N_()
 * @detail: (nullable): English, marked N_()
 *
 * A gateway-made error: problem+json in the client's language.
 */
void
ms_gateway_problem(SoupServerMessage *msg,
		   guint status,
		   const char *type,
		   const char *title,
		   const char *detail)
{
	const char *language = ms_language_for_message(msg);

	ms_problem_send(msg,
			status,
			type,
			title,
			detail != NULL ? ms_i18n_gettext(language, detail) : NULL);
}

/**
 * ms_gateway_log_access:
 * @request: (nullable): %NULL when libsoup refused the request line or headers
 *
 * The one access entry per request, with the DESIGN §3 fields.
 */
void
ms_gateway_log_access(MsGatewayRequest *request,
		      SoupServerMessage *msg,
		      gint64 duration_us,
		      gboolean aborted)
{
	guint status = soup_server_message_get_status(msg);
	GUri *uri = soup_server_message_get_uri(msg);
	const char *method = soup_server_message_get_method(msg);
	const char *path = uri != NULL ? g_uri_get_path(uri) : "-";
	char status_text[16];
	char duration[32];
	const MsLogField fields[] = {
		{ "REQUEST_ID", ms_request_id_get(msg) },
		{ "HTTP_METHOD", method },
		{ "HTTP_PATH", path },
		{ "HTTP_STATUS", status_text },
		{ "DURATION_USEC", duration },
		{ "ROUTE",
		  request != NULL && request->route != NULL ? request->route->name : NULL },
		{ "UPSTREAM", request != NULL ? request->upstream : NULL },
		{ "REMOTE_ADDR", soup_server_message_get_remote_host(msg) },
		{ "USER_NAME",
		  soup_message_headers_get_one(soup_server_message_get_request_headers(msg),
					       "X-Microsoup-User") },
	};

	g_snprintf(status_text, sizeof status_text, "%u", status);
	g_snprintf(duration, sizeof duration, "%" G_GINT64_FORMAT, duration_us);
	ms_log_fields(G_LOG_LEVEL_INFO,
		      fields,
		      G_N_ELEMENTS(fields),
		      "%s %s %s %sµs%s",
		      method != NULL ? method : "-",
		      path,
		      status_text,
		      duration,
		      aborted ? " (client went away)" : "");
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
		{ "REQUEST_ID", ms_request_id_get(request->msg) },
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
