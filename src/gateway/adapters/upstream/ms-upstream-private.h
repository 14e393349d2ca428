#pragma once

#include "gateway/ports/ms-upstream.h"

G_BEGIN_DECLS

#define MS_UPSTREAM_READ_SIZE (16 * 1024)
#define MS_UPSTREAM_MAX_IDLE  256

typedef struct {
	char *key; /* the route's upstream string */
	GSocketAddress *address;
	GQueue idle; /* MsUpstreamConn, most recently used first */
	MsUpstreamPool *pool;
} MsUpstream;

struct _MsUpstreamPool {
	GMainContext *context;
	GHashTable *upstreams; /* key → MsUpstream */
	GHashTable *conns;     /* every open MsUpstreamConn, for teardown */
};

MsUpstreamConn *
ms_upstream_conn_new(MsUpstream *upstream, GSocket *socket, gboolean connecting);
void
ms_upstream_conn_close(MsUpstreamConn *conn);
void
ms_upstream_pool_release(MsUpstream *upstream, MsUpstreamConn *conn);
GList *
ms_upstream_conn_get_link(MsUpstreamConn *conn);

G_END_DECLS
