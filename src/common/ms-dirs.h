/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *
ms_dirs_get_sysconfdir(void);

G_END_DECLS
