/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean
ms_http_header_is_hop_by_hop(const char *name);
GHashTable *
ms_http_connection_options_new(const char *connection);

G_END_DECLS
