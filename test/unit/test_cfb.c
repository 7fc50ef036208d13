/*
 * Compound file layout (src/core/cfb.c): sector counts for the package sizes
 * that matter, the header, FAT/DIFAT/MiniFAT contents and the directory.
 * A whole file is assembled in memory and walked like a reader would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cfb.h"

#define INFO 1289				/* EncryptionInfo length of the Agile writer */

static uint32_t
rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t) p[3] << 24;
}

typedef struct membuf
{
	uint8_t    *p;
	size_t		len,
				cap;
	int			fail_after;		/* fail the Nth write (0 = never) */
	int			writes;
} membuf;

static cs_status
mem_write(void *arg, const void *buf, size_t len, cs_err *err)
{
	membuf	   *m = arg;

	if (m->fail_after && ++m->writes >= m->fail_after)
		return cs_err_set(err, CS_ERR_IO, "injected write failure");
	if (m->len + len > m->cap)
	{
		m->cap = (m->len + len) * 2;
		m->p = realloc(m->p, m->cap);
		assert_non_null(m->p);
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return CS_OK;
}

/* Expected counts, derived by hand from MS-CFB (see the comments). */
static void
test_plan_counts(void **state)
{
	cs_cfb_plan p;
	cs_err		err;

	/*
	 * Fixed mini streams: 76, 112, 64, 200, 1289 bytes = 2+2+1+4+21 = 30 mini
	 * sectors = 1920 bytes = 4 sectors; 1 MiniFAT sector; 3 directory sectors.
	 */
	assert_int_equal(cs_cfb_plan_init(&p, 8 + 4096, INFO, &err), CS_OK);
	assert_false(p.pkg_in_mini);
	assert_int_equal(p.pkg_sectors, 9);
	assert_int_equal(p.n_minisect, 30);
	assert_int_equal(p.mini_sectors, 4);
	assert_int_equal(p.minifat_sectors, 1);
	assert_int_equal(p.dir_sectors, 3);
	assert_int_equal(p.fat_sectors, 1);
	assert_int_equal(p.difat_sectors, 0);
	assert_int_equal(p.total_sectors, 9 + 4 + 1 + 3 + 1);
	assert_int_equal(cs_cfb_package_padding(&p), 9 * 512 - 4104);

	/* a stream of 4095 bytes is mini: 64 more mini sectors, 94 in all */
	assert_int_equal(cs_cfb_plan_init(&p, 4095, INFO, &err), CS_OK);
	assert_true(p.pkg_in_mini);
	assert_int_equal(p.n_minisect, 64 + 30);
	assert_int_equal(p.mini_sectors, 12);	/* 94 * 64 = 6016 -> 12 sectors */
	assert_int_equal(p.pkg_sectors, 0);
	assert_int_equal(cs_cfb_package_padding(&p), 0);
	/* exactly 4096 is not mini (the cutoff is "smaller than") */
	assert_int_equal(cs_cfb_plan_init(&p, 4096, INFO, &err), CS_OK);
	assert_false(p.pkg_in_mini);

	/*
	 * 109 FAT sectors map 13,952 sectors: package 13,835 + 8 + 109 fits
	 * (stream 7,083,520 bytes); one byte more needs a 110th FAT sector and so
	 * a DIFAT sector.
	 */
	assert_int_equal(cs_cfb_plan_init(&p, 7083520, INFO, &err), CS_OK);
	assert_int_equal(p.fat_sectors, 109);
	assert_int_equal(p.difat_sectors, 0);
	assert_int_equal(p.total_sectors, 13952);
	assert_int_equal(cs_cfb_plan_init(&p, 7083521, INFO, &err), CS_OK);
	assert_int_equal(p.fat_sectors, 110);
	assert_int_equal(p.difat_sectors, 1);

	/* 100 MiB + 8: 204,801 package sectors -> 1613 FAT, 12 DIFAT (notes' table) */
	assert_int_equal(cs_cfb_plan_init(&p, 104857600 + 8, INFO, &err), CS_OK);
	assert_int_equal(p.fat_sectors, 1613);
	assert_int_equal(p.difat_sectors, 12);
	/* every sector is mapped and the FAT does not overshoot by a sector */
	assert_true((uint64_t) p.fat_sectors * 128 >= p.total_sectors);
	assert_true((uint64_t) (p.fat_sectors - 1) * 128 < p.total_sectors);

	/* limits */
	assert_int_equal(cs_cfb_plan_init(&p, 7, INFO, &err), CS_ERR_BADARG);
	assert_int_equal(cs_cfb_plan_init(&p, CS_CFB_MAX_STREAM + 1, INFO, &err), CS_ERR_LIMIT);
	assert_non_null(strstr(err.msg, "exceeds"));
	assert_int_equal(cs_cfb_plan_init(&p, 5000, 4096, &err), CS_ERR_BADARG);
	assert_int_equal(cs_cfb_plan_init(&p, 5000, 0, &err), CS_ERR_BADARG);
}

static void
test_dataspaces_streams(void **state)
{
	uint8_t		v[CS_CFB_VERSION_SIZE],
				m[CS_CFB_DATASPACEMAP_SIZE],
				s[CS_CFB_SEDATASPACE_SIZE],
				p[CS_CFB_PRIMARY_SIZE];

	cs_cfb_version_stream(v);
	cs_cfb_dataspacemap_stream(m);
	cs_cfb_sedataspace_stream(s);
	cs_cfb_primary_stream(p);
	/* MS-OFFCRYPTO 2.1.5-2.1.8 field values */
	assert_int_equal(rd32(v), 0x3C);
	assert_memory_equal(v + 4, "M\0i\0c\0r\0o\0", 10);
	assert_int_equal(rd32(v + 64), 0x00000001);
	assert_int_equal(rd32(v + 72), 0x00000001);
	assert_int_equal(rd32(m), 8);
	assert_int_equal(rd32(m + 4), 1);
	assert_int_equal(rd32(m + 8), 0x68);
	assert_int_equal(rd32(m + 12), 1);
	assert_int_equal(rd32(m + 16), 0);
	assert_int_equal(rd32(m + 20), 32);	/* "EncryptedPackage" */
	assert_int_equal(rd32(m + 56), 50);	/* "StrongEncryptionDataSpace" */
	assert_int_equal(rd32(s + 8), 50);
	assert_int_equal(rd32(p), 0x58);
	assert_int_equal(rd32(p + 4), 1);
	assert_int_equal(rd32(p + 8), 76);	/* the 38-character transform id */
	assert_memory_equal(p + 12, "{\0F\0F\0" "9\0A\0", 10);
	assert_int_equal(rd32(p + 88), 78);	/* "Microsoft.Container.EncryptionTransform" */
	assert_int_equal(rd32(p + 196), 4);
}

/* Build a whole file for a package stream of pkg bytes (content: its offset). */
static void
build(membuf *m, uint64_t pkg, cs_cfb_plan *p)
{
	uint8_t		hdr[512];
	uint8_t		info[INFO];
	uint8_t    *small = NULL;
	cs_err		err;

	memset(m, 0, sizeof(*m));
	memset(info, 'I', sizeof(info));
	assert_int_equal(cs_cfb_plan_init(p, pkg, INFO, &err), CS_OK);
	cs_cfb_header(p, hdr);
	assert_int_equal(mem_write(m, hdr, 512, &err), CS_OK);
	if (p->pkg_in_mini)
	{
		small = malloc(pkg);
		memset(small, 'P', pkg);
	}
	else
	{
		uint8_t    *z = malloc(pkg + cs_cfb_package_padding(p));

		memset(z, 'P', pkg);
		memset(z + pkg, 0, cs_cfb_package_padding(p));
		assert_int_equal(mem_write(m, z, pkg + cs_cfb_package_padding(p), &err), CS_OK);
		free(z);
	}
	assert_int_equal(cs_cfb_write_tail(p, info, small, mem_write, m, &err), CS_OK);
	free(small);
	assert_int_equal(m->len, p->file_size);
}

/* Walk the file like a reader: DIFAT, FAT chains, directory, mini stream. */
static void
walk(const uint8_t *f, size_t len, uint64_t pkg)
{
	uint32_t	nsect = (uint32_t) (len / 512 - 1);
	uint32_t	nfat = rd32(f + 0x2C);
	uint32_t	ndifat = rd32(f + 0x48);
	uint32_t   *fatsecs = calloc(nfat + 1, 4);
	uint32_t	k = 0,
				cur;
	uint8_t    *seen = calloc(nsect, 1);
	const uint8_t *dir;
	const uint8_t *e;

#define SECT(i) (f + 512 * ((size_t) (i) + 1))
#define FAT(i) rd32(SECT(fatsecs[(i) / 128]) + 4 * ((i) % 128))

	assert_memory_equal(f, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
	assert_int_equal(rd32(f + 0x28), 0);	/* v3: directory sector count 0 */
	for (uint32_t i = 0; i < 109; i++)
	{
		if (i < nfat)
			fatsecs[k++] = rd32(f + 0x4C + 4 * i);
		else
			assert_int_equal(rd32(f + 0x4C + 4 * i), CS_CFB_FREESECT);
	}
	cur = rd32(f + 0x44);
	if (ndifat == 0)
		assert_int_equal(cur, CS_CFB_ENDOFCHAIN);
	for (uint32_t j = 0; j < ndifat; j++)
	{
		const uint8_t *d = SECT(cur);

		for (uint32_t i = 0; i < 127; i++)
		{
			if (k < nfat)
				fatsecs[k++] = rd32(d + 4 * i);
			else
				assert_int_equal(rd32(d + 4 * i), CS_CFB_FREESECT);
		}
		cur = rd32(d + 508);
		if (j + 1 == ndifat)
			assert_int_equal(cur, CS_CFB_ENDOFCHAIN);
	}
	assert_int_equal(k, nfat);
	for (uint32_t i = 0; i < nfat; i++)
	{
		assert_int_equal(FAT(fatsecs[i]), CS_CFB_FATSECT);
		seen[fatsecs[i]] = 1;
	}
	for (uint32_t s = nsect; s < nfat * 128; s++)
		assert_int_equal(FAT(s), CS_CFB_FREESECT);

	/* directory chain and entries */
	dir = SECT(rd32(f + 0x30));
	for (cur = rd32(f + 0x30); cur != CS_CFB_ENDOFCHAIN; cur = FAT(cur))
	{
		assert_false(seen[cur]);
		seen[cur] = 1;
	}
	/* root, then EncryptedPackage (entry 1) */
	assert_int_equal(dir[0x42], 5);
	e = dir + 128;
	assert_memory_equal(e, "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0", 20);
	assert_int_equal(rd32(e + 0x78), (uint32_t) pkg);
	if (pkg >= 4096)
	{
		uint32_t	n = 0;

		for (cur = rd32(e + 0x74); cur != CS_CFB_ENDOFCHAIN; cur = FAT(cur), n++)
		{
			assert_true(cur < nsect);
			assert_false(seen[cur]);
			seen[cur] = 1;
			assert_int_equal(SECT(cur)[0], n * 512 < pkg ? 'P' : 0);
		}
		assert_int_equal(n, (pkg + 511) / 512);
	}
	/* mini stream and MiniFAT chains */
	for (cur = rd32(dir + 0x74); cur != CS_CFB_ENDOFCHAIN; cur = FAT(cur))
	{
		assert_false(seen[cur]);
		seen[cur] = 1;
	}
	for (cur = rd32(f + 0x3C); cur != CS_CFB_ENDOFCHAIN; cur = FAT(cur))
	{
		assert_false(seen[cur]);
		seen[cur] = 1;
	}
	/* DIFAT sectors */
	for (cur = rd32(f + 0x44); cur != CS_CFB_ENDOFCHAIN; cur = rd32(SECT(cur) + 508))
	{
		assert_int_equal(FAT(cur), CS_CFB_DIFSECT);
		assert_false(seen[cur]);
		seen[cur] = 1;
	}
	for (uint32_t s = 0; s < nsect; s++)
		assert_true(seen[s]);	/* no orphan sector */
	/* unused directory slot 11: zero except NOSTREAM links */
	{
		const uint8_t *d3 = SECT(FAT(FAT(rd32(f + 0x30))));	/* third dir sector */
		const uint8_t *u = d3 + 128 * 3;

		for (int i = 0; i < 0x44; i++)
			assert_int_equal(u[i], 0);
		assert_int_equal(rd32(u + 0x44), CS_CFB_NOSTREAM);
		assert_int_equal(rd32(u + 0x48), CS_CFB_NOSTREAM);
		assert_int_equal(rd32(u + 0x4C), CS_CFB_NOSTREAM);
		for (int i = 0x50; i < 128; i++)
			assert_int_equal(u[i], 0);
		/* entry 10 EncryptionInfo is the root's child, L=2 R=1 */
		assert_memory_equal(d3 + 128 * 2, "E\0n\0c\0r\0y\0p\0t\0i\0o\0n\0I\0", 22);
		assert_int_equal(rd32(d3 + 128 * 2 + 0x44), 2);
		assert_int_equal(rd32(d3 + 128 * 2 + 0x48), 1);
		assert_int_equal(rd32(dir + 0x4C), 10);
	}
	free(fatsecs);
	free(seen);
#undef SECT
#undef FAT
}

static void
test_files(void **state)
{
	/* package stream sizes: tiny, around the mini cutoff, segment multiples,
	 * around the DIFAT boundary, 24 MB */
	static const uint64_t sizes[] = {8, 208, 4095, 4096, 4104, 4112, 8200,
	7083520, 7083536, 24000008};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
	{
		membuf		m;
		cs_cfb_plan p;

		build(&m, sizes[i], &p);
		walk(m.p, m.len, sizes[i]);
		free(m.p);
	}
}

static void
test_write_errors(void **state)
{
	cs_cfb_plan p;
	uint8_t		info[INFO] = {0};
	cs_err		err;

	assert_int_equal(cs_cfb_plan_init(&p, 24000008, INFO, &err), CS_OK);
	/* fail at the first, a middle and the last write of the tail */
	for (int n = 1; n < 100; n += 7)
	{
		membuf		m = {.fail_after = n};
		cs_status	rc = cs_cfb_write_tail(&p, info, NULL, mem_write, &m, &err);

		free(m.p);
		if (rc == CS_OK)
			break;
		assert_int_equal(rc, CS_ERR_IO);
		assert_string_equal(err.msg, "injected write failure");
	}
	{
		membuf		m = {0};

		assert_int_equal(cs_cfb_write_tail(&p, NULL, NULL, mem_write, &m, &err), CS_ERR_BADARG);
		assert_int_equal(cs_cfb_plan_init(&p, 100, INFO, &err), CS_OK);
		assert_int_equal(cs_cfb_write_tail(&p, info, NULL, mem_write, &m, &err), CS_ERR_BADARG);
		free(m.p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_counts),
		cmocka_unit_test(test_dataspaces_streams),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_write_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
