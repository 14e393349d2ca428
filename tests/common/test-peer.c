/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <sys/socket.h>

#include "common/ms-peer.h"
#include "ms-test-utils.h"

/*
 * unit tests: what a connection's peer did, seen without reading from it (the
 * connection tracker's question for idle keep-alive connections)
 */

static void
socket_pair(GSocket **ours, GSocket **theirs)
{
	int fds[2];
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
	*ours = g_socket_new_from_fd(fds[0], &error);
	g_assert_no_error(error);
	*theirs = g_socket_new_from_fd(fds[1], &error);
	g_assert_no_error(error);
}

static void
test_quiet_then_sent(void)
{
	g_autoptr(GSocket) ours = NULL;
	g_autoptr(GSocket) theirs = NULL;
	char byte = 0;

	socket_pair(&ours, &theirs);
	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_QUIET);
	g_assert_cmpint(g_socket_send(theirs, "G", 1, NULL, NULL), ==, 1);
	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_SENT);
	/* a peek: the byte is still there for whoever reads the request */
	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_SENT);
	g_assert_cmpint(g_socket_receive(ours, &byte, 1, NULL, NULL), ==, 1);
	g_assert_cmpint(byte, ==, 'G');
	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_QUIET);
}

static void
test_gone(void)
{
	g_autoptr(GSocket) ours = NULL;
	g_autoptr(GSocket) theirs = NULL;

	socket_pair(&ours, &theirs);
	g_assert_true(g_socket_close(theirs, NULL));
	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_GONE);
	/* our own end closed: nobody is there either */
	g_assert_true(g_socket_close(ours, NULL));
	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_GONE);
}

/* TCP says nothing of a hang-up until read: the peek sees the end of the stream */
static void
test_tcp_gone(void)
{
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) any_port = g_inet_socket_address_new(loopback, 0);
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GSocket) listener = NULL;
	g_autoptr(GSocket) client = NULL;
	g_autoptr(GSocket) ours = NULL;
	g_autoptr(GError) error = NULL;

	listener = g_socket_new(G_SOCKET_FAMILY_IPV4,
				G_SOCKET_TYPE_STREAM,
				G_SOCKET_PROTOCOL_TCP,
				&error);
	g_assert_no_error(error);
	g_assert_true(g_socket_bind(listener, any_port, TRUE, &error));
	g_assert_true(g_socket_listen(listener, &error));
	address = g_socket_get_local_address(listener, &error);
	g_assert_no_error(error);
	client = g_socket_new(G_SOCKET_FAMILY_IPV4,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_TCP,
			      &error);
	g_assert_true(g_socket_connect(client, address, NULL, &error));
	ours = g_socket_accept(listener, NULL, &error);
	g_assert_no_error(error);

	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_QUIET);
	g_assert_true(g_socket_close(client, NULL));
	g_assert_true(g_socket_condition_timed_wait(ours, G_IO_IN, 5 * G_USEC_PER_SEC, NULL, NULL));
	g_assert_cmpint(ms_peer_state(ours), ==, MS_PEER_GONE);
}

int
main(int argc, char **argv)
{
	ms_test_init(&argc, &argv);
	g_test_add_func("/peer/quiet-then-sent", test_quiet_then_sent);
	g_test_add_func("/peer/gone", test_gone);
	g_test_add_func("/peer/tcp-gone", test_tcp_gone);
	return g_test_run();
}
