/*
 * bench.h: what the benchmark helpers (tests/bench/) share.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The monotonic clock in microseconds. */
static inline double
bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* "<prog>: <what>[: <why>]" and exit 1. */
static inline void __attribute__((noreturn))
bench_die(const char *prog, const char *what, const char *why)
{
	fprintf(stderr, "%s: %s%s%s\n", prog, what, why ? ": " : "",
	    why ? why : "");
	exit(1);
}

#endif
