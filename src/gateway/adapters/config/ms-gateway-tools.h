/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* the longest password --hash-password accepts on stdin */
#define MS_GATEWAY_TOOLS_MAX_PASSWORD 1024

gboolean
ms_gateway_tools_hash_password(GInputStream *input, GOutputStream *output, GError **error);
gboolean
ms_gateway_tools_new_api_key(const char *name,
			     const char *role,
			     GOutputStream *output,
			     GError **error);

G_END_DECLS
