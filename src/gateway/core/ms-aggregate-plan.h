/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gateway/core/ms-route-table.h"

G_BEGIN_DECLS

char *
ms_aggregate_part_path(const MsRoute *route, const MsRoute *part, const char *path);
char *
ms_aggregate_part_query(const MsRoute *route, const MsRoute *part, const char *query);

G_END_DECLS
