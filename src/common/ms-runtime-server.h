/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The HTTP server a binary serves with, as MsRuntime sees it. MsRuntime owns
 * the sockets, the signals, systemd and the process's life; the server owns
 * connections and requests. An implementation embeds this struct as its first
 * member and fills in the functions; the runtime calls every one of them on the
 * main thread, and never per request.
 *
 * Implementations: the services' SoupServer (ms-soup-runtime-server.h) and the
 * gateway's worker threads (gateway/adapters/front/ms-gateway-server.h).
 */
typedef struct _MsRuntimeServer MsRuntimeServer;

struct _MsRuntimeServer {
	/*
	 * Starts accepting on @sockets (GSocket, listening). The runtime keeps them
	 * open until the process exits, so that connections queued in their
	 * backlog outlive a stop: the server accepts on duplicates of its own.
	 */
	gboolean (*start)(MsRuntimeServer *self, GPtrArray *sockets, GError **error);
	/*
	 * Stops accepting, once. What is in flight goes on; connections with
	 * nothing to answer may be closed now.
	 */
	void (*stop)(MsRuntimeServer *self);
	/* client connections open now: the idle exit, and what systemd is told */
	guint (*get_n_connections)(MsRuntimeServer *self);
	/*
	 * After stop(): what clients still wait for. The runtime exits once it is
	 * 0, or after a bounded wait.
	 */
	guint (*get_work_left)(MsRuntimeServer *self);
	/*
	 * Optional: requests answered so far, for the exit line; NULL when the
	 * server does not count them.
	 */
	guint64 (*get_n_requests)(MsRuntimeServer *self);
	/* ends what is left (after the drain, or when start() failed) and frees */
	void (*free)(MsRuntimeServer *self);
};

G_END_DECLS
