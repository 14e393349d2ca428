/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GPtrArray *
ms_listen_sockets_from_systemd(GError **error);
GSocket *
ms_listen_socket_open(const char *spec, GError **error);
GSocket *
ms_listen_socket_dup(GSocket *socket, GError **error);

G_END_DECLS
