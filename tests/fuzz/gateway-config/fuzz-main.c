#include "config.h"

#include <glib.h>

/*
 * Without libFuzzer: runs every file of the seed corpus through the fuzz entry
 * point, as an ordinary test (TAP).
 */

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

int
main(int argc, char **argv)
{
	guint n = 0;

	g_print("TAP version 13\n");
	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
		const char *name;

		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *path = g_build_filename(argv[i], name, NULL);
			g_autofree char *data = NULL;
			gsize size = 0;

			if (!g_file_get_contents(path, &data, &size, NULL))
				continue;
			LLVMFuzzerTestOneInput((const guint8 *)data, size);
			g_print("ok %u - %s\n", ++n, name);
		}
	}
	g_print("1..%u\n", n);
	return n > 0 ? 0 : 1;
}
