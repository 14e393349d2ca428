/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void
ms_handler_send_not_found(SoupServerMessage *msg, const char *path);
gboolean
ms_handler_check_path(SoupServerMessage *msg, const char *path, const char *expected_name);
gboolean
ms_handler_check_method(SoupServerMessage *msg, const char *allowed);
gboolean
ms_handler_check_query(SoupServerMessage *msg, GHashTable *query, const char *allowed_key);
gboolean
ms_handler_check_query_keys(SoupServerMessage *msg,
			    GHashTable *query,
			    const char *const *allowed_keys);
void
ms_handler_register_not_found(SoupServer *server);

G_END_DECLS
