/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gateway/service/ms-aggregate.h"

#include "common/ms-i18n.h"
#include "common/ms-problem.h"
#include "common/ms-response.h"
#include "gateway/core/ms-json-check.h"
#include "gateway/ports/ms-access-log.h"
#include "gateway/service/ms-aggregate-request.h"
#include "gateway/service/ms-gateway-worker.h"

/*
 * An aggregation route's request: every part is sent at once, each on its own
 * pooled upstream connection and with its own deadline (the route's timeout, for
 * the whole part: a wait for a connection and the exchange), so the answer takes as
 * long as the slowest part. A part's body is collected whole (bounded), checked
 * to be JSON (ms-json-check.c) and embedded as the bytes it came in: no tree is
 * built of it, and nothing of it is spelt again. A part that fails becomes a
 * problem object instead.
 */

typedef enum {
	PART_PENDING,
	PART_OK,     /* json holds the part's body */
	PART_FAILED, /* json holds a problem object */
} PartState;

typedef struct {
	MsAggregate *aggregate;
	const MsRoute *route;
	gint server; /* in route->servers */
	MsUpstreamConn *conn;
	MsUpstreamWait *wait; /* for a name's first lookup, room in a full backlog or a
				 free connection */
	gint64 until; /* the whole part's bound, its wait's and its exchange's: monotonic µs */
	PartState state;
	gboolean retried;
	guint status;
	gboolean problem_json; /* the upstream answered application/problem+json */
	gboolean overflow;
	GString *body;
	GString *json; /* once settled: a JSON text */
} Part;

struct _MsAggregate {
	MsGatewayRequest *request;
	const char *language;
	guint pending;
	gboolean answered;
	guint n_parts;
	Part parts[];
};

/* what a failed part says; the details take the part's route name */
typedef struct {
	guint status;
	const char *type;
	const char *title;  /* msgid */
	const char *detail; /* msgid with one %s */
} PartProblem;

static const PartProblem problem_unavailable = {
	SOUP_STATUS_BAD_GATEWAY,
	"unavailable",
	N_("Part unavailable"),
	N_("the %s service could not be reached"),
};
static const PartProblem problem_timed_out = {
	SOUP_STATUS_GATEWAY_TIMEOUT,
	"timed_out",
	N_("Part timed out"),
	N_("the %s service did not answer in time"),
};
static const PartProblem problem_bad_response = {
	SOUP_STATUS_BAD_GATEWAY,
	"bad_response",
	N_("Bad answer from a part"),
	N_("the %s service answered something unusable"),
};
static const PartProblem problem_error_status = {
	SOUP_STATUS_BAD_GATEWAY,
	"part_error",
	N_("A part answered with an error"),
	N_("the %s service answered with an error status"),
};
static const PartProblem problem_too_large = {
	SOUP_STATUS_BAD_GATEWAY,
	"part_too_large",
	N_("Part too large"),
	N_("the %s service answered more than 256 KiB"),
};

static gboolean
part_send(Part *part, gint exclude, gboolean fresh);

static MsUpstreamPool *
part_pool(Part *part)
{
	return ms_gateway_worker_get_pool(part->aggregate->request->worker);
}

/* once per server chosen: the balancing and the server's health learn the outcome */
static void
part_report(Part *part, MsUpstreamOutcome outcome)
{
	ms_upstream_pool_settle(part_pool(part), part->route, part->server, outcome);
}

/* the part's exchange is dropped: its connection, or its wait for a name */
static void
part_drop(Part *part)
{
	if (part->wait != NULL) {
		ms_upstream_pool_cancel_wait(part_pool(part), g_steal_pointer(&part->wait));
	} else if (part->conn != NULL) {
		ms_upstream_conn_abandon(g_steal_pointer(&part->conn));
	} else {
		return;
	}
	/* a part with a status got its head, and was reported then */
	if (part->status == 0)
		part_report(part, MS_UPSTREAM_OUTCOME_ABANDONED);
}

static GString *
part_problem_new(Part *part, const PartProblem *problem)
{
	g_autoptr(JsonNode) node = ms_problem_new_translated(part->aggregate->language,
							     problem->status,
							     problem->type,
							     problem->title,
							     problem->detail,
							     part->route->name);
	g_autofree char *text = json_to_string(node, FALSE);

	return g_string_new(text);
}

static void
aggregate_answer(MsAggregate *self);

static void
part_settle(Part *part, PartState state, GString *json)
{
	MsAggregate *self = part->aggregate;

	part->conn = NULL;
	if (part->body != NULL)
		g_string_free(g_steal_pointer(&part->body), TRUE);
	part->state = state;
	part->json = json;
	if (--self->pending == 0)
		aggregate_answer(self);
}

static void
part_fail(Part *part, const PartProblem *problem, MsUpstreamFailure failure, const char *message)
{
	MsGatewayRequest *request = part->aggregate->request;

	ms_gateway_log_part_failure(request, part->route, problem->status, message);
	if (request->upstream_failed == 0)
		request->upstream_failed = failure + 1;
	part_settle(part, PART_FAILED, part_problem_new(part, problem));
}

/* the media type, its parameters and the spaces around it aside, is problem+json */
static gboolean
is_problem_json(MsHttpFields *headers)
{
	static const char problem[] = "application/problem+json";
	const char *type = ms_http_fields_get_one_id(headers, MS_HTTP_FIELD_CONTENT_TYPE);

	if (type == NULL)
		return FALSE;
	type += strspn(type, " \t");
	if (g_ascii_strncasecmp(type, problem, sizeof problem - 1) != 0)
		return FALSE;
	type += sizeof problem - 1;
	type += strspn(type, " \t");
	return *type == '\0' || *type == ';';
}

static void
on_head(gpointer user_data,
	guint status,
	const char *reason,
	MsHttpFields *headers,
	goffset content_length)
{
	Part *part = user_data;

	/* the part's upstream answered, whatever the aggregation makes of its answer */
	ms_gateway_worker_upstream_answered(part->aggregate->request->worker,
					    part->route->servers[part->server].text);
	part_report(part, MS_UPSTREAM_OUTCOME_ANSWERED);
	part->status = status;
	part->problem_json = is_problem_json(headers);
	if (content_length > MS_AGGREGATE_MAX_PART_BYTES) {
		/* the connection may be dropped here, in head, and nowhere later */
		ms_upstream_conn_abandon(part->conn);
		part_fail(part,
			  &problem_too_large,
			  MS_UPSTREAM_FAILURE_PROTOCOL,
			  "the answer is too large to aggregate");
		return;
	}
	part->body = g_string_sized_new(content_length > 0 ? (gsize)content_length : 256);
}

static void
on_body(gpointer user_data, const char *data, gsize length)
{
	Part *part = user_data;

	/* a chunked answer over the bound: read on, keep nothing, fail when done */
	if (part->overflow || part->body->len + length > MS_AGGREGATE_MAX_PART_BYTES) {
		part->overflow = TRUE;
		return;
	}
	g_string_append_len(part->body, data, length);
}

static void
on_done(gpointer user_data)
{
	Part *part = user_data;
	MsJsonKind kind;

	if (part->overflow) {
		part_fail(part,
			  &problem_too_large,
			  MS_UPSTREAM_FAILURE_PROTOCOL,
			  "the answer is too large to aggregate");
		return;
	}
	kind = ms_json_check(part->body->str, part->body->len);
	if (SOUP_STATUS_IS_SUCCESSFUL(part->status)) {
		if (kind == MS_JSON_KIND_INVALID) {
			part_fail(part,
				  &problem_bad_response,
				  MS_UPSTREAM_FAILURE_PROTOCOL,
				  "the answer is not JSON");
			return;
		}
		part_settle(part, PART_OK, g_steal_pointer(&part->body));
		return;
	}
	/* the service's own problem says most: pass it through */
	if (part->problem_json && kind == MS_JSON_KIND_OBJECT) {
		part_settle(part, PART_FAILED, g_steal_pointer(&part->body));
		return;
	}
	part_settle(part, PART_FAILED, part_problem_new(part, &problem_error_status));
}

static void
on_failed(gpointer user_data, MsUpstreamFailure failure, gboolean retryable, const char *message)
{
	Part *part = user_data;
	MsGatewayWorker *worker = part->aggregate->request->worker;
	MsUpstreamAttempt attempt = {
		.n_servers = part->route->n_servers,
		.responded = part->status != 0,
		.nothing_sent = failure == MS_UPSTREAM_FAILURE_CONNECT,
		.stale = retryable,
		.idempotent = TRUE, /* a part is a GET */
		/* a part out of time tries no other server */
		.retried = part->retried || failure == MS_UPSTREAM_FAILURE_TIMEOUT,
	};

	part->conn = NULL;
	if (part->status == 0)
		part_report(part, ms_upstream_failure_outcome(failure));
	/* a stale pooled connection says nothing of the server: only a real failure is shown */
	if (!retryable)
		ms_gateway_worker_upstream_failed(worker,
						  part->route->servers[part->server].text,
						  message);
	switch (ms_upstream_retry_decide(&attempt)) {
	case MS_UPSTREAM_RETRY_SAME:
		part->retried = TRUE;
		part_send(part, -1, TRUE);
		return;
	case MS_UPSTREAM_RETRY_OTHER:
		part->retried = TRUE;
		part_send(part, part->server, FALSE);
		return;
	case MS_UPSTREAM_RETRY_NONE:
	default:
		break;
	}
	if (retryable)
		ms_gateway_worker_upstream_failed(worker,
						  part->route->servers[part->server].text,
						  message);
	part_fail(part,
		  failure == MS_UPSTREAM_FAILURE_TIMEOUT   ? &problem_timed_out
		  : failure == MS_UPSTREAM_FAILURE_CONNECT ? &problem_unavailable
							   : &problem_bad_response,
		  failure,
		  message);
}

static const MsUpstreamHandler part_handler = {
	.head = on_head,
	.body = on_body,
	.done = on_done,
	.failed = on_failed,
};

static gboolean
part_connect(Part *part, gboolean fresh);

/* the wait (a name's first lookup, a full backlog, a busy server) ended: connect, or fail */
static void
on_part_ready(gpointer user_data, gboolean timed_out)
{
	Part *part = user_data;

	part->wait = NULL;
	if (!timed_out) {
		part_connect(part, FALSE);
		return;
	}
	/* its server was never asked: no outcome to learn from but that */
	part_report(part, MS_UPSTREAM_OUTCOME_ABANDONED);
	ms_gateway_worker_upstream_failed(part->aggregate->request->worker,
					  part->route->servers[part->server].text,
					  "timed out");
	part_fail(part, &problem_timed_out, MS_UPSTREAM_FAILURE_TIMEOUT, "timed out");
}

/* returns FALSE when the part failed right away */
static gboolean
part_connect(Part *part, gboolean fresh)
{
	g_autoptr(GError) error = NULL;
	MsUpstreamConn *conn;

	conn = ms_upstream_pool_acquire(part_pool(part), part->route, part->server, fresh, &error);
	if (conn == NULL && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_PENDING)) {
		part->wait = ms_upstream_pool_wait(part_pool(part),
						   part->route,
						   part->server,
						   part->until,
						   on_part_ready,
						   part);
		return TRUE;
	}
	if (conn == NULL) {
		/* refused at once (a Unix socket that is not there): as a failed connect */
		on_failed(part, MS_UPSTREAM_FAILURE_CONNECT, FALSE, error->message);
		return FALSE;
	}
	part->conn = conn;
	part->overflow = FALSE;
	ms_aggregate_write_request(part->aggregate->request,
				   part->route,
				   &part->route->servers[part->server],
				   ms_upstream_conn_get_request_buffer(conn));
	ms_upstream_conn_start(conn,
			       NULL,
			       FALSE,
			       part->route->timeout_ms,
			       part->until,
			       &part_handler,
			       part);
	return TRUE;
}

/* @exclude: the server that just failed, or -1 */
static gboolean
part_send(Part *part, gint exclude, gboolean fresh)
{
	part->server = MAX(ms_upstream_pool_choose(part_pool(part), part->route, exclude), 0);
	return part_connect(part, fresh);
}

/*
 * "parts":{"hello":…,"world":…}, each part's text as it is. The names need no
 * escaping: a route's name is A-Z a-z 0-9 - _ (the configuration checks), and
 * no part is listed twice.
 */
static void
append_parts(MsAggregate *self, GString *out)
{
	g_string_append(out, "\"parts\":{");
	for (guint i = 0; i < self->n_parts; i++) {
		const Part *part = &self->parts[i];

		if (i > 0)
			g_string_append_c(out, ',');
		g_string_append_c(out, '"');
		g_string_append(out, part->route->name);
		g_string_append(out, "\":");
		g_string_append_len(out, part->json->str, (gssize)part->json->len);
	}
	g_string_append_c(out, '}');
}

/* an answer's text: room for every part and what goes around them */
static GString *
answer_new(MsAggregate *self, gsize around)
{
	gsize length = around;

	for (guint i = 0; i < self->n_parts; i++)
		length += sizeof("\"\":,") - 1 + strlen(self->parts[i].route->name) +
			  self->parts[i].json->len;
	return g_string_sized_new(length);
}

static void
send_all_failed(MsAggregate *self)
{
	MsGatewayRequest *request = self->request;
	g_autofree char *instance = g_utf8_make_valid(ms_gateway_request_get_path(request), -1);
	g_autoptr(JsonNode) problem = NULL;
	g_autofree char *head = NULL;
	g_autoptr(GBytes) body = NULL;
	GString *text;
	gsize head_length;

	problem = ms_problem_new(
		SOUP_STATUS_BAD_GATEWAY,
		"aggregate_unavailable",
		ms_i18n_gettext(self->language, N_("No part of the answer is available")),
		ms_i18n_gettext(self->language, N_("every part failed or was too late")),
		instance,
		ms_gateway_request_get_id(request));
	/* the problem's members, then "parts" as its last: in before its closing brace */
	head = json_to_string(problem, FALSE);
	head_length = strlen(head);
	g_assert(head_length > 2 && head[head_length - 1] == '}');
	text = answer_new(self, head_length + 16);
	g_string_append_len(text, head, (gssize)head_length - 1);
	g_string_append_c(text, ',');
	append_parts(self, text);
	g_string_append_c(text, '}');
	body = g_string_free_to_bytes(text);
	ms_http_fields_replace_id(ms_gateway_request_get_response_headers(request),
				  MS_HTTP_FIELD_CONTENT_TYPE,
				  MS_CONTENT_TYPE_PROBLEM);
	ms_gateway_request_respond(request, SOUP_STATUS_BAD_GATEWAY, body);
}

/* a complete answer is shown to the tap (the response cache) like a proxied one */
static void
tap_answer(MsGatewayRequest *request, GBytes *body)
{
	MsHttpFields *headers = ms_gateway_request_get_response_headers(request);
	gsize length = 0;
	const char *text = g_bytes_get_data(body, &length);

	if (request->tap == NULL || !request->tap->head(request->tap_data, SOUP_STATUS_OK, headers))
		return;
	request->tap->body(request->tap_data, text, length);
	request->tap->done(request->tap_data);
}

/* the tap stores the very bytes that are sent, with their Content-Type */
static void
send_parts(MsAggregate *self, gboolean complete)
{
	MsGatewayRequest *request = self->request;
	GString *text = answer_new(self, 32);
	g_autoptr(GBytes) body = NULL;

	g_string_append(text, complete ? "{\"complete\":true," : "{\"complete\":false,");
	append_parts(self, text);
	g_string_append_c(text, '}');
	body = g_string_free_to_bytes(text);
	ms_http_fields_replace_id(ms_gateway_request_get_response_headers(request),
				  MS_HTTP_FIELD_CONTENT_TYPE,
				  MS_CONTENT_TYPE_JSON);
	if (complete)
		tap_answer(request, body);
	ms_gateway_request_respond(request, SOUP_STATUS_OK, body);
}

/* the answer is the last thing done: the request (and @self) may end with it */
static void
aggregate_answer(MsAggregate *self)
{
	guint n_ok = 0;

	for (guint i = 0; i < self->n_parts; i++)
		n_ok += self->parts[i].state == PART_OK;
	self->answered = TRUE;
	if (n_ok == 0)
		send_all_failed(self);
	else
		send_parts(self, n_ok == self->n_parts);
}

/**
 * ms_aggregate_start:
 *
 * Calls every part; the last part to settle answers the request, which the
 * front keeps waiting meanwhile.
 */
void
ms_aggregate_start(MsGatewayRequest *request)
{
	const MsRoute *route = request->route;
	guint n_parts = g_strv_length(route->upstreams);
	MsAggregate *self = g_malloc0(sizeof(MsAggregate) + n_parts * sizeof(Part));

	self->request = request;
	self->n_parts = n_parts;
	self->language = ms_gateway_request_get_language(request);
	request->aggregate = self;
	request->upstream = route->upstreams_text;

	/* one extra count, so a part failing right away cannot answer before all start */
	self->pending = n_parts + 1;
	for (guint i = 0; i < n_parts; i++) {
		Part *part = &self->parts[i];

		part->aggregate = self;
		/* found when the configuration loaded: a route with an upstream */
		part->route = route->parts[i];
		part->until = g_get_monotonic_time() + (gint64)part->route->timeout_ms * 1000;
		part_send(part, -1, FALSE);
	}
	if (--self->pending == 0)
		aggregate_answer(self);
}

/**
 * ms_aggregate_abort:
 *
 * The client went away: drop the parts still running.
 */
void
ms_aggregate_abort(MsGatewayRequest *request)
{
	MsAggregate *self = request->aggregate;

	if (self == NULL || self->answered)
		return;
	for (guint i = 0; i < self->n_parts; i++)
		part_drop(&self->parts[i]);
	self->answered = TRUE;
}

void
ms_aggregate_free(MsAggregate *self)
{
	for (guint i = 0; i < self->n_parts; i++) {
		Part *part = &self->parts[i];

		if (part->json != NULL)
			g_string_free(part->json, TRUE);
		if (part->body != NULL)
			g_string_free(part->body, TRUE);
	}
	g_free(self);
}
