/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "ms-peer.h"

#include <errno.h>
#include <sys/socket.h>

/**
 * ms_peer_state:
 * @socket: a client connection libsoup serves
 *
 * What the client on @socket is doing, without reading anything libsoup would
 * read. A unix socket reports a hang-up as HUP; a TCP socket only as a readable
 * end of stream, which a one-byte peek tells from a request.
 */
MsPeerState
ms_peer_state(GSocket *socket)
{
	GIOCondition condition;
	char byte;
	gssize got;

	if (g_socket_is_closed(socket))
		return MS_PEER_GONE;
	condition = g_socket_condition_check(socket, G_IO_IN | G_IO_HUP | G_IO_ERR);
	if (condition & (G_IO_HUP | G_IO_ERR))
		return MS_PEER_GONE;
	if (!(condition & G_IO_IN))
		return MS_PEER_QUIET;
	got = recv(g_socket_get_fd(socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	if (got > 0)
		return MS_PEER_SENT;
	if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return MS_PEER_QUIET;
	return MS_PEER_GONE;
}
