/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include "gateway/service/ms-gateway-request.h"

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-problem.h"
#include "common/ms-response.h"

/*
 * The request model and its answers: what a front read and what the gateway
 * decided about it, read through accessors, and the answers, which leave only
 * through the front's calls. A leaf: it calls nothing else of the gateway.
 */

/**
 * ms_gateway_request_new:
 * @config: (transfer full): the configuration the request keeps to its end
 */
MsGatewayRequest *
ms_gateway_request_new(MsGatewayWorker *worker,
		       const MsGatewayFrontClass *front_class,
		       gpointer front,
		       const MsGatewayRequestHead *head,
		       MsGatewayConfig *config)
{
	MsGatewayRequest *request = g_new0(MsGatewayRequest, 1);

	request->worker = worker;
	request->front_class = front_class;
	request->front = front;
	request->head = *head;
	request->started = g_get_monotonic_time();
	request->config = config;
	return request;
}

/* an aggregation's state is the flow's to free, before this */
void
ms_gateway_request_free(MsGatewayRequest *request)
{
	g_assert(request->aggregate == NULL);
	g_clear_pointer(&request->body, g_bytes_unref);
	if (request->tap_destroy != NULL)
		request->tap_destroy(request->tap_data);
	ms_gateway_config_unref(request->config);
	g_free(request);
}

const char *
ms_gateway_request_get_method(MsGatewayRequest *request)
{
	return request->head.method;
}

const char *
ms_gateway_request_get_path(MsGatewayRequest *request)
{
	return request->head.path;
}

const char *
ms_gateway_request_get_query(MsGatewayRequest *request)
{
	return request->head.query;
}

MsHttpFields *
ms_gateway_request_get_headers(MsGatewayRequest *request)
{
	return request->head.headers;
}

MsHttpFields *
ms_gateway_request_get_response_headers(MsGatewayRequest *request)
{
	return request->head.response_headers;
}

const char *
ms_gateway_request_get_remote_addr(MsGatewayRequest *request)
{
	return request->head.remote_addr;
}

const char *
ms_gateway_request_get_id(MsGatewayRequest *request)
{
	return request->id;
}

const char *
ms_gateway_request_get_language(MsGatewayRequest *request)
{
	if (request->language == NULL) {
		const char *accept = ms_http_fields_get_list_id(request->head.headers,
								MS_HTTP_FIELD_ACCEPT_LANGUAGE);
		request->language = ms_language_negotiate(accept);
	}
	return request->language;
}

const char *
ms_gateway_request_get_user(MsGatewayRequest *request)
{
	/* only the authentication step sets it: ms_inbound_headers_sanitize() drops the client's */
	return ms_http_fields_get_one_id(request->head.headers, MS_HTTP_FIELD_X_MICROSOUP_USER);
}

guint
ms_gateway_request_get_status(MsGatewayRequest *request)
{
	return request->status;
}

const MsRoute *
ms_gateway_request_get_route(MsGatewayRequest *request)
{
	return request->route;
}

MsGatewayConfig *
ms_gateway_request_get_config(MsGatewayRequest *request)
{
	return request->config;
}

guint
ms_gateway_request_get_upstream_failure(MsGatewayRequest *request)
{
	return request->upstream_failed;
}

/* --- the answer ---------------------------------------------------------------------- */

void
ms_gateway_request_respond_head(MsGatewayRequest *request,
				guint status,
				const char *reason,
				goffset content_length)
{
	request->status = status;
	request->front_class->respond_head(request->front,
					   status,
					   reason,
					   request->head.response_headers,
					   content_length);
}

void
ms_gateway_request_respond_body(MsGatewayRequest *request, const char *data, gsize length)
{
	request->front_class->respond_body(request->front, data, length);
}

/* the last touch of @request: the front may finish it right away */
void
ms_gateway_request_respond_end(MsGatewayRequest *request)
{
	request->front_class->respond_end(request->front);
}

/* the last touch of @request, like ms_gateway_request_respond_end() */
void
ms_gateway_request_cut(MsGatewayRequest *request)
{
	request->front_class->cut(request->front);
}

/**
 * ms_gateway_request_respond:
 * @body: (nullable): the whole body
 *
 * Answers @request with the response headers set so far; it ends there.
 */
void
ms_gateway_request_respond(MsGatewayRequest *request, guint status, GBytes *body)
{
	gsize length = body != NULL ? g_bytes_get_size(body) : 0;

	ms_gateway_request_respond_head(request, status, ms_response_status_phrase(status), length);
	if (length > 0)
		ms_gateway_request_respond_body(request, g_bytes_get_data(body, NULL), length);
	ms_gateway_request_respond_end(request);
}

/**
 * ms_gateway_request_respond_json:
 * @content_type: (nullable): %NULL for plain JSON
 */
void
ms_gateway_request_respond_json(MsGatewayRequest *request,
				guint status,
				const char *content_type,
				JsonNode *body)
{
	char *text = json_to_string(body, FALSE);
	g_autoptr(GBytes) bytes = g_bytes_new_take(text, strlen(text));

	ms_http_fields_replace_id(request->head.response_headers,
				  MS_HTTP_FIELD_CONTENT_TYPE,
				  content_type != NULL ? content_type : MS_CONTENT_TYPE_JSON);
	ms_gateway_request_respond(request, status, bytes);
}

/**
 * ms_gateway_request_problem:
 * @title: English, marked N_()
 * @detail: (nullable): English, marked N_(), or already in the request's language
 *
 * A gateway-made error: problem+json in the client's language.
 */
void
ms_gateway_request_problem(MsGatewayRequest *request,
			   guint status,
			   const char *type,
			   const char *title,
			   const char *detail)
{
	const char *language = ms_gateway_request_get_language(request);
	g_autoptr(JsonNode) problem = NULL;

	problem = ms_problem_new_for_request(language,
					     status,
					     type,
					     title,
					     detail != NULL ? ms_i18n_gettext(language, detail)
							    : NULL,
					     request->head.path,
					     request->id);
	ms_gateway_request_respond_json(request, status, MS_CONTENT_TYPE_PROBLEM, problem);
}

/**
 * ms_gateway_request_problemf:
 * @detail_format: English printf format marked with N_(), translated before use
 */
void
ms_gateway_request_problemf(MsGatewayRequest *request,
			    guint status,
			    const char *type,
			    const char *title,
			    const char *detail_format,
			    ...)
{
	g_autofree char *detail = NULL;
	va_list args;

	va_start(args, detail_format);
	detail = ms_i18n_strdup_vprintf(ms_gateway_request_get_language(request),
					detail_format,
					args);
	va_end(args);
	ms_gateway_request_problem(request, status, type, title, detail);
}

/**
 * ms_gateway_request_refuse_method:
 * @allow: the methods that are allowed, for the Allow header
 */
void
ms_gateway_request_refuse_method(MsGatewayRequest *request, const char *allow)
{
	ms_http_fields_replace_id(request->head.response_headers, MS_HTTP_FIELD_ALLOW, allow);
	ms_gateway_request_problemf(request,
				    SOUP_STATUS_METHOD_NOT_ALLOWED,
				    "method_not_allowed",
				    N_("Method not allowed"),
				    N_("%s is not allowed here; use %s"),
				    request->head.method,
				    allow);
}

/* 429 with Retry-After: too many requests, or too many failed logins */
void
ms_gateway_request_retry_later(MsGatewayRequest *request,
			       const char *type,
			       const char *title,
			       guint seconds)
{
	char value[16];

	g_snprintf(value, sizeof(value), "%u", seconds);
	ms_http_fields_replace_id(request->head.response_headers, MS_HTTP_FIELD_RETRY_AFTER, value);
	ms_gateway_request_problemf(request,
				    429,
				    type,
				    title,
				    N_("Try again in %u seconds."),
				    seconds);
}

void
ms_gateway_request_read_body(MsGatewayRequest *request)
{
	request->front_class->read_body(request->front);
}

/* --- a policy that waits for a thread --------------------------------------------- */

void
ms_gateway_request_suspend(MsGatewayRequest *request)
{
	request->suspended = TRUE;
}

/**
 * ms_gateway_request_wake:
 *
 * Ends ms_gateway_request_suspend(), before the waiting policy answers or
 * goes on: an answer may end the request at once (a front that writes it
 * whole).
 *
 * Returns: %FALSE when the front finished @request meanwhile (the client went
 *   away); it is freed then
 */
gboolean
ms_gateway_request_wake(MsGatewayRequest *request)
{
	request->suspended = FALSE;
	if (!request->finished)
		return TRUE;
	ms_gateway_request_free(request);
	return FALSE;
}

/**
 * ms_gateway_request_set_tap:
 *
 * Lets a policy see the upstream's answer as the proxy relays it; @destroy
 * runs when the request ends.
 */
void
ms_gateway_request_set_tap(MsGatewayRequest *request,
			   const MsGatewayResponseTap *tap,
			   gpointer data,
			   GDestroyNotify destroy)
{
	if (request->tap_destroy != NULL)
		request->tap_destroy(request->tap_data);
	request->tap = tap;
	request->tap_data = data;
	request->tap_destroy = destroy;
}
