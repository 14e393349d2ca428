/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-dirs.h"

/*
 * An install reads its configuration from the configured sysconfdir; a build tree
 * has its own copy (build/data), which `meson devenv` names in MICROSOUP_SYSCONFDIR,
 * as it names build/po in MICROSOUP_LOCALEDIR (common/ms-i18n.c).
 */

/**
 * ms_dirs_get_sysconfdir:
 *
 * Returns: the directory of gateway.conf, users and api-keys: $MICROSOUP_SYSCONFDIR
 *   when set, else the configured one, e.g. /etc/microsoup
 */
const char *
ms_dirs_get_sysconfdir(void)
{
	const char *dir = g_getenv("MICROSOUP_SYSCONFDIR");

	return dir != NULL && *dir != '\0' ? dir : SYSCONFDIR;
}
