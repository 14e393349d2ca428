/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-notify.h"

#include <systemd/sd-daemon.h>

/* all of these are no-ops without $NOTIFY_SOCKET, so binaries run anywhere */

void
ms_notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void
ms_notify_status(const char *status)
{
	sd_notifyf(0, "STATUS=%s", status);
}

void
ms_notify_stopping(void)
{
	sd_notify(0, "STOPPING=1");
}

void
ms_notify_reloading(void)
{
	sd_notify(0, "RELOADING=1");
}

static gboolean
watchdog_ping(gpointer user_data)
{
	sd_notify(0, "WATCHDOG=1");
	return G_SOURCE_CONTINUE;
}

/**
 * ms_notify_watchdog_start:
 *
 * Pings systemd's watchdog at half the interval WatchdogSec= asks for, from the
 * main loop, so a stuck loop is noticed.
 *
 * Returns: the timeout source id, or 0 when no watchdog is configured
 */
guint
ms_notify_watchdog_start(void)
{
	guint64 usec = 0;

	if (sd_watchdog_enabled(FALSE, &usec) <= 0 || usec == 0)
		return 0;
	return g_timeout_add(MAX(usec / 2000, 1), watchdog_ping, NULL);
}
