/*
 * daemon: what the long-running programs (ehttp-mpd, ehttp-sited) share
 * to run as a service: a locked pid file, detaching with a start-up
 * report so errors still reach the terminal, and absolute paths (a
 * detached program changes to /).
 */
#ifndef DAEMON_H
#define DAEMON_H

#include <sys/types.h>

/* The pid file, locked while prog runs: a second process for the same pid
 * file is refused ("another PROG (pid N) holds the pid file P"). The open
 * descriptor, or -1 with *cause (free it). */
int	 daemon_pidfile_open(const char *prog, const char *path, char **cause);
/* Removes the pid file and lets go of the lock; fd -1: nothing. */
void	 daemon_pidfile_close(int fd, const char *path);
/*
 * Detach (fork, setsid). The parent waits until the child reports with
 * daemon_started() or daemon_failed() and exits: 0 after printing
 * "PROG: started, pid N", 1 after printing the child's reason (escaped).
 * Returns the report descriptor in the child.
 */
int	 daemon_detach(const char *prog);
/* In the child: start-up went well (stdio goes to /dev/null and the
 * working directory to /), or it failed for why. fd -1: not detached. */
void	 daemon_started(int fd);
void	 daemon_failed(int fd, const char *prog, const char *why);
/* p made absolute against the working directory; its directory. Both
 * malloc'ed. */
char	*daemon_absolute(const char *p);
char	*daemon_dir_of(const char *p);
/* mkdir -p with mode for what it creates: 0, or -1 with *cause. */
int	 daemon_mkdirs(const char *path, mode_t mode, char **cause);

#endif
