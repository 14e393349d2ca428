/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-gateway-request.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/ms-i18n.h"
#include "gateway/ports/ms-access-log.h"
#include "gateway/service/ms-aggregate.h"
#include "gateway/service/ms-gateway-endpoints.h"
#include "gateway/service/ms-gateway-metrics.h"
#include "gateway/service/ms-gateway-worker.h"
#include "gateway/service/ms-gateway.h"
#include "gateway/service/ms-inbound-headers.h"
#include "gateway/service/ms-proxy.h"
#include "gateway/service/policy/ms-policy-chain.h"

/*
 * One request's way through the gateway, whichever front read it:
 *   begin   → strip forged identity, request id, route lookup
 *   admit   → the gateway's own endpoints, 404, or the route's policy chain
 *             (which checks the method too), all before the body is read
 *   handle  → the proxy or the aggregation
 *   finish  → one access log entry and the request's metrics
 * Every call of the exchange port (ms-gateway-exchange.h) is here. The only
 * file that decides what comes next; what it calls calls back only into the
 * request model (ms-gateway-request.c).
 */

/* --- a front's calls ------------------------------------------------------------------ */

/**
 * ms_gateway_attach_front:
 * @context: the main context the worker's requests run in
 *
 * Returns: (transfer none): the worker a front hands its requests to, with its
 *   own upstream pool; owned by the gateway
 */
MsGatewayWorker *
ms_gateway_attach_front(MsGateway *self, GMainContext *context)
{
	return ms_gateway_add_worker(self, context);
}

/*
 * a sane id the client sent is kept; none, a bad one or several lines (joined
 * with commas, which no sane id holds) get a new one. Upstream, the proxy
 * writes this id in place of whatever the client sent.
 */
static void
take_request_id(MsGatewayRequest *request)
{
	const char *sent =
		ms_http_fields_get_list_id(request->head.headers, MS_HTTP_FIELD_X_REQUEST_ID);

	G_STATIC_ASSERT(sizeof request->id >= MS_REQUEST_ID_MADE_SIZE);
	if (ms_request_id_is_sane(sent))
		g_strlcpy(request->id, sent, sizeof request->id);
	else
		ms_request_id_make(request->id);
	/* the answer's headers start empty: nothing to replace, so no search for it */
	ms_http_fields_append_id(request->head.response_headers,
				 MS_HTTP_FIELD_X_REQUEST_ID,
				 request->id);
}

/**
 * ms_gateway_request_begin:
 * @head: what the front read; its strings and headers stay valid until
 *   ms_gateway_request_finish()
 *
 * Returns: (transfer none): the request, freed by ms_gateway_request_finish()
 */
MsGatewayRequest *
ms_gateway_request_begin(MsGatewayWorker *worker,
			 const MsGatewayFrontClass *front_class,
			 gpointer front,
			 const MsGatewayRequestHead *head)
{
	MsGatewayRequest *request = ms_gateway_request_new(
		worker,
		front_class,
		front,
		head,
		ms_gateway_dup_config(ms_gateway_worker_get_gateway(worker)));

	take_request_id(request);
	/* from here on, what the upstream would get: identity only from the gateway's own auth */
	ms_inbound_headers_sanitize(head->headers);
	if (head->path != NULL)
		request->route = ms_gateway_config_lookup(request->config, head->path);
	return request;
}

/* Returns: how much body @request may have */
guint64
ms_gateway_request_get_max_body_bytes(MsGatewayRequest *request)
{
	if (request->route == NULL)
		return MS_GATEWAY_UNROUTED_MAX_BODY_BYTES;
	return request->route->max_body_bytes;
}

/**
 * ms_gateway_request_reject_body:
 *
 * The body is over the limit: answers 413. The front closes the connection
 * after it rather than read the rest.
 */
void
ms_gateway_request_reject_body(MsGatewayRequest *request)
{
	char limit[32];

	request->too_large = TRUE;
	ms_http_fields_replace_id(request->head.response_headers,
				  MS_HTTP_FIELD_CONNECTION,
				  "close");
	g_snprintf(limit,
		   sizeof limit,
		   "%" G_GUINT64_FORMAT,
		   ms_gateway_request_get_max_body_bytes(request));
	ms_gateway_request_problemf(request,
				    SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
				    "body_too_large",
				    N_("Request body too large"),
				    N_("the request body may be at most %s bytes"),
				    limit);
}

/* what a refused message is told: one detail per cause */
typedef struct {
	const char *type;
	const char *title;
	const char *detail;
} Refusal;

static Refusal
refusal_for(MsHttpError error)
{
	switch (error) {
	case MS_HTTP_ERROR_FIELD_NAME:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("a header field name is not a token, or has space before "
				     "its colon") };
	case MS_HTTP_ERROR_OBS_FOLD:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("a header field is folded onto the next line") };
	case MS_HTTP_ERROR_HOST:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("the Host header is missing, repeated or not a valid host") };
	case MS_HTTP_ERROR_TARGET:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("the request target is not one unambiguous path") };
	case MS_HTTP_ERROR_CONTENT_LENGTH:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("the Content-Length header is not one valid number") };
	case MS_HTTP_ERROR_FRAMING_CONFLICT:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("the request has both Transfer-Encoding and Content-Length, "
				     "or Transfer-Encoding in HTTP/1.0") };
	case MS_HTTP_ERROR_CHUNKED:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("the chunked request body is malformed") };
	case MS_HTTP_ERROR_HEAD_TOO_LARGE:
		return (Refusal){ "header_too_large",
				  N_("Request header too large"),
				  N_("the request line and headers are too long") };
	case MS_HTTP_ERROR_EXPECTATION:
		return (Refusal){ "expectation_failed",
				  N_("Expectation failed"),
				  N_("the gateway knows no expectation but 100-continue") };
	case MS_HTTP_ERROR_METHOD:
		return (Refusal){ "not_implemented",
				  N_("Not implemented"),
				  N_("the gateway does not know the request method") };
	case MS_HTTP_ERROR_TRANSFER_CODING:
		return (Refusal){
			"not_implemented",
			N_("Not implemented"),
			N_("the request uses a transfer coding the gateway does not know")
		};
	case MS_HTTP_ERROR_VERSION:
		return (Refusal){ "http_version",
				  N_("HTTP version not supported"),
				  N_("the gateway speaks HTTP/1.0 and HTTP/1.1") };
	case MS_HTTP_ERROR_SYNTAX:
	case MS_HTTP_ERROR_BODY_TOO_LARGE:
	case MS_HTTP_OK:
	default:
		return (Refusal){ "bad_request",
				  N_("Bad request"),
				  N_("the request line or headers are not valid HTTP") };
	}
}

/**
 * ms_gateway_request_refuse:
 * @error: why the front could not take the request
 */
void
ms_gateway_request_refuse(MsGatewayRequest *request, MsHttpError error)
{
	Refusal refusal;

	if (error == MS_HTTP_ERROR_BODY_TOO_LARGE) {
		ms_gateway_request_reject_body(request);
		return;
	}
	refusal = refusal_for(error);
	ms_http_fields_replace_id(request->head.response_headers,
				  MS_HTTP_FIELD_CONNECTION,
				  "close");
	ms_gateway_request_problem(request,
				   ms_http_error_get_status(error),
				   refusal.type,
				   refusal.title,
				   refusal.detail);
}

/**
 * ms_gateway_request_admit:
 *
 * The head is read and valid: route it, check its method and run the
 * route's policies, all before the body is read (so "100 Continue" is only
 * ever sent to a request that will be taken). Then either the request is
 * answered, or the front's read_body() is called, now or later.
 */
void
ms_gateway_request_admit(MsGatewayRequest *request)
{
	const char *path = request->head.path;

	if (request->route != NULL) {
		ms_policy_chain_admit(request);
		return;
	}
	if (ms_gateway_endpoints_serve(request, path))
		return;
	ms_gateway_request_problemf(request,
				    SOUP_STATUS_NOT_FOUND,
				    "not_found",
				    N_("Not found"),
				    N_("there is nothing at %s"),
				    path);
}

/**
 * ms_gateway_request_handle:
 * @body: (nullable): the whole request body
 *
 * The admitted request is read: on to the upstream(s), which answer.
 */
void
ms_gateway_request_handle(MsGatewayRequest *request, GBytes *body)
{
	if (body != NULL)
		request->body = g_bytes_ref(body);
	if (request->route->upstreams != NULL)
		ms_aggregate_start(request);
	else
		ms_proxy_start(request);
}

/**
 * ms_gateway_request_writable:
 *
 * The front wrote enough of what it held: the upstream may be read again.
 */
void
ms_gateway_request_writable(MsGatewayRequest *request)
{
	if (request->conn != NULL)
		ms_upstream_conn_set_reading(request->conn, TRUE);
}

/**
 * ms_gateway_request_finish:
 * @client_gone: %TRUE when the client went away before the answer was written
 *
 * The front is done with @request: log it, count it and let it go. A
 * request whose policy is still deciding (suspended) is freed when the policy
 * wakes it.
 */
void
ms_gateway_request_finish(MsGatewayRequest *request, gboolean client_gone)
{
	MsGateway *gateway = ms_gateway_worker_get_gateway(request->worker);
	/* the access log and the metrics see the same duration, read once */
	gint64 duration = g_get_monotonic_time() - request->started;

	if (client_gone) {
		request->aborted = TRUE;
		ms_proxy_abort(request);
		ms_aggregate_abort(request);
	}
	ms_gateway_log_access(request, duration);
	ms_gateway_metrics_record(ms_gateway_get_metrics(gateway), request, duration);
	g_clear_pointer(&request->aggregate, ms_aggregate_free);
	request->finished = TRUE;
	if (!request->suspended)
		ms_gateway_request_free(request);
}
