/* console.c: the operator's console, on when stdin is a terminal. One
 * command per line; the master reads it between its other duties and
 * answers through the event layer's stdout (never blocking). */
#include "console.h"
#include "catalogue.h"
#include "report.h"

#include "ft_event.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

void
console_prompt(void)
{
	ft_out("ft> ");
}

static void
console_help(void)
{
	ft_out("commands:\n"
	    "  list           the catalogue (* marks the selected file)\n"
	    "  select NAME    send NAME in the next tests\n"
	    "  group N        wait for N connections per test (0: the client says)\n"
	    "  stats          a row per worker, then totals\n"
	    "  rescan         read the files folder again (as SIGHUP)\n"
	    "  quit           stop the server (as SIGTERM)\n");
}

static void
console_select(struct ft_shm *shm, const char *name)
{
	bool known;

	ft_shm_lock(&shm->lock);
	known = ft_name_valid(name) && catalogue_contains(shm, name);
	if (known)
		strlcpy(shm->config.selected, name, sizeof(shm->config.selected));
	ft_shm_unlock(&shm->lock);
	if (known)
		ft_out("selected %s\n", name);
	else
		ft_out("no such file (try 'list')\n");
}

static void
console_group(struct ft_shm *shm, const struct ft_conf *conf,
    const char *arg)
{
	const char *err = NULL;
	long long n = strtonum(arg, 0, conf->workers, &err);

	if (err != NULL) {
		ft_out("group size must be 0..%u\n", conf->workers);
		return;
	}
	ft_shm_lock(&shm->lock);
	shm->config.group_size = (uint32_t)n;
	ft_shm_unlock(&shm->lock);
	if (n)
		ft_out("tests wait for %lld connections\n", n);
	else
		ft_out("the client run sets the group size\n");
}

static void
print_text(char *text)
{
	if (text != NULL)
		ft_out("%s", text);
	free(text);
}

void
console_handle_line(struct ft_shm *shm, const struct ft_conf *conf,
    char *line)
{
	char *cmd = strtok(line, " \t\r\n"), *arg = strtok(NULL, " \t\r\n");

	if (cmd == NULL)
		return;
	if (strcmp(cmd, "list") == 0 || strcmp(cmd, "ls") == 0)
		print_text(catalogue_text(shm));
	else if (strcmp(cmd, "select") == 0 && arg != NULL)
		console_select(shm, arg);
	else if (strcmp(cmd, "group") == 0 && arg != NULL)
		console_group(shm, conf, arg);
	else if (strcmp(cmd, "stats") == 0)
		print_text(report_stats_text(shm, conf));
	else if (strcmp(cmd, "rescan") == 0)
		raise(SIGHUP);
	else if (strcmp(cmd, "quit") == 0)
		raise(SIGTERM);
	else
		console_help();
}
