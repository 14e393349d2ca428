/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef enum {
	MS_PEER_QUIET, /* connected, nothing sent */
	MS_PEER_SENT,  /* bytes are waiting to be read */
	MS_PEER_GONE,  /* hung up (HUP on unix sockets, a readable EOF on TCP) or failed */
} MsPeerState;

MsPeerState
ms_peer_state(GSocket *socket);

G_END_DECLS
