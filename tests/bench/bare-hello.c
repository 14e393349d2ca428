/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include <libsoup/soup.h>

/*
 * The bench's floor: a SoupServer with nothing of microsoup's runtime, answering
 * GET /hello with the bytes microsoup-hello sends, so that the difference between
 * the two rows is what the runtime, the handler and the service cost.
 *
 *   bare-hello PORT [EXTRA_NS]   (listens on 127.0.0.1:PORT until killed)
 *
 * With EXTRA_NS, each request also keeps the CPU busy that many nanoseconds: a
 * known amount of added work, so that the bench can show how much CPU per request
 * this machine reads for it (the calibration row).
 */

static gint64 extra_ns;

/* a busy wait on the monotonic clock: CPU time, no system call, nothing to cache */
static void
burn_extra(void)
{
	struct timespec start, now;

	if (extra_ns == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * G_GINT64_CONSTANT(1000000000) +
		       (now.tv_nsec - start.tv_nsec) <
	       extra_ns);
}

static void
hello_handler(SoupServer *server,
	      SoupServerMessage *msg,
	      const char *path,
	      GHashTable *query,
	      gpointer user_data)
{
	static const char body[] = "{\"message\":\"Hello!\"}";

	soup_server_message_set_status(msg, SOUP_STATUS_OK, NULL);
	soup_server_message_set_response(msg,
					 "application/json; charset=utf-8",
					 SOUP_MEMORY_STATIC,
					 body,
					 sizeof body - 1);
	burn_extra();
}

int
main(int argc, char **argv)
{
	g_autoptr(SoupServer) server = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GSocket) listener = NULL;

	if (argc != 2 && argc != 3) {
		g_printerr("usage: %s PORT [EXTRA_NS]\n", argv[0]);
		return EXIT_FAILURE;
	}
	if (argc == 3)
		extra_ns = g_ascii_strtoll(argv[2], NULL, 10);
	address = g_inet_socket_address_new(loopback, (guint16)atoi(argv[1]));
	server = soup_server_new("server-header", "bare-hello", NULL);
	soup_server_add_handler(server, "/hello", hello_handler, NULL, NULL);
	/*
	 * The socket is made here with microsoup-hello's backlog, not by
	 * soup_server_listen(), whose backlog of 10 cannot hold wrk's burst of 50
	 * connections: those over it were set up only when their SYN was sent again
	 * a second later, so for the first second of every run the floor served 27
	 * clients where hello served 50, and polled fewer sockets per request.
	 */
	listener = g_socket_new(G_SOCKET_FAMILY_IPV4,
				G_SOCKET_TYPE_STREAM,
				G_SOCKET_PROTOCOL_TCP,
				&error);
	if (listener != NULL) {
		g_socket_set_listen_backlog(listener, SOMAXCONN);
		if (!g_socket_bind(listener, address, TRUE, &error) ||
		    !g_socket_listen(listener, &error))
			g_clear_object(&listener);
	}
	if (listener == NULL || !soup_server_listen_socket(server, listener, 0, &error)) {
		g_printerr("%s: %s\n", argv[0], error->message);
		return EXIT_FAILURE;
	}
	loop = g_main_loop_new(NULL, FALSE);
	g_main_loop_run(loop);
	return EXIT_SUCCESS;
}
