/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "gateway/core/ms-gateway-config.h"
#include "gateway/core/ms-http-fields.h"
#include "gateway/core/ms-upstream-balancer.h"

G_BEGIN_DECLS

/*
 * A small pooled HTTP/1.1 client for the gateway's upstreams. One pool per worker
 * main context; its connections are watched, fd and deadline, in the worker's
 * events with the client connections (adapters/events/ms-gateway-events.c). No
 * SoupSession, SoupMessage, GTask or GUri per request: a proxy built on them
 * measured about 6x nginx's CPU per request, most of it in those.
 */

#define MS_UPSTREAM_IDLE_TIMEOUT_USEC (5 * G_USEC_PER_SEC)

typedef struct _MsUpstreamPool MsUpstreamPool;
typedef struct _MsUpstreamConn MsUpstreamConn;

typedef enum {
	MS_UPSTREAM_FAILURE_CONNECT,  /* refused or missing socket */
	MS_UPSTREAM_FAILURE_BROKEN,   /* closed or reset before the response was complete */
	MS_UPSTREAM_FAILURE_PROTOCOL, /* not an HTTP/1.x response */
	MS_UPSTREAM_FAILURE_TIMEOUT,
} MsUpstreamFailure;

/* what a failure says of the server, for its health */
static inline MsUpstreamOutcome
ms_upstream_failure_outcome(MsUpstreamFailure failure)
{
	return failure == MS_UPSTREAM_FAILURE_CONNECT || failure == MS_UPSTREAM_FAILURE_TIMEOUT
		       ? MS_UPSTREAM_OUTCOME_UNREACHED
		       : MS_UPSTREAM_OUTCOME_BROKEN;
}

typedef struct {
	/*
	 * @headers belong to the connection and are valid during the call only;
	 * they hold the upstream's fields but Date, Server and X-Request-ID,
	 * which the gateway writes itself
	 */
	void (*head)(gpointer user_data,
		     guint status,
		     const char *reason,
		     MsHttpFields *headers,
		     goffset content_length);
	void (*body)(gpointer user_data, const char *data, gsize length);
	/* the connection is already back in the pool or closed */
	void (*done)(gpointer user_data);
	/* the connection is already closed; @retryable: no byte came back on a reused one */
	void (*failed)(gpointer user_data,
		       MsUpstreamFailure failure,
		       gboolean retryable,
		       const char *message);
} MsUpstreamHandler;

MsUpstreamPool *
ms_upstream_pool_new(GMainContext *context, MsUpstreamHealthTable *health);
void
ms_upstream_pool_free(MsUpstreamPool *self);
/* the worker's connection events (adapters/events), opaque here */
struct _MsGatewayEvents;
void
ms_upstream_pool_set_events(MsUpstreamPool *self, struct _MsGatewayEvents *events);

/*
 * An exchange with a route's upstream: ms_upstream_pool_choose() picks one of
 * route->servers (0 when there is one), ms_upstream_pool_acquire() gives a
 * connection to it, and ms_upstream_pool_settle() tells how it ended, once
 * per choice.
 */
gint
ms_upstream_pool_choose(MsUpstreamPool *self, const MsRoute *route, gint exclude);
void
ms_upstream_pool_settle(MsUpstreamPool *self,
			const MsRoute *route,
			guint server,
			MsUpstreamOutcome outcome);
MsUpstreamConn *
ms_upstream_pool_acquire(MsUpstreamPool *self,
			 const MsRoute *route,
			 guint server,
			 gboolean fresh,
			 GError **error);
/*
 * acquire failed with G_IO_ERROR_PENDING: a server named by a host name not
 * looked up yet, a Unix socket whose listen backlog is full, or every one of the
 * route's max_upstream_connections to it busy
 */
typedef struct _MsUpstreamWait MsUpstreamWait;
/* @timed_out: the deadline passed first; else acquire again */
typedef void (*MsUpstreamReadyFunc)(gpointer user_data, gboolean timed_out);
MsUpstreamWait *
ms_upstream_pool_wait(MsUpstreamPool *self,
		      const MsRoute *route,
		      guint server,
		      gint64 deadline,
		      MsUpstreamReadyFunc ready,
		      gpointer user_data);
void
ms_upstream_pool_cancel_wait(MsUpstreamPool *self, MsUpstreamWait *wait);
const char *
ms_upstream_pool_describe_wait(MsUpstreamPool *self, const MsRoute *route, guint server);

GString *
ms_upstream_conn_get_request_buffer(MsUpstreamConn *conn);
void
ms_upstream_conn_start(MsUpstreamConn *conn,
		       GBytes *body,
		       gboolean head_request,
		       guint timeout_ms,
		       gint64 until,
		       const MsUpstreamHandler *handler,
		       gpointer user_data);
void
ms_upstream_conn_abandon(MsUpstreamConn *conn);
void
ms_upstream_conn_set_reading(MsUpstreamConn *conn, gboolean reading);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsUpstreamPool, ms_upstream_pool_free)

G_END_DECLS
