/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/adapters/events/ms-gateway-events.h"
#include "gateway/ports/ms-upstream.h"

G_BEGIN_DECLS

/*
 * One upstream connection, as its keeper (the pool, ms-upstream-pool.c) sees
 * it. The connection never calls the pool: it tells whoever keeps it through
 * MsUpstreamConnKeeper, so the pool depends on the connection and not the
 * other way round.
 */

#define MS_UPSTREAM_READ_SIZE (16 * 1024)

typedef struct {
	/* an exchange ended cleanly: the connection may serve another */
	void (*reusable)(gpointer keeper, MsUpstreamConn *conn);
	/* the connection is closing: forget it */
	void (*closing)(gpointer keeper, MsUpstreamConn *conn);
} MsUpstreamConnKeeper;

MsUpstreamConn *
ms_upstream_conn_new(GSocket *socket,
		     gboolean connecting,
		     MsGatewayEvents *events,
		     const MsUpstreamConnKeeper *keeper,
		     gpointer keeper_data);
void
ms_upstream_conn_close(MsUpstreamConn *conn);
/* the link the keeper queues the connection with while it is idle */
GList *
ms_upstream_conn_get_link(MsUpstreamConn *conn);

G_END_DECLS
