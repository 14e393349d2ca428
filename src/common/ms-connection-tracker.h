/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "ms-request-id.h"

G_BEGIN_DECLS

/*
 * What a SoupServer is busy with: its open connections and the messages on them.
 * libsoup 3.2 reports neither a connection's end nor the end of a message that
 * never got a request line, so they are found here; the SoupServer runtime
 * server (ms-soup-runtime-server.c) counts them for the idle exit and stops
 * without losing a request.
 */
typedef struct _MsConnectionTracker MsConnectionTracker;

/* a message whose request was read: what its log line needs, kept from then */
typedef struct {
	gint64 read_at; /* g_get_monotonic_time() */
	char request_id[MS_REQUEST_ID_MAX_LENGTH + 1];
} MsTrackedRequest;

MsConnectionTracker *
ms_connection_tracker_new(void);
void
ms_connection_tracker_free(MsConnectionTracker *self);
void
ms_connection_tracker_message_started(MsConnectionTracker *self, SoupServerMessage *msg);
void
ms_connection_tracker_message_read(MsConnectionTracker *self,
				   SoupServerMessage *msg,
				   const char *request_id);
MsTrackedRequest *
ms_connection_tracker_message_done(MsConnectionTracker *self,
				   SoupServerMessage *msg,
				   gboolean answered);
guint
ms_connection_tracker_sweep(MsConnectionTracker *self);
void
ms_connection_tracker_stop(MsConnectionTracker *self);
guint
ms_connection_tracker_get_work_left(MsConnectionTracker *self);
const MsTrackedRequest *
ms_connection_tracker_lookup(MsConnectionTracker *self, SoupServerMessage *msg);
guint
ms_connection_tracker_get_n_in_flight(MsConnectionTracker *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsConnectionTracker, ms_connection_tracker_free)

G_END_DECLS
