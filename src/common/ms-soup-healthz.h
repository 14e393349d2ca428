/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

void
ms_soup_healthz_register(SoupServer *server);

G_END_DECLS
