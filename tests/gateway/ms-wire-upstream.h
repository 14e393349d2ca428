/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * An upstream for wire tests that answers GET /big/<anything> with a large
 * binary body; it serves from its own thread, so the test's thread can block
 * on raw sockets meanwhile.
 */
typedef struct _MsWireUpstream MsWireUpstream;

MsWireUpstream *
ms_wire_upstream_new(gsize body_size);
void
ms_wire_upstream_free(MsWireUpstream *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MsWireUpstream, ms_wire_upstream_free)

const char *
ms_wire_upstream_get_socket_path(MsWireUpstream *self);
GBytes *
ms_wire_upstream_get_body(MsWireUpstream *self);

G_END_DECLS
