#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

/*
 * What a SoupServer is busy with: its open connections and the messages on them.
 * libsoup 3.2 reports neither a connection's end nor the end of a message that
 * never got a request line, so they are found here; the SoupServer runtime
 * server (ms-soup-runtime-server.c) counts them for the idle exit and stops
 * without losing a request.
 */
typedef struct _MsConnectionTracker MsConnectionTracker;

MsConnectionTracker *
ms_connection_tracker_new(void);
void
ms_connection_tracker_free(MsConnectionTracker *self);
void
ms_connection_tracker_message_started(MsConnectionTracker *self, SoupServerMessage *msg);
void
ms_connection_tracker_message_read(MsConnectionTracker *self, SoupServerMessage *msg);
gboolean
ms_connection_tracker_message_done(MsConnectionTracker *self,
				   SoupServerMessage *msg,
				   gboolean answered,
				   gint64 *read_at);
guint
ms_connection_tracker_sweep(MsConnectionTracker *self);
void
ms_connection_tracker_stop(MsConnectionTracker *self);
guint
ms_connection_tracker_get_work_left(MsConnectionTracker *self);
guint
ms_connection_tracker_get_n_in_flight(MsConnectionTracker *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsConnectionTracker, ms_connection_tracker_free)

G_END_DECLS
