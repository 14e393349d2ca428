/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The addresses of an upstream named by host name, as a cluster needs them:
 * looked up asynchronously (GResolver, never blocking the worker) from the
 * moment the worker first needs the name, every address kept and used in turn,
 * looked up again every interval on a timer, traffic or not, so a DNS change
 * (a Kubernetes Service, a moved replica) is followed by every worker within
 * the interval and without a reload. A failed lookup keeps the last good
 * addresses.
 */

/* a failed lookup that left no address at all is tried again this soon */
#define MS_UPSTREAM_RESOLVE_RETRY_USEC G_USEC_PER_SEC

typedef struct _MsUpstreamResolve MsUpstreamResolve;

/*
 * A lookup ended: @first when it is the first answer (or failure) since the
 * resolve was made, @changed when the addresses differ from those before.
 */
typedef void (*MsUpstreamResolveFunc)(gpointer user_data, gboolean first, gboolean changed);

MsUpstreamResolve *
ms_upstream_resolve_new(const char *host,
			guint16 port,
			guint interval_s,
			GMainContext *context,
			MsUpstreamResolveFunc func,
			gpointer user_data);
void
ms_upstream_resolve_free(MsUpstreamResolve *self);
gboolean
ms_upstream_resolve_is_answered(MsUpstreamResolve *self);
GSocketAddress *
ms_upstream_resolve_next_address(MsUpstreamResolve *self, GError **error);

G_END_DECLS
