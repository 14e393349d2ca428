#include "config.h"

#include "ms-calc-spawn.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <unistd.h>

/*
 * Starting a built binary the way systemd does: the listening socket as fd 3 with
 * LISTEN_FDS=1 and LISTEN_PID set to the child's own pid. The test keeps its copy of
 * the socket, as systemd does, so a restarted binary serves the same socket and
 * connections queued meanwhile are not lost.
 */

/* Returns: (transfer full): a listening Unix stream socket at @path */
GSocket *
ms_calc_spawn_listen_unix(const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GSocketAddress) address = g_unix_socket_address_new(path);
	g_autoptr(GSocket) socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
						 G_SOCKET_TYPE_STREAM,
						 G_SOCKET_PROTOCOL_DEFAULT,
						 &error);

	g_assert_no_error(error);
	g_assert_true(g_socket_bind(socket, address, TRUE, &error));
	g_assert_true(g_socket_listen(socket, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&socket);
}

/**
 * ms_calc_spawn_activated:
 * @listener: (nullable): passed as fd 3, or nothing passed
 * @args: (nullable): arguments after the binary
 * @env: (nullable): NAME=VALUE pairs added to the environment
 *
 * Returns: (transfer full): the running binary; its stderr is a pipe
 */
GSubprocess *
ms_calc_spawn_activated(const char *binary,
			GSocket *listener,
			const char *const *args,
			const char *const *env)
{
	g_autoptr(GSubprocessLauncher) launcher =
		g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	GSubprocess *process;

	/* sh sets LISTEN_PID to its own pid, which exec hands on to the binary */
	g_ptr_array_add(argv, (gpointer) "/bin/sh");
	g_ptr_array_add(argv, (gpointer) "-c");
	g_ptr_array_add(argv,
			(gpointer)(listener != NULL
					   ? "LISTEN_PID=$$ LISTEN_FDS=1 exec \"$0\" \"$@\""
					   : "exec \"$0\" \"$@\""));
	g_ptr_array_add(argv, (gpointer)binary);
	for (guint i = 0; args != NULL && args[i] != NULL; i++)
		g_ptr_array_add(argv, (gpointer)args[i]);
	g_ptr_array_add(argv, NULL);

	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDS");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	g_subprocess_launcher_unsetenv(launcher, "NOTIFY_SOCKET");
	for (guint i = 0; env != NULL && env[i] != NULL; i++) {
		g_auto(GStrv) pair = g_strsplit(env[i], "=", 2);
		g_subprocess_launcher_setenv(launcher, pair[0], pair[1], TRUE);
	}
	if (listener != NULL)
		g_subprocess_launcher_take_fd(launcher, dup(g_socket_get_fd(listener)), 3);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata, &error);
	g_assert_no_error(error);
	return process;
}

static void
on_exited(GObject *source, GAsyncResult *result, gpointer user_data)
{
	gboolean *done = user_data;

	g_subprocess_wait_finish(G_SUBPROCESS(source), result, NULL);
	*done = TRUE;
}

/**
 * ms_calc_spawn_wait:
 *
 * Waits for @process to end, iterating the default main context meanwhile.
 *
 * Returns: the exit status, or 128 + the signal that ended it
 */
int
ms_calc_spawn_wait(GSubprocess *process)
{
	gboolean done = FALSE;

	g_subprocess_wait_async(process, NULL, on_exited, &done);
	while (!done)
		g_main_context_iteration(NULL, TRUE);
	if (g_subprocess_get_if_signaled(process))
		return 128 + g_subprocess_get_term_sig(process);
	return g_subprocess_get_exit_status(process);
}
