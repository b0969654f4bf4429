/* proc.h: the master and its workers' lives. */
#ifndef PROC_H
#define PROC_H

#include "conf.h"
#include "ft_shm.h"

/* Forks the workers and supervises them until stopped; returns the exit
 * status (0, or FT_EXIT_FATAL when a worker's setup can never work). */
int proc_run(const struct ft_conf *conf, const struct ft_sockets *socks,
    struct ft_shm *shm);

#endif
