#include "config.h"

#include "ms-gateway-front-private.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "common/ms-log.h"

/*
 * Accepting for a front: every worker's front (and the in-process tests'
 * front) watches the listening sockets it is given and takes what arrives.
 * Several workers accept on duplicates of the same socket, so an accept that
 * finds nothing is normal: another worker was quicker.
 */

/* at most this many accepts per wakeup, so one busy socket cannot starve the rest */
#define FRONT_ACCEPT_BATCH 16

static gboolean
on_accept(GSocket *listener, GIOCondition condition, gpointer user_data)
{
	MsGatewayFront *self = user_data;

	for (guint i = 0; i < FRONT_ACCEPT_BATCH && !self->stopping; i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GSocket) client = g_socket_accept(listener, NULL, &error);
		GSocketFamily family;

		if (client == NULL) {
			if (!g_error_matches(error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
				ms_warning("accept failed: %s", error->message);
			break;
		}
		family = g_socket_get_family(client);
		if (family == G_SOCKET_FAMILY_IPV4 || family == G_SOCKET_FAMILY_IPV6)
			g_socket_set_option(client, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
		ms_gateway_front_accept(self, client);
	}
	return G_SOURCE_CONTINUE;
}

/**
 * ms_gateway_front_listen:
 * @listener: a listening socket; the front keeps a reference and closes it
 *   when freed
 *
 * Accepts the connections that arrive on @listener until the front stops.
 */
void
ms_gateway_front_listen(MsGatewayFront *self, GSocket *listener)
{
	GSource *source;

	g_socket_set_blocking(listener, FALSE);
	g_ptr_array_add(self->listeners, g_object_ref(listener));
	source = g_socket_create_source(listener, G_IO_IN, NULL);
	g_source_set_callback(source, (GSourceFunc)(void (*)(void))on_accept, self, NULL);
	g_source_attach(source, self->context);
	g_ptr_array_add(self->accept_sources, source);
}

/* no new connections from here on */
void
front_listen_stop(MsGatewayFront *self)
{
	for (guint i = 0; i < self->accept_sources->len; i++)
		g_source_destroy(g_ptr_array_index(self->accept_sources, i));
}
