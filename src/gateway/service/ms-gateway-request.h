/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "common/ms-request-id.h"
#include "gateway/ports/ms-gateway-exchange.h"
#include "gateway/ports/ms-upstream.h"

G_BEGIN_DECLS

/*
 * One request, from its head to the access log entry: what the front read,
 * what the gateway decided on the way, and the answer's calls. The answer
 * leaves only through the front's calls (ms-gateway-exchange.h); nothing here
 * decides where the request goes next (ms-gateway-flow.c does).
 */

typedef struct _MsAggregate MsAggregate;

typedef enum {
	MS_CACHE_OUTCOME_NONE, /* not looked up */
	MS_CACHE_OUTCOME_HIT,
	MS_CACHE_OUTCOME_MISS,
} MsCacheOutcome;

/* what the request's way through the policies came to, counted when it finishes */
typedef struct {
	guint auth_failure; /* MsAuthFailureKind + 1, 0 when none */
	gboolean rate_limited;
	MsCacheOutcome cache;
} MsPolicyRecord;

/* what the proxy got from the upstream: a policy may watch it (the cache does) */
typedef struct {
	/* return %FALSE to stop watching this request */
	gboolean (*head)(gpointer data, guint status, MsHttpFields *upstream_headers);
	void (*body)(gpointer data, const char *chunk, gsize length);
	void (*done)(gpointer data);
} MsGatewayResponseTap;

struct _MsGatewayRequest {
	MsGatewayWorker *worker;
	const MsGatewayFrontClass *front_class;
	gpointer front;
	MsGatewayRequestHead head;
	char id[MS_REQUEST_ID_MAX_LENGTH + 1];
	const char *language; /* negotiated on first use */
	guint status;         /* sent with the answer's head */
	MsGatewayConfig *config;
	const MsRoute *route;
	const char *upstream; /* for the log: the route's server that was called */
	gint server;          /* in route->servers: the one the exchange goes to */
	MsUpstreamConn *conn;
	MsUpstreamWait *wait; /* for a name's first lookup, room in a full backlog or a
				 free connection */
	gint64 wait_deadline; /* of that wait, however often it starts again; 0 for none */
	GBytes *body;
	gint64 started;
	gboolean too_large;
	gboolean retried;
	gboolean responded;    /* the upstream's head arrived */
	guint next_step;       /* in route->policy_steps: where the chain resumes */
	gboolean suspended;    /* a policy waits for a thread's verdict */
	gboolean aborted;      /* the client went away */
	gboolean finished;     /* the front is done with it, maybe while it was suspended */
	guint upstream_failed; /* MsUpstreamFailure + 1 */
	MsPolicyRecord record;
	MsAggregate *aggregate; /* aggregation routes only */
	const MsGatewayResponseTap *tap;
	gpointer tap_data;
	GDestroyNotify tap_destroy;
};

/* the request as the client sent it (identity headers already stripped) */
const char *
ms_gateway_request_get_method(MsGatewayRequest *request);
const char *
ms_gateway_request_get_path(MsGatewayRequest *request);
const char *
ms_gateway_request_get_query(MsGatewayRequest *request);
MsHttpFields *
ms_gateway_request_get_headers(MsGatewayRequest *request);
const char *
ms_gateway_request_get_id(MsGatewayRequest *request);
const char *
ms_gateway_request_get_remote_addr(MsGatewayRequest *request);
/* the answer language from Accept-Language, for the request's problems */
const char *
ms_gateway_request_get_language(MsGatewayRequest *request);
/* the user the gateway authenticated, %NULL on a route without auth */
const char *
ms_gateway_request_get_user(MsGatewayRequest *request);
const MsRoute *
ms_gateway_request_get_route(MsGatewayRequest *request);
MsGatewayConfig *
ms_gateway_request_get_config(MsGatewayRequest *request);
/* 0 until the answer's head went out */
guint
ms_gateway_request_get_status(MsGatewayRequest *request);
/* 0 when the upstream answered (or was not called), else MsUpstreamFailure + 1 */
guint
ms_gateway_request_get_upstream_failure(MsGatewayRequest *request);
/* headers set here go out with whatever answers the request */
MsHttpFields *
ms_gateway_request_get_response_headers(MsGatewayRequest *request);

/* the answer's parts, through the request's front */
void
ms_gateway_request_respond_head(MsGatewayRequest *request,
				guint status,
				const char *reason,
				goffset content_length);
void
ms_gateway_request_respond_body(MsGatewayRequest *request, const char *data, gsize length);
void
ms_gateway_request_respond_end(MsGatewayRequest *request);
void
ms_gateway_request_cut(MsGatewayRequest *request);

/* the whole answer at once; the content type is the response headers' */
void
ms_gateway_request_respond(MsGatewayRequest *request, guint status, GBytes *body);
void
ms_gateway_request_respond_json(MsGatewayRequest *request,
				guint status,
				const char *content_type,
				JsonNode *body);
/* @title and @detail: English, marked N_(); sent in the request's language */
void
ms_gateway_request_problem(MsGatewayRequest *request,
			   guint status,
			   const char *type,
			   const char *title,
			   const char *detail);
void
ms_gateway_request_problemf(MsGatewayRequest *request,
			    guint status,
			    const char *type,
			    const char *title,
			    const char *detail_format,
			    ...) G_GNUC_PRINTF(5, 6);
void
ms_gateway_request_refuse_method(MsGatewayRequest *request, const char *allow);
void
ms_gateway_request_retry_later(MsGatewayRequest *request,
			       const char *type,
			       const char *title,
			       guint seconds);

/* the policies passed: the front reads the body, then ms_gateway_request_handle() */
void
ms_gateway_request_read_body(MsGatewayRequest *request);

/*
 * A policy that cannot decide at once (a password to hash in a thread)
 * suspends the request; back in the worker's thread it wakes it before
 * anything else: %FALSE then means the client went away meanwhile and the
 * request is freed.
 */
void
ms_gateway_request_suspend(MsGatewayRequest *request);
gboolean
ms_gateway_request_wake(MsGatewayRequest *request);

void
ms_gateway_request_set_tap(MsGatewayRequest *request,
			   const MsGatewayResponseTap *tap,
			   gpointer data,
			   GDestroyNotify destroy);

MsGatewayRequest *
ms_gateway_request_new(MsGatewayWorker *worker,
		       const MsGatewayFrontClass *front_class,
		       gpointer front,
		       const MsGatewayRequestHead *head,
		       MsGatewayConfig *config);
void
ms_gateway_request_free(MsGatewayRequest *request);

G_END_DECLS
