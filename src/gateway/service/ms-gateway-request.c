#include "config.h"

#include <string.h>

#include "gateway/service/ms-gateway-private.h"

#include "gateway/service/ms-aggregate.h"
#include "gateway/service/ms-inbound-headers.h"

#include "common/ms-i18n.h"
#include "common/ms-language.h"
#include "common/ms-problem.h"
#include "common/ms-response.h"

/*
 * One request's way through the core, whichever front read it:
 *   begin   → strip forged identity, request id, route lookup
 *   handle  → health, endpoints, 404, 405, filters, then the proxy or the
 *             aggregation
 *   finish  → one access log entry and the finish funcs (metrics)
 * Every answer leaves through the front's four calls (ms-gateway-exchange.h).
 */

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

SoupMessageHeaders *
ms_gateway_request_get_headers(MsGatewayRequest *request)
{
	return request->head.headers;
}

SoupMessageHeaders *
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
		const char *accept =
			soup_message_headers_get_list(request->head.headers, "Accept-Language");
		request->language = ms_language_negotiate(accept);
	}
	return request->language;
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

	soup_message_headers_replace(request->head.response_headers,
				     "Content-Type",
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

/* --- a front's calls ------------------------------------------------------------------ */

/*
 * a sane id the client sent is kept; none, a bad one or several lines (joined
 * with commas, which no sane id holds) get a new one. Upstream, the proxy
 * writes this id in place of whatever the client sent.
 */
static void
take_request_id(MsGatewayRequest *request)
{
	const char *sent =
		soup_message_headers_get_list(request->head.headers, MS_REQUEST_ID_HEADER);

	if (ms_request_id_is_sane(sent)) {
		g_strlcpy(request->id, sent, sizeof request->id);
	} else {
		g_autofree char *made = ms_request_id_new();
		g_strlcpy(request->id, made, sizeof request->id);
	}
	soup_message_headers_replace(request->head.response_headers,
				     MS_REQUEST_ID_HEADER,
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
	MsGatewayRequest *request = g_new0(MsGatewayRequest, 1);

	request->worker = worker;
	request->front_class = front_class;
	request->front = front;
	request->head = *head;
	request->started = g_get_monotonic_time();
	request->config = ms_gateway_dup_config(worker->gateway);

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
	soup_message_headers_replace(request->head.response_headers, "Connection", "close");
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
	soup_message_headers_replace(request->head.response_headers, "Connection", "close");
	ms_gateway_request_problem(request,
				   ms_http_error_get_status(error),
				   refusal.type,
				   refusal.title,
				   refusal.detail);
}

/* a CORS preflight is OPTIONS on any route with cors_origins: the security filter answers it */
static gboolean
is_cors_preflight(MsGatewayRequest *request)
{
	const MsRoute *route = request->route;

	return route->cors_origins != NULL && route->cors_origins[0] != NULL &&
	       request->head.method == SOUP_METHOD_OPTIONS &&
	       soup_message_headers_get_one(request->head.headers,
					    "Access-Control-Request-Method") != NULL;
}

/* the policies passed: the front reads the body, then ms_gateway_request_handle() */
static void
admitted(MsGatewayRequest *request)
{
	request->front_class->read_body(request->front);
}

static void
admit_routed(MsGatewayRequest *request)
{
	const MsRoute *route = request->route;

	if (!ms_route_allows_method(route, request->head.method) && !is_cors_preflight(request)) {
		soup_message_headers_replace(request->head.response_headers, "Allow", route->allow);
		ms_gateway_request_problemf(request,
					    SOUP_STATUS_METHOD_NOT_ALLOWED,
					    "method_not_allowed",
					    N_("Method not allowed"),
					    N_("%s is not allowed here; use %s"),
					    request->head.method,
					    route->allow);
		return;
	}
	if (ms_gateway_run_filters(request->worker->gateway, request))
		admitted(request);
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
	MsGateway *gateway = request->worker->gateway;
	const char *path = request->head.path;

	if (request->route != NULL) {
		admit_routed(request);
		return;
	}
	if (g_strcmp0(path, "/healthz") == 0 || g_strcmp0(path, "/readyz") == 0) {
		ms_health_handle(request, gateway, path);
		return;
	}
	if (ms_gateway_serve_endpoint(gateway, request, path))
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

static void
request_free(MsGatewayRequest *request)
{
	g_clear_pointer(&request->body, g_bytes_unref);
	g_clear_pointer(&request->aggregate, ms_aggregate_free);
	if (request->tap_destroy != NULL)
		request->tap_destroy(request->tap_data);
	ms_gateway_config_unref(request->config);
	g_free(request);
}

/**
 * ms_gateway_request_finish:
 * @client_gone: %TRUE when the client went away before the answer was written
 *
 * The front is done with @request: log it and let it go. A request whose
 * filter is still deciding (suspended) is freed when the filter resumes it.
 */
void
ms_gateway_request_finish(MsGatewayRequest *request, gboolean client_gone)
{
	MsGatewayWorker *worker = request->worker;
	/* the access log and the finish funcs see the same duration, read once */
	gint64 duration = g_get_monotonic_time() - request->started;

	if (client_gone) {
		request->aborted = TRUE;
		ms_proxy_abort(request);
		ms_aggregate_abort(request);
	}
	ms_gateway_log_access(request, duration);
	ms_gateway_run_finish_funcs(worker->gateway, request, duration);
	request->finished = TRUE;
	if (!request->suspended)
		request_free(request);
}

/* --- filters' hooks ------------------------------------------------------------------- */

/**
 * ms_gateway_request_suspend:
 *
 * Keeps @request waiting after its filter returns %FALSE.
 */
void
ms_gateway_request_suspend(MsGatewayRequest *request)
{
	request->suspended = TRUE;
}

/**
 * ms_gateway_request_resume:
 * @proceed: %TRUE to run the next filters and the proxy, %FALSE when the
 *   suspending filter has answered
 */
void
ms_gateway_request_resume(MsGatewayRequest *request, gboolean proceed)
{
	request->suspended = FALSE;
	if (request->finished) {
		/* answered, or the client went away, meanwhile: finish() left it to us */
		request_free(request);
		return;
	}
	if (proceed && ms_gateway_run_filters(request->worker->gateway, request))
		admitted(request);
}

/**
 * ms_gateway_request_set_tap:
 *
 * Lets a filter see the upstream's answer as the proxy relays it; @destroy
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
