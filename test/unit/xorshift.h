/*
 * xorshift.h - the unit tests' deterministic pseudo-random numbers
 * (Marsaglia's xorshift64, fixed seed, so failures reproduce).
 */
#ifndef CS_TEST_XORSHIFT_H
#define CS_TEST_XORSHIFT_H

#include <stdint.h>

static uint64_t rng = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#endif							/* CS_TEST_XORSHIFT_H */
