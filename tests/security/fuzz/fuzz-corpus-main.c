#include "config.h"

#include <glib.h>

int
LLVMFuzzerTestOneInput(const guint8 *data, size_t size);

/*
 * Runs a fuzz target over every file of its seed corpus, as an ordinary test
 * in builds without libFuzzer (TAP output, one line per input).
 */
int
main(int argc, char **argv)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);

	for (int i = 1; i < argc; i++) {
		g_autoptr(GDir) dir = g_dir_open(argv[i], 0, NULL);
		const char *name;

		if (dir == NULL) {
			g_ptr_array_add(paths, g_strdup(argv[i]));
			continue;
		}
		while ((name = g_dir_read_name(dir)) != NULL)
			g_ptr_array_add(paths, g_build_filename(argv[i], name, NULL));
	}
	g_ptr_array_sort(paths, (GCompareFunc)g_strcmp0);
	g_print("1..%u\n", paths->len);
	for (guint i = 0; i < paths->len; i++) {
		const char *path = g_ptr_array_index(paths, i);
		g_autofree char *data = NULL;
		gsize len = 0;
		g_autoptr(GError) error = NULL;

		if (!g_file_get_contents(path, &data, &len, &error)) {
			g_print("not ok %u %s # %s\n", i + 1, path, error->message);
			return 1;
		}
		LLVMFuzzerTestOneInput((const guint8 *)data, len);
		g_print("ok %u %s\n", i + 1, path);
	}
	return 0;
}
