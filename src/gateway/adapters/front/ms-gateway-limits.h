/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * How many client connections the gateway holds, shared by every worker: a
 * global bound (max_connections) and one per client address
 * (max_connections_per_client). A connection holds a slot from before its
 * accept() until its socket is freed; a listener that finds no free slot stops
 * watching its socket, leaving new connections in the kernel's backlog, and is
 * woken when a slot is released, by whichever worker releases it.
 *
 * Each front holds limits of its own within the shared ones
 * (ms_gateway_limits_new_within()): its slots are its count of connections,
 * the only one; the shared limits count every front's.
 */

/* file descriptors kept apart from client connections: listeners, logs, config,
 * credentials, the main loop's own; the rest is shared between clients and the
 * upstream connection each may hold */
#define MS_GATEWAY_FD_RESERVE 64

typedef struct _MsGatewayLimits MsGatewayLimits;
typedef struct _MsGatewayLimitsSlot MsGatewayLimitsSlot;

typedef enum {
	MS_GATEWAY_REFUSED_PER_CLIENT, /* answered 503 and closed */
	MS_GATEWAY_REFUSED_N_REASONS,
} MsGatewayRefusedReason;

guint
ms_gateway_limits_default_max_connections(void);

MsGatewayLimits *
ms_gateway_limits_new(guint max_connections, guint max_per_client);
MsGatewayLimits *
ms_gateway_limits_new_within(MsGatewayLimits *outer);
void
ms_gateway_limits_set(MsGatewayLimits *self, guint max_connections, guint max_per_client);
guint
ms_gateway_limits_get_max_connections(MsGatewayLimits *self);
guint
ms_gateway_limits_get_n_open(MsGatewayLimits *self);
guint64
ms_gateway_limits_get_n_refused(MsGatewayLimits *self, MsGatewayRefusedReason reason);
void
ms_gateway_limits_free(MsGatewayLimits *self);

MsGatewayLimitsSlot *
ms_gateway_limits_try_reserve(MsGatewayLimits *self);
gboolean
ms_gateway_limits_slot_set_client(MsGatewayLimitsSlot *slot, const char *client);
void
ms_gateway_limits_slot_release(MsGatewayLimitsSlot *slot);
void
ms_gateway_limits_count_refused(MsGatewayLimits *self, MsGatewayRefusedReason reason);

gboolean
ms_gateway_limits_wait(MsGatewayLimits *self, GSource *waiter);
void
ms_gateway_limits_unwait(MsGatewayLimits *self, GSource *waiter);

G_END_DECLS
