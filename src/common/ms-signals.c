/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-signals.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

/*
 * The runtime's signals (SIGTERM and SIGINT stop, SIGHUP reloads), read from a
 * signalfd in the main loop. g_unix_signal_add() would do the same job through
 * GLib's worker thread, and a service is otherwise single-threaded: glibc takes
 * its single-thread fast paths (no locks in malloc(), no cancellation points
 * around write()) only until a process starts its first thread, so that one
 * thread would cost every request. Blocked signals also wait, rather than kill,
 * between the start and the moment the loop watches them.
 */

static const int runtime_signals[] = { SIGTERM, SIGINT, SIGHUP };

static void
runtime_signal_set(sigset_t *set)
{
	sigemptyset(set);
	for (gsize i = 0; i < G_N_ELEMENTS(runtime_signals); i++)
		sigaddset(set, runtime_signals[i]);
}

/**
 * ms_signals_block:
 *
 * Blocks SIGTERM, SIGINT and SIGHUP in this thread and so in every thread made
 * after: call it before any thread starts (ms_runtime_new() does), or one
 * without the mask could take a signal and die of it.
 */
void
ms_signals_block(void)
{
	sigset_t set;

	runtime_signal_set(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

typedef struct {
	int fd;
	MsSignalFunc func;
	gpointer user_data;
} Watch;

static gboolean
on_signal_readable(gint fd, GIOCondition condition, gpointer user_data)
{
	Watch *watch = user_data;
	struct signalfd_siginfo info;

	while (read(fd, &info, sizeof info) == (gssize)sizeof info)
		watch->func((int)info.ssi_signo, watch->user_data);
	return G_SOURCE_CONTINUE;
}

static void
watch_free(gpointer data)
{
	Watch *watch = data;

	close(watch->fd);
	g_free(watch);
}

/**
 * ms_signals_watch:
 * @func: called with each signal, in the thread-default main context
 * @error: where a failed signalfd() is told
 *
 * Blocks the runtime's signals (see ms_signals_block()) and calls @func for each
 * one that comes, including those that came while they were blocked.
 *
 * Returns: the watch's source id for g_source_remove(), or 0 with @error set
 */
guint
ms_signals_watch(MsSignalFunc func, gpointer user_data, GError **error)
{
	sigset_t set;
	Watch *watch;
	int fd;

	ms_signals_block();
	runtime_signal_set(&set);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		int saved = errno;

		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(saved),
			    "cannot watch signals: signalfd: %s",
			    g_strerror(saved));
		return 0;
	}
	watch = g_new(Watch, 1);
	watch->fd = fd;
	watch->func = func;
	watch->user_data = user_data;
	return g_unix_fd_add_full(G_PRIORITY_DEFAULT,
				  fd,
				  G_IO_IN,
				  on_signal_readable,
				  watch,
				  watch_free);
}
