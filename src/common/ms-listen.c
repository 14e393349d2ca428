/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-listen.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

/*
 * as a systemd socket unit's (Backlog= defaults to SOMAXCONN): a binary started
 * with --listen takes the same burst of connections as a socket-activated one
 */
#define MS_LISTEN_BACKLOG SOMAXCONN

/**
 * ms_listen_sockets_from_systemd:
 *
 * Takes every listening socket systemd passed (LISTEN_FDS/LISTEN_PID) and unsets the
 * variables so children do not inherit them.
 *
 * Returns: (transfer full) (element-type GSocket): possibly empty, or %NULL on error
 */
GPtrArray *
ms_listen_sockets_from_systemd(GError **error)
{
	g_autoptr(GPtrArray) sockets = g_ptr_array_new_with_free_func(g_object_unref);
	g_auto(GStrv) names = NULL;
	int n = sd_listen_fds_with_names(TRUE, &names);

	if (n < 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(-n),
			    "reading LISTEN_FDS: %s",
			    g_strerror(-n));
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		GSocket *socket;

		if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
			g_set_error(error,
				    G_IO_ERROR,
				    G_IO_ERROR_NOT_SUPPORTED,
				    "passed fd %d (%s) is not a listening stream socket; "
				    "socket units need Accept=no",
				    fd,
				    names != NULL && names[i] != NULL ? names[i] : "unnamed");
			return NULL;
		}
		socket = g_socket_new_from_fd(fd, error);
		if (socket == NULL)
			return NULL;
		g_ptr_array_add(sockets, socket);
	}
	return g_steal_pointer(&sockets);
}

static GSocketAddress *
parse_tcp(const char *hostport, GError **error)
{
	const char *colon = strrchr(hostport, ':');
	g_autofree char *host = NULL;
	guint64 port = 0;
	GInetAddress *inet;
	GSocketAddress *address;

	if (colon == NULL || !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL)) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "tcp:%s: expected HOST:PORT with a port of 1–65535",
			    hostport);
		return NULL;
	}
	host = g_strndup(hostport, colon - hostport);
	/* [::1]:8080 */
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		char *inner = g_strndup(host + 1, strlen(host) - 2);
		g_free(host);
		host = inner;
	}
	if (g_strcmp0(host, "localhost") == 0) {
		g_free(host);
		host = g_strdup("127.0.0.1");
	}
	inet = g_inet_address_new_from_string(host);
	if (inet == NULL) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "tcp:%s: %s is not a numeric address",
			    hostport,
			    host);
		return NULL;
	}
	address = g_inet_socket_address_new(inet, (guint16)port);
	g_object_unref(inet);
	return address;
}

static GSocketAddress *
parse_unix(const char *path, GError **error)
{
	GStatBuf st;

	if (!g_path_is_absolute(path)) {
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "unix:%s: the path must be absolute",
			    path);
		return NULL;
	}
	/* a socket file left by an earlier run would make bind() fail */
	if (g_lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		g_unlink(path);
	return g_unix_socket_address_new(path);
}

/**
 * ms_listen_socket_open:
 * @spec: `unix:PATH` or `tcp:HOST:PORT`
 *
 * The fallback when systemd passed no socket: bind and listen where @spec says.
 *
 * Returns: (transfer full): a listening socket, or %NULL with @error set
 */
GSocket *
ms_listen_socket_open(const char *spec, GError **error)
{
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GSocket) socket = NULL;

	if (g_str_has_prefix(spec, "unix:"))
		address = parse_unix(spec + strlen("unix:"), error);
	else if (g_str_has_prefix(spec, "tcp:"))
		address = parse_tcp(spec + strlen("tcp:"), error);
	else
		g_set_error(error,
			    G_IO_ERROR,
			    G_IO_ERROR_INVALID_ARGUMENT,
			    "--listen=%s: expected unix:PATH or tcp:HOST:PORT",
			    spec);
	if (address == NULL)
		return NULL;

	socket = g_socket_new(g_socket_address_get_family(address),
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT,
			      error);
	if (socket == NULL)
		return NULL;
	g_socket_set_listen_backlog(socket, MS_LISTEN_BACKLOG);
	if (!g_socket_bind(socket, address, TRUE, error) || !g_socket_listen(socket, error)) {
		g_prefix_error(error, "--listen=%s: ", spec);
		return NULL;
	}
	return g_steal_pointer(&socket);
}

/**
 * ms_listen_socket_dup:
 *
 * A duplicate to accept on: closing it stops that accepting, while @socket
 * (and systemd's copy of it) keeps the connections queued in the backlog.
 *
 * Returns: (transfer full): the duplicate, close-on-exec, or %NULL on error
 */
GSocket *
ms_listen_socket_dup(GSocket *socket, GError **error)
{
	int fd = fcntl(g_socket_get_fd(socket), F_DUPFD_CLOEXEC, 3);
	GSocket *duplicate;

	if (fd < 0) {
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errno),
			    "duplicating a listening socket: %s",
			    g_strerror(errno));
		return NULL;
	}
	duplicate = g_socket_new_from_fd(fd, error);
	if (duplicate == NULL)
		close(fd);
	return duplicate;
}
