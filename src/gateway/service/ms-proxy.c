/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-proxy.h"

#include "common/ms-http-header.h"
#include "common/ms-i18n.h"
#include "common/ms-request-id.h"
#include "gateway/core/ms-route-table.h"
#include "gateway/ports/ms-access-log.h"
#include "gateway/service/ms-gateway-worker.h"
#include "gateway/service/ms-upstream-head.h"

/*
 * The proxy half of a request: write the upstream request head from the
 * client's (end-to-end headers only), then relay the upstream's response to
 * the request's front, streaming the body as it arrives.
 */

/*
 * RFC 9110 §7.6.1 hop-by-hop fields, plus those the gateway sets itself. This
 * runs for every header of every request and response: a switch on the first
 * letter leaves one or two comparisons per header instead of a dozen.
 */

/*
 * what the client sent that the gateway writes itself; the rest that must not
 * go upstream was removed when the request began (ms-inbound-headers.c)
 */
static gboolean
is_request_skipped(MsHttpFieldId id)
{
	/* credentials stay at the gateway */
	return id == MS_HTTP_FIELD_HOST || id == MS_HTTP_FIELD_AUTHORIZATION ||
	       id == MS_HTTP_FIELD_EXPECT || id == MS_HTTP_FIELD_X_FORWARDED_FOR;
}

static gboolean
is_idempotent(const char *method)
{
	return method == SOUP_METHOD_GET || method == SOUP_METHOD_HEAD ||
	       method == SOUP_METHOD_PUT || method == SOUP_METHOD_DELETE ||
	       method == SOUP_METHOD_OPTIONS;
}

static void
write_request_head(MsGatewayRequest *request, GString *out)
{
	MsHttpFieldsIter iter;
	const MsHttpField *field;

	ms_upstream_head_write_request_line(out,
					    request->head.method,
					    ms_route_table_upstream_path(request->head.path),
					    request->head.query,
					    request->route->servers[request->server].authority);
	/* the fields as parsed, cut by the policies: written as they are, slice by slice */
	ms_http_fields_iter_init(&iter, request->head.headers);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		if (!is_request_skipped(field->id))
			ms_http_field_write(field, out);
	}
	ms_upstream_head_write_gateway_fields(request, out);
	if (request->body != NULL)
		ms_upstream_head_write_content_length(out, g_bytes_get_size(request->body));
	ms_head_put(out, "\r\n");
}

static MsUpstreamPool *
pool_of(MsGatewayRequest *request)
{
	return ms_gateway_worker_get_pool(request->worker);
}

/* once per server chosen: the balancing and the server's health learn the outcome */
static void
proxy_settle(MsGatewayRequest *request, MsUpstreamOutcome outcome)
{
	ms_upstream_pool_settle(pool_of(request), request->route, request->server, outcome);
}

static void
on_head(gpointer user_data,
	guint status,
	const char *reason,
	MsHttpFields *upstream_headers,
	goffset content_length)
{
	MsGatewayRequest *request = user_data;
	MsHttpFields *headers = request->head.response_headers;
	g_autoptr(GHashTable) listed = ms_http_connection_options_new(
		ms_http_fields_get_list_id(upstream_headers, MS_HTTP_FIELD_CONNECTION));
	MsHttpFieldsIter iter;
	const MsHttpField *field;

	request->responded = TRUE;
	ms_gateway_worker_upstream_answered(request->worker, request->upstream);
	proxy_settle(request, MS_UPSTREAM_OUTCOME_ANSWERED);
	if (request->tap != NULL &&
	    !request->tap->head(request->tap_data, status, upstream_headers))
		request->tap = NULL;
	ms_http_fields_iter_init(&iter, upstream_headers);
	while ((field = ms_http_fields_iter_next(&iter)) != NULL) {
		/* the upstream's Date, Server and X-Request-ID are already out (MsUpstreamHandler)
		 */
		if (ms_http_field_is_hop_by_hop(field->id) ||
		    (listed != NULL && g_hash_table_contains(listed, field->name)))
			continue;
		ms_http_fields_append_field(headers, field);
	}
	ms_gateway_request_respond_head(request, status, reason, content_length);
}

static void
on_body(gpointer user_data, const char *data, gsize length)
{
	MsGatewayRequest *request = user_data;

	if (request->tap != NULL)
		request->tap->body(request->tap_data, data, length);
	ms_gateway_request_respond_body(request, data, length);
	/* the client is slower than the upstream: wait for it (flow control) */
	if (request->conn != NULL &&
	    request->front_class->get_unwritten(request->front) > MS_GATEWAY_MAX_UNWRITTEN)
		ms_upstream_conn_set_reading(request->conn, FALSE);
}

static void
on_done(gpointer user_data)
{
	MsGatewayRequest *request = user_data;

	if (request->tap != NULL)
		request->tap->done(request->tap_data);
	request->conn = NULL;
	ms_gateway_request_respond_end(request);
}

static gboolean
proxy_send(MsGatewayRequest *request, gint exclude, gboolean fresh);

/* Returns: %TRUE when the request went again, to the same server or another */
static gboolean
proxy_retry(MsGatewayRequest *request, MsUpstreamFailure failure, gboolean stale)
{
	MsUpstreamAttempt attempt = {
		.n_servers = request->route->n_servers,
		.responded = request->responded,
		.nothing_sent = failure == MS_UPSTREAM_FAILURE_CONNECT,
		.stale = stale,
		.idempotent = is_idempotent(request->head.method),
		.retried = request->retried,
	};

	switch (ms_upstream_retry_decide(&attempt)) {
	case MS_UPSTREAM_RETRY_SAME:
		/* a pooled connection the service closed while restarting */
		request->retried = TRUE;
		proxy_send(request, -1, TRUE);
		return TRUE;
	case MS_UPSTREAM_RETRY_OTHER:
		request->retried = TRUE;
		proxy_send(request, request->server, FALSE);
		return TRUE;
	case MS_UPSTREAM_RETRY_NONE:
	default:
		return FALSE;
	}
}

static void
on_failed(gpointer user_data, MsUpstreamFailure failure, gboolean retryable, const char *message)
{
	MsGatewayRequest *request = user_data;
	guint status = failure == MS_UPSTREAM_FAILURE_TIMEOUT ? SOUP_STATUS_GATEWAY_TIMEOUT
							      : SOUP_STATUS_BAD_GATEWAY;

	request->conn = NULL;
	if (!request->responded)
		proxy_settle(request, ms_upstream_failure_outcome(failure));
	/* a stale pooled connection says nothing of the server: only a real failure is shown */
	if (!retryable)
		ms_gateway_worker_upstream_failed(request->worker, request->upstream, message);
	/* on failure proxy_send answers itself */
	if (proxy_retry(request, failure, retryable))
		return;
	if (retryable)
		ms_gateway_worker_upstream_failed(request->worker, request->upstream, message);
	ms_gateway_log_upstream_failure(request, status, message);
	request->upstream_failed = failure + 1;
	if (request->responded) {
		/* the status is already on the wire: only a broken connection tells the client */
		ms_gateway_request_cut(request);
	} else if (status == SOUP_STATUS_GATEWAY_TIMEOUT) {
		ms_gateway_request_problem(request,
					   status,
					   "upstream_timeout",
					   N_("The service did not answer in time"),
					   NULL);
	} else {
		ms_gateway_request_problem(request,
					   status,
					   "upstream_unavailable",
					   N_("The service is unavailable"),
					   NULL);
	}
}

static const MsUpstreamHandler proxy_handler = {
	.head = on_head,
	.body = on_body,
	.done = on_done,
	.failed = on_failed,
};

static gboolean
proxy_connect(MsGatewayRequest *request, gboolean fresh);

/*
 * The wait ended: connect (or fail with its error), or, when it took longer than
 * the route's timeout, fail as an upstream that never answers
 */
static void
on_ready(gpointer user_data, gboolean timed_out)
{
	MsGatewayRequest *request = user_data;
	g_autofree char *message = NULL;

	request->wait = NULL;
	if (!timed_out) {
		proxy_connect(request, FALSE);
		return;
	}
	message = g_strconcat(
		"timed out ",
		ms_upstream_pool_describe_wait(pool_of(request), request->route, request->server),
		NULL);
	request->wait_deadline = 0;
	on_failed(request, MS_UPSTREAM_FAILURE_TIMEOUT, FALSE, message);
}

/* returns FALSE when the request was answered right away */
static gboolean
proxy_connect(MsGatewayRequest *request, gboolean fresh)
{
	g_autoptr(GError) error = NULL;
	MsUpstreamConn *conn;

	conn = ms_upstream_pool_acquire(pool_of(request),
					request->route,
					request->server,
					fresh,
					&error);
	if (conn == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
		/*
		 * a name's first lookup, a full backlog, or every one of the route's
		 * max_upstream_connections busy (the common case under a thousand
		 * clients). One deadline for the whole wait, however often it is woken
		 * to try again.
		 */
		if (request->wait_deadline == 0)
			request->wait_deadline =
				g_get_monotonic_time() + (gint64)request->route->timeout_ms * 1000;
		request->wait = ms_upstream_pool_wait(pool_of(request),
						      request->route,
						      request->server,
						      request->wait_deadline,
						      on_ready,
						      request);
		return TRUE;
	}
	request->wait_deadline = 0;
	if (conn == NULL) {
		/* refused at once (a Unix socket that is not there): as a failed connect */
		on_failed(request, MS_UPSTREAM_FAILURE_CONNECT, FALSE, error->message);
		return FALSE;
	}
	request->conn = conn;
	write_request_head(request, ms_upstream_conn_get_request_buffer(conn));
	ms_upstream_conn_start(conn,
			       request->body,
			       request->head.method == SOUP_METHOD_HEAD,
			       request->route->timeout_ms,
			       -1,
			       &proxy_handler,
			       request);
	return TRUE;
}

/* @exclude: the server that just failed, or -1 */
static gboolean
proxy_send(MsGatewayRequest *request, gint exclude, gboolean fresh)
{
	request->server = ms_upstream_pool_choose(pool_of(request), request->route, exclude);
	if (request->server < 0)
		request->server = 0;
	request->upstream = request->route->servers[request->server].text;
	return proxy_connect(request, fresh);
}

/**
 * ms_proxy_start:
 *
 * Sends @request to its route's upstream; the answer, or a 502/504 problem,
 * goes to the request's front.
 */
void
ms_proxy_start(MsGatewayRequest *request)
{
	proxy_send(request, -1, FALSE);
}

/**
 * ms_proxy_abort:
 *
 * The client went away: drop the upstream exchange too.
 */
void
ms_proxy_abort(MsGatewayRequest *request)
{
	if (request->wait != NULL) {
		ms_upstream_pool_cancel_wait(pool_of(request), g_steal_pointer(&request->wait));
	} else if (request->conn != NULL) {
		ms_upstream_conn_abandon(request->conn);
		request->conn = NULL;
	} else {
		return;
	}
	if (!request->responded)
		proxy_settle(request, MS_UPSTREAM_OUTCOME_ABANDONED);
}
