/*
 * Reading back what a unit test logged: log_capture() points stderr at a
 * pipe, log_read() returns everything written since its last call, and
 * log_count() counts the occurrences of a string in it.  The pipe holds
 * 64 KiB; read it before a test logs more than that.
 */
#ifndef XS_LOGCAPTURE_H
#define XS_LOGCAPTURE_H

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int log_capture_fd = -1;

static inline void
log_capture(void)
{
	int	fds[2];

	if (pipe(fds) == -1 || dup2(fds[1], STDERR_FILENO) == -1)
		abort();
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	log_capture_fd = fds[0];
}

static inline const char *
log_read(void)
{
	static char	buf[65536];
	ssize_t		n;
	size_t		off = 0;

	while (off < sizeof(buf) - 1 && (n = read(log_capture_fd, buf + off,
	    sizeof(buf) - 1 - off)) > 0)
		off += (size_t)n;
	buf[off] = '\0';
	return buf;
}

static inline int
log_count(const char *hay, const char *needle)
{
	int	n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

#endif /* XS_LOGCAPTURE_H */
