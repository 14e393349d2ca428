#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean
ms_http_header_is_hop_by_hop(const char *name);

G_END_DECLS
