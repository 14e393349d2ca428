#include "config.h"

#include "ms-keepalive.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <errno.h>

/**
 * ms_server_enable_keepalive:
 *
 * libsoup 3 keeps a client connection open after a response only while the
 * server has a listener of its own (soup-server.c checks priv->listeners before
 * reading the next request). Our binaries accept connections themselves
 * (soup_server_accept_iostream) so they can stop accepting on SIGTERM; without a
 * listener every connection would close after one request. So the server gets
 * one that never receives a connection: an autobound abstract Unix socket.
 */
gboolean
ms_server_enable_keepalive(SoupServer *server, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	struct sockaddr_un address = { .sun_family = AF_UNIX };

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX,
			      G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT,
			      error);
	if (socket == NULL)
		return FALSE;
	/* binding only the family autobinds a unique abstract name */
	if (bind(g_socket_get_fd(socket), (struct sockaddr *)&address, sizeof(sa_family_t)) != 0) {
		int errsv = errno;
		g_set_error(error,
			    G_IO_ERROR,
			    g_io_error_from_errno(errsv),
			    "binding the keep-alive anchor: %s",
			    g_strerror(errsv));
		return FALSE;
	}
	g_socket_set_listen_backlog(socket, 1);
	if (!g_socket_listen(socket, error))
		return FALSE;
	return soup_server_listen_socket(server, socket, 0, error);
}

/**
 * ms_socket_set_nodelay:
 *
 * libsoup writes a response head and body in separate writes; on a kept-alive
 * TCP connection Nagle's algorithm then holds the body until the client's
 * delayed ACK (40 ms). Unix sockets are left alone.
 */
void
ms_socket_set_nodelay(GSocket *socket)
{
	GSocketFamily family = g_socket_get_family(socket);

	if (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6)
		g_socket_set_option(socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
}
