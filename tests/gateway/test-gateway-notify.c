/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "ms-test-utils.h"

/*
 * What the built gateway tells systemd, read from a NOTIFY_SOCKET this test owns:
 * started with nothing staged it says it is degraded, from READY=1 on and in the
 * periodic status, and with WATCHDOG_USEC set it pings the watchdog.
 */

typedef struct {
	GSocket *socket;
	GString *received; /* every datagram so far, each followed by "\n--\n" */
} Notify;

static void
notify_init(Notify *notify, const char *path)
{
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
	g_autoptr(GError) error = NULL;

	notify->socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
				      G_SOCKET_TYPE_DATAGRAM,
				      G_SOCKET_PROTOCOL_DEFAULT,
				      &error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(notify->socket, address, FALSE, &error));
	g_assert_no_error(error);
	notify->received = g_string_new(NULL);
}

static void
notify_clear(Notify *notify)
{
	g_clear_object(&notify->socket);
	g_string_free(notify->received, TRUE);
}

/* reads datagrams until @needle is among them; fails after @timeout_ms */
static void
notify_wait_for(Notify *notify, const char *needle, guint timeout_ms)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

	while (strstr(notify->received->str, needle) == NULL) {
		gint64 left = deadline - g_get_monotonic_time();
		char buffer[4096];
		gssize got;

		if (left <= 0)
			g_error("no “%s” in what the gateway sent:\n%s",
				needle,
				notify->received->str);
		if (!g_socket_condition_timed_wait(notify->socket, G_IO_IN, left, NULL, NULL))
			continue;
		got = g_socket_receive(notify->socket, buffer, sizeof buffer, NULL, NULL);
		g_assert_cmpint(got, >, 0);
		g_string_append_len(notify->received, buffer, got);
		g_string_append(notify->received, "\n--\n");
	}
}

static void
test_degraded_and_watchdog(void)
{
	g_autofree char *dir = ms_test_dir_new();
	g_autofree char *state = g_build_filename(dir, "state", NULL);
	g_autofree char *notify_path = g_build_filename(dir, "notify.sock", NULL);
	g_autofree char *state_option = g_strconcat("--state-dir=", state, NULL);
	g_autofree char *notify_env = g_strconcat("NOTIFY_SOCKET=", notify_path, NULL);
	g_autoptr(MsTestProcess) gateway = NULL;
	Notify notify = { 0 };

	g_assert_cmpint(g_mkdir(state, 0700), ==, 0);
	notify_init(&notify, notify_path);
	/* a 200 ms watchdog: pinged every 100 ms */
	gateway = ms_test_process_spawn_full(
		"microsoup-gateway",
		NULL,
		(const char *const[]){ state_option, "--idle-timeout=0", NULL },
		(const char *const[]){ notify_env, "WATCHDOG_USEC=200000", NULL });

	notify_wait_for(&notify,
			"READY=1\nSTATUS=degraded, serving the last good configuration: ",
			10000);
	notify_wait_for(&notify, "WATCHDOG=1", 5000);
	/* the status every 5 s says so too, with the counters after it */
	notify_wait_for(&notify,
			"\n--\nSTATUS=degraded, serving the last good configuration: ",
			10000);
	g_assert_nonnull(strstr(notify.received->str, " open connections"));
	ms_test_process_stop_cleanly(gateway);
	notify_wait_for(&notify, "STOPPING=1", 5000);

	notify_clear(&notify);
	g_clear_pointer(&gateway, ms_test_process_free);
	ms_test_dir_remove(dir);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/gateway/notify/degraded-and-watchdog", test_degraded_and_watchdog);
	return g_test_run();
}
