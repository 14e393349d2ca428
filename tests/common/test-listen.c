/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <unistd.h>

#include "common/ms-listen.h"
#include "ms-test-utils.h"

/*
 * unit tests: the sockets a service listens on, from systemd's LISTEN_FDS or from
 * --listen, and the errors an operator sees when either is wrong
 */

/* LISTEN_FDS for this process, as systemd would set it */
static void
listen_env_set(const char *n_fds, const char *names)
{
	g_autofree char *pid = g_strdup_printf("%d", (int)getpid());

	g_setenv("LISTEN_PID", pid, TRUE);
	g_setenv("LISTEN_FDS", n_fds, TRUE);
	if (names != NULL)
		g_setenv("LISTEN_FDNAMES", names, TRUE);
	else
		g_unsetenv("LISTEN_FDNAMES");
}

static void
test_systemd_bad_count(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) sockets = NULL;

	listen_env_set("many", NULL);
	sockets = ms_listen_sockets_from_systemd(&error);
	g_assert_null(sockets);
	g_assert_nonnull(error);
	g_assert_true(g_str_has_prefix(error->message, "reading LISTEN_FDS: "));
	/* taken either way: a child started later must not see them */
	g_assert_null(g_getenv("LISTEN_FDS"));
}

static void
test_systemd_not_listening(void)
{
	int saved = dup(3);
	int fds[2];
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) sockets = NULL;

	/* a pipe where the listening socket should be: Accept=yes, or a wrong unit */
	g_assert_cmpint(pipe(fds), ==, 0);
	g_assert_cmpint(dup2(fds[0], 3), ==, 3);
	listen_env_set("1", "web");
	sockets = ms_listen_sockets_from_systemd(&error);
	g_assert_null(sockets);
	g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
	g_assert_cmpstr(error->message,
			==,
			"passed fd 3 (web) is not a listening stream socket; "
			"socket units need Accept=no");

	close(fds[0]);
	close(fds[1]);
	if (saved >= 0) {
		dup2(saved, 3);
		close(saved);
	} else {
		close(3);
	}
}

static void
test_tcp_ipv6(void)
{
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);
	g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocket) probe = NULL;
	g_autoptr(GSocketAddress) probed = NULL;
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) bound = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *spec = NULL;
	g_autofree char *host = NULL;
	guint16 port;

	/* a free port on ::1, if this host has IPv6 at all */
	probe = g_socket_new(G_SOCKET_FAMILY_IPV6,
			     G_SOCKET_TYPE_STREAM,
			     G_SOCKET_PROTOCOL_DEFAULT,
			     NULL);
	if (probe == NULL || !g_socket_bind(probe, any_port, FALSE, NULL)) {
		g_test_skip("no IPv6 loopback here");
		return;
	}
	probed = g_socket_get_local_address(probe, &error);
	g_assert_no_error(error);
	port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(probed));
	g_socket_close(probe, NULL);

	/* the brackets are the spec's, not the address's */
	spec = g_strdup_printf("tcp:[::1]:%u", port);
	socket = ms_listen_socket_open(spec, &error);
	g_assert_no_error(error);
	bound = g_socket_get_local_address(socket, &error);
	g_assert_no_error(error);
	host = g_inet_address_to_string(
		g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(bound)));
	g_assert_cmpstr(host, ==, "::1");
	g_assert_cmpuint(g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)), ==, port);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/listen/systemd-bad-count", test_systemd_bad_count);
	g_test_add_func("/listen/systemd-not-listening", test_systemd_not_listening);
	g_test_add_func("/listen/tcp-ipv6", test_tcp_ipv6);
	return g_test_run();
}
