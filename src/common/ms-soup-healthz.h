/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define MS_HEALTHZ_PATH "/healthz"

void
ms_soup_healthz_handler(SoupServer *server,
			SoupServerMessage *msg,
			const char *path,
			GHashTable *query,
			gpointer user_data);

G_END_DECLS
