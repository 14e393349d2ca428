/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * An upstream for attack tests that keeps the exact bytes the gateway sent it.
 * It reads with plain sockets from its own thread (an HTTP library would
 * normalize, merge or refuse exactly what a test wants to see), one request at
 * a time per connection, and answers each with a default JSON answer or with
 * raw bytes a test scripted for the next request.
 */
typedef struct _MsWireRecorder MsWireRecorder;

/* one request as it arrived; never changes once recorded */
typedef struct {
	guint connection; /* 0 for the first connection accepted, and so on */
	GBytes *raw;      /* head and body exactly as read */
	char *head;       /* request line and fields, blank line included */
	char *method;
	char *target; /* the request line's target, as written */
	GPtrArray *names;
	GPtrArray *values; /* values->pdata[i] goes with names->pdata[i] */
	GBytes *body;      /* decoded when chunked */
} MsWireRecord;

MsWireRecorder *
ms_wire_recorder_new(void);
void
ms_wire_recorder_free(MsWireRecorder *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWireRecorder, ms_wire_recorder_free)

const char *
ms_wire_recorder_get_socket_path(MsWireRecorder *self);
void
ms_wire_recorder_add_header(MsWireRecorder *self, const char *name, const char *value);
void
ms_wire_recorder_script_next(MsWireRecorder *self, const char *raw, gboolean close_after);
void
ms_wire_recorder_script_next_bytes(MsWireRecorder *self, GBytes *raw, gboolean close_after);
GPtrArray *
ms_wire_recorder_get_requests(MsWireRecorder *self);
gboolean
ms_wire_recorder_wait_requests(MsWireRecorder *self, guint n, guint timeout_ms);
guint
ms_wire_recorder_get_n_connections(MsWireRecorder *self);

GStrv
ms_wire_record_get_all(const MsWireRecord *self, const char *name);
const char *
ms_wire_record_get_one(const MsWireRecord *self, const char *name);
char *
ms_wire_record_get_path(const MsWireRecord *self);

G_END_DECLS
