/* spawnrate.c - the spawn limit for bench/run: how many times per second a script can
 * be started and reaped with posix_spawn, a fixed number of children in flight.
 *
 *   spawnrate [-j IN_FLIGHT] [-d SECONDS] [-w WARMUP] SCRIPT
 *
 * Each child gets /dev/null as stdin, stdout and stderr and its own process group;
 * a new one starts whenever one is reaped. Prints one line:
 *
 *   spawns=N secs=S rate=R parent_us=U
 *
 * parent_us is this process's own CPU (user+system) per spawn: what starting a child
 * costs the parent, without the child's CPU. Default: 2 in flight, 5 s, 0.5 s warm-up. */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static posix_spawn_file_actions_t fa;
static posix_spawnattr_t attr;

static int start(const char *script)
{
	pid_t pid;
	char *argv[] = {(char *)script, NULL};
	int rc = posix_spawn(&pid, script, &fa, &attr, argv, environ);
	if (rc != 0) {
		fprintf(stderr, "spawnrate: posix_spawn %s: %s\n", script, strerror(rc));
		exit(1);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int jobs = 2, c, running = 0;
	double secs = 5, warmup = 0.5, t0, t1, cpu0, cpu1;
	unsigned long spawns = 0;
	const char *script;
	while ((c = getopt(argc, argv, "j:d:w:")) != -1) {
		switch (c) {
		case 'j':
			jobs = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		case 'w':
			warmup = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: spawnrate [-j N] [-d S] [-w S] SCRIPT\n");
			return 2;
		}
	}
	if (optind != argc - 1 || jobs < 1) {
		fprintf(stderr, "usage: spawnrate [-j N] [-d S] [-w S] SCRIPT\n");
		return 2;
	}
	script = argv[optind];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);

	/* warm-up, then the measured window; at most `jobs` children at any time */
	for (int phase = 0; phase < 2; phase++) {
		double end;
		t0 = now_s();
		cpu0 = self_cpu_s();
		end = t0 + (phase ? secs : warmup);
		spawns = 0;
		while (now_s() < end) {
			while (running < jobs) {
				start(script);
				running++;
			}
			if (waitpid(-1, NULL, 0) > 0) {
				running--;
				spawns++;
			}
		}
		t1 = now_s();
		cpu1 = self_cpu_s();
	}
	while (running > 0 && waitpid(-1, NULL, 0) > 0)
		running--;
	printf("spawns=%lu secs=%.3f rate=%.1f parent_us=%.1f\n", spawns, t1 - t0,
	       (double)spawns / (t1 - t0), spawns ? (cpu1 - cpu0) * 1e6 / (double)spawns : 0);
	return 0;
}
