/* console.h: the operator's console, on when stdin is a terminal. */
#ifndef CONSOLE_H
#define CONSOLE_H

#include "conf.h"
#include "ft_shm.h"

void console_prompt(void);
/* One command line; "quit" raises SIGTERM. */
void console_handle_line(struct ft_shm *shm, const struct ft_conf *conf,
    char *line);

#endif
