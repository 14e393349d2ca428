#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

gboolean
ms_server_enable_keepalive(SoupServer *server, GError **error);

void
ms_socket_set_nodelay(GSocket *socket);

G_END_DECLS
