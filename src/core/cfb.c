/*
 * cfb.c - Compound File Binary writer for the encrypted-package layout.
 * See cfb.h for the layout; MS-CFB 2.2-2.6 and MS-OFFCRYPTO 2.1/2.3.4 for
 * the formats.
 */
#include "cfb.h"

#include <string.h>

/* Directory entry ids (see cfb.h). */
enum
{
	D_ROOT = 0,
	D_PKG,
	D_DATASPACES,
	D_VERSION,
	D_DSMAP,
	D_DSINFO,
	D_SEDATASPACE,
	D_TRANSFORMINFO,
	D_SETRANSFORM,
	D_PRIMARY,
	D_INFO,
	D_COUNT
};

#define RED		0
#define BLACK	1
#define T_STORAGE	1
#define T_STREAM	2
#define T_ROOT		5

#define HEADER_DIFAT	109
#define FAT_PER_SECTOR	(CS_CFB_SECTOR / 4)
#define DIFAT_PER_SECTOR (CS_CFB_SECTOR / 4 - 1)

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
	p[2] = (uint8_t) (v >> 16);
	p[3] = (uint8_t) (v >> 24);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t) v);
	put32(p + 4, (uint32_t) (v >> 32));
}

static uint32_t
div_up(uint64_t a, uint32_t b)
{
	return (uint32_t) ((a + b - 1) / b);
}

/* Length-prefixed UTF-16LE (ASCII input) padded to 4 bytes; returns bytes used. */
static size_t
put_lpp4(uint8_t *p, const char *s)
{
	size_t		n = strlen(s);
	size_t		len = 4 + 2 * n;

	put32(p, (uint32_t) (2 * n));
	for (size_t i = 0; i < n; i++)
		put16(p + 4 + 2 * i, (uint8_t) s[i]);
	while (len % 4 != 0)
		p[len++] = 0;
	return len;
}

void
cs_cfb_version_stream(uint8_t out[CS_CFB_VERSION_SIZE])
{
	size_t		o;

	memset(out, 0, CS_CFB_VERSION_SIZE);
	o = put_lpp4(out, "Microsoft.Container.DataSpaces");
	/* reader, updater, writer version 1.0 */
	for (int i = 0; i < 3; i++, o += 4)
	{
		put16(out + o, 1);
		put16(out + o + 2, 0);
	}
}

void
cs_cfb_dataspacemap_stream(uint8_t out[CS_CFB_DATASPACEMAP_SIZE])
{
	size_t		o;

	memset(out, 0, CS_CFB_DATASPACEMAP_SIZE);
	put32(out, 8);				/* HeaderLength */
	put32(out + 4, 1);			/* EntryCount */
	/* DataSpaceMapEntry: Length counts the whole entry including itself */
	put32(out + 8, CS_CFB_DATASPACEMAP_SIZE - 8);
	put32(out + 12, 1);			/* ReferenceComponentCount */
	put32(out + 16, 0);			/* ReferenceComponentType: stream */
	o = 20;
	o += put_lpp4(out + o, "EncryptedPackage");
	put_lpp4(out + o, "StrongEncryptionDataSpace");
}

void
cs_cfb_sedataspace_stream(uint8_t out[CS_CFB_SEDATASPACE_SIZE])
{
	memset(out, 0, CS_CFB_SEDATASPACE_SIZE);
	put32(out, 8);				/* HeaderLength */
	put32(out + 4, 1);			/* TransformReferenceCount */
	put_lpp4(out + 8, "StrongEncryptionTransform");
}

void
cs_cfb_primary_stream(uint8_t out[CS_CFB_PRIMARY_SIZE])
{
	size_t		o;

	memset(out, 0, CS_CFB_PRIMARY_SIZE);
	/* TransformInfoHeader: TransformLength covers length, type and ID */
	put32(out + 4, 1);			/* TransformType */
	o = 8;
	o += put_lpp4(out + o, "{FF9A3F03-56EF-4613-BDD5-5A41C1D07246}");
	put32(out, (uint32_t) o);
	o += put_lpp4(out + o, "Microsoft.Container.EncryptionTransform");
	for (int i = 0; i < 3; i++, o += 4)
	{
		put16(out + o, 1);
		put16(out + o + 2, 0);
	}
	/* EncryptionName "" (length 0), EncryptionBlockSize 0, CipherMode 0 */
	o += 12;
	put32(out + o, 4);			/* Reserved, MUST be 4 */
}

cs_status
cs_cfb_plan_init(cs_cfb_plan *p, uint64_t pkg_size, uint32_t info_size,
				 cs_err *err)
{
	uint32_t	ms = 0;
	uint32_t	nonfat;
	uint32_t	fat = 0,
				difat = 0;

	memset(p, 0, sizeof(*p));
	if (pkg_size < 8)
		return cs_err_set(err, CS_ERR_BADARG,
						  "encrypted package stream of %llu bytes is shorter than its size field",
						  (unsigned long long) pkg_size);
	if (pkg_size > CS_CFB_MAX_STREAM)
		return cs_err_set(err, CS_ERR_LIMIT,
						  "encrypted package of %llu bytes exceeds the compound file stream limit of %llu bytes",
						  (unsigned long long) pkg_size,
						  (unsigned long long) CS_CFB_MAX_STREAM);
	if (info_size == 0 || info_size >= CS_CFB_MINI_CUTOFF)
		return cs_err_set(err, CS_ERR_BADARG,
						  "encryption info stream of %u bytes is outside 1..4095",
						  info_size);

	p->pkg_size = pkg_size;
	p->info_size = info_size;
	p->pkg_in_mini = pkg_size < CS_CFB_MINI_CUTOFF;

	/* mini stream: one contiguous run of mini sectors per small stream */
	if (p->pkg_in_mini)
	{
		p->ms_pkg = ms;
		ms += div_up(pkg_size, CS_CFB_MINI_SECTOR);
	}
	p->ms_version = ms;
	ms += div_up(CS_CFB_VERSION_SIZE, CS_CFB_MINI_SECTOR);
	p->ms_dsmap = ms;
	ms += div_up(CS_CFB_DATASPACEMAP_SIZE, CS_CFB_MINI_SECTOR);
	p->ms_sedataspace = ms;
	ms += div_up(CS_CFB_SEDATASPACE_SIZE, CS_CFB_MINI_SECTOR);
	p->ms_primary = ms;
	ms += div_up(CS_CFB_PRIMARY_SIZE, CS_CFB_MINI_SECTOR);
	p->ms_info = ms;
	ms += div_up(info_size, CS_CFB_MINI_SECTOR);
	p->n_minisect = ms;

	/* regular sectors, in file order */
	p->pkg_start = 0;
	p->pkg_sectors = p->pkg_in_mini ? 0 : div_up(pkg_size, CS_CFB_SECTOR);
	p->mini_start = p->pkg_start + p->pkg_sectors;
	p->mini_sectors = div_up((uint64_t) ms * CS_CFB_MINI_SECTOR, CS_CFB_SECTOR);
	p->minifat_start = p->mini_start + p->mini_sectors;
	p->minifat_sectors = div_up((uint64_t) ms * 4, CS_CFB_SECTOR);
	p->dir_start = p->minifat_start + p->minifat_sectors;
	p->dir_sectors = CS_CFB_DIR_SLOTS / 4;
	p->fat_start = p->dir_start + p->dir_sectors;
	nonfat = p->fat_start;

	/*
	 * The FAT maps every sector including its own and the DIFAT's, so size
	 * both by fixed-point iteration; it settles in a few rounds.
	 */
	for (int round = 0;; round++)
	{
		uint32_t	total = nonfat + fat + difat;
		uint32_t	nfat = div_up(total, FAT_PER_SECTOR);
		uint32_t	ndifat = nfat > HEADER_DIFAT ?
			div_up(nfat - HEADER_DIFAT, DIFAT_PER_SECTOR) : 0;

		if (nfat == fat && ndifat == difat)
			break;
		fat = nfat;
		difat = ndifat;
		if (round > 64)
			return cs_err_set(err, CS_ERR_INTERNAL,
							  "compound file FAT size did not converge");
	}
	p->fat_sectors = fat;
	p->difat_start = p->fat_start + fat;
	p->difat_sectors = difat;
	p->total_sectors = nonfat + fat + difat;
	p->file_size = (uint64_t) CS_CFB_SECTOR * (1 + (uint64_t) p->total_sectors);
	return CS_OK;
}

uint32_t
cs_cfb_package_padding(const cs_cfb_plan *p)
{
	if (p->pkg_in_mini)
		return 0;
	return (uint32_t) ((uint64_t) p->pkg_sectors * CS_CFB_SECTOR - p->pkg_size);
}

/* Entry for sector s inside a contiguous chain [start, start+count). */
static int
in_chain(uint32_t s, uint32_t start, uint32_t count, uint32_t *entry)
{
	if (s < start || s - start >= count)
		return 0;
	*entry = (s - start + 1 == count) ? CS_CFB_ENDOFCHAIN : s + 1;
	return 1;
}

uint32_t
cs_cfb_fat_entry(const cs_cfb_plan *p, uint32_t s)
{
	uint32_t	e;

	if (in_chain(s, p->pkg_start, p->pkg_sectors, &e) ||
		in_chain(s, p->mini_start, p->mini_sectors, &e) ||
		in_chain(s, p->minifat_start, p->minifat_sectors, &e) ||
		in_chain(s, p->dir_start, p->dir_sectors, &e))
		return e;
	if (s >= p->fat_start && s - p->fat_start < p->fat_sectors)
		return CS_CFB_FATSECT;
	if (s >= p->difat_start && s - p->difat_start < p->difat_sectors)
		return CS_CFB_DIFSECT;
	return CS_CFB_FREESECT;
}

void
cs_cfb_header(const cs_cfb_plan *p, uint8_t h[CS_CFB_SECTOR])
{
	static const uint8_t sig[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

	memset(h, 0, CS_CFB_SECTOR);
	memcpy(h, sig, 8);
	put16(h + 0x18, 0x003E);	/* minor version */
	put16(h + 0x1A, 3);			/* major version 3: 512-byte sectors */
	put16(h + 0x1C, 0xFFFE);	/* byte order */
	put16(h + 0x1E, 9);			/* sector shift */
	put16(h + 0x20, 6);			/* mini sector shift */
	put32(h + 0x28, 0);			/* directory sector count: MUST be 0 in v3 */
	put32(h + 0x2C, p->fat_sectors);
	put32(h + 0x30, p->dir_start);
	put32(h + 0x34, 0);
	put32(h + 0x38, CS_CFB_MINI_CUTOFF);
	put32(h + 0x3C, p->minifat_sectors ? p->minifat_start : CS_CFB_ENDOFCHAIN);
	put32(h + 0x40, p->minifat_sectors);
	put32(h + 0x44, p->difat_sectors ? p->difat_start : CS_CFB_ENDOFCHAIN);
	put32(h + 0x48, p->difat_sectors);
	for (uint32_t i = 0; i < HEADER_DIFAT; i++)
		put32(h + 0x4C + 4 * i,
			  i < p->fat_sectors ? p->fat_start + i : CS_CFB_FREESECT);
}

/* One 128-byte directory entry; name is ASCII (\x06 allowed). */
static void
dir_entry(uint8_t *e, const char *name, uint8_t type, uint8_t colour,
		  uint32_t left, uint32_t right, uint32_t child,
		  uint32_t start, uint64_t size)
{
	size_t		n = strlen(name);

	memset(e, 0, 128);
	for (size_t i = 0; i < n; i++)
		put16(e + 2 * i, (uint8_t) name[i]);
	put16(e + 0x40, (uint16_t) (2 * (n + 1)));
	e[0x42] = type;
	e[0x43] = colour;
	put32(e + 0x44, left);
	put32(e + 0x48, right);
	put32(e + 0x4C, child);
	/* CLSID, state bits and both FILETIMEs stay zero */
	put32(e + 0x74, start);
	put64(e + 0x78, size);
}

static void
build_directory(const cs_cfb_plan *p, uint8_t *d)
{
	const uint32_t NS = CS_CFB_NOSTREAM;

	/*
	 * Sibling trees (shorter name first, then upper-cased code units):
	 * root level: EncryptionInfo(B) [L \x06DataSpaces(B), R EncryptedPackage(B)]
	 * \x06DataSpaces: DataSpaceMap(B) [L Version(B), R DataSpaceInfo(B)
	 * [R TransformInfo(R)]]; every other level holds one black node.
	 */
	dir_entry(d + 128 * D_ROOT, "Root Entry", T_ROOT, BLACK, NS, NS, D_INFO,
			  p->mini_start, (uint64_t) p->n_minisect * CS_CFB_MINI_SECTOR);
	dir_entry(d + 128 * D_PKG, "EncryptedPackage", T_STREAM, BLACK, NS, NS, NS,
			  p->pkg_in_mini ? p->ms_pkg : p->pkg_start, p->pkg_size);
	dir_entry(d + 128 * D_DATASPACES, "\006DataSpaces", T_STORAGE, BLACK,
			  NS, NS, D_DSMAP, 0, 0);
	dir_entry(d + 128 * D_VERSION, "Version", T_STREAM, BLACK, NS, NS, NS,
			  p->ms_version, CS_CFB_VERSION_SIZE);
	dir_entry(d + 128 * D_DSMAP, "DataSpaceMap", T_STREAM, BLACK,
			  D_VERSION, D_DSINFO, NS, p->ms_dsmap, CS_CFB_DATASPACEMAP_SIZE);
	dir_entry(d + 128 * D_DSINFO, "DataSpaceInfo", T_STORAGE, BLACK,
			  NS, D_TRANSFORMINFO, D_SEDATASPACE, 0, 0);
	dir_entry(d + 128 * D_SEDATASPACE, "StrongEncryptionDataSpace", T_STREAM,
			  BLACK, NS, NS, NS, p->ms_sedataspace, CS_CFB_SEDATASPACE_SIZE);
	dir_entry(d + 128 * D_TRANSFORMINFO, "TransformInfo", T_STORAGE, RED,
			  NS, NS, D_SETRANSFORM, 0, 0);
	dir_entry(d + 128 * D_SETRANSFORM, "StrongEncryptionTransform", T_STORAGE,
			  BLACK, NS, NS, D_PRIMARY, 0, 0);
	dir_entry(d + 128 * D_PRIMARY, "\006Primary", T_STREAM, BLACK, NS, NS, NS,
			  p->ms_primary, CS_CFB_PRIMARY_SIZE);
	dir_entry(d + 128 * D_INFO, "EncryptionInfo", T_STREAM, BLACK,
			  D_DATASPACES, D_PKG, NS, p->ms_info, p->info_size);
	/* unused slots: all zero except the three links */
	for (int i = D_COUNT; i < CS_CFB_DIR_SLOTS; i++)
	{
		uint8_t    *e = d + 128 * i;

		memset(e, 0, 128);
		put32(e + 0x44, NS);
		put32(e + 0x48, NS);
		put32(e + 0x4C, NS);
	}
}

/* Buffered writer of whole sectors for the tail. */
typedef struct tail_out
{
	cs_cfb_write_fn write;
	void	   *arg;
	cs_err	   *err;
	size_t		used;
	uint8_t		buf[16 * CS_CFB_SECTOR];
} tail_out;

static cs_status
tail_flush(tail_out *t)
{
	cs_status	rc = CS_OK;

	if (t->used > 0)
		rc = t->write(t->arg, t->buf, t->used, t->err);
	t->used = 0;
	return rc;
}

static cs_status
tail_put(tail_out *t, const uint8_t *data, size_t len)
{
	while (len > 0)
	{
		size_t		n = sizeof(t->buf) - t->used;
		cs_status	rc;

		if (n > len)
			n = len;
		if (data)
			memcpy(t->buf + t->used, data, n);
		else
			memset(t->buf + t->used, 0, n);
		t->used += n;
		len -= n;
		if (data)
			data += n;
		if (t->used == sizeof(t->buf) && (rc = tail_flush(t)) != CS_OK)
			return rc;
	}
	return CS_OK;
}

/* Stream bytes, then zero padding to a whole number of mini sectors. */
static cs_status
put_mini(tail_out *t, const uint8_t *data, uint64_t len, uint64_t *written)
{
	uint64_t	padded = (uint64_t) div_up(len, CS_CFB_MINI_SECTOR) * CS_CFB_MINI_SECTOR;
	cs_status	rc;

	if ((rc = tail_put(t, data, len)) != CS_OK)
		return rc;
	*written += padded;
	return tail_put(t, NULL, padded - len);
}

static void
minifat_chain(uint8_t *sect, uint32_t first_entry, uint32_t start, uint32_t count)
{
	for (uint32_t k = 0; k < count; k++)
	{
		uint32_t	m = start + k;

		if (m >= first_entry && m - first_entry < FAT_PER_SECTOR)
			put32(sect + 4 * (m - first_entry),
				  k + 1 == count ? CS_CFB_ENDOFCHAIN : m + 1);
	}
}

cs_status
cs_cfb_write_tail(const cs_cfb_plan *p, const uint8_t *info,
				  const uint8_t *small_pkg, cs_cfb_write_fn write, void *arg,
				  cs_err *err)
{
	tail_out	t;
	uint8_t		sect[CS_CFB_SECTOR];
	uint8_t		dir[CS_CFB_DIR_SLOTS * 128];
	uint8_t		version[CS_CFB_VERSION_SIZE];
	uint8_t		dsmap[CS_CFB_DATASPACEMAP_SIZE];
	uint8_t		sedataspace[CS_CFB_SEDATASPACE_SIZE];
	uint8_t		primary[CS_CFB_PRIMARY_SIZE];
	uint64_t	ms_bytes = 0;
	cs_status	rc;

	if (info == NULL || (p->pkg_in_mini && small_pkg == NULL))
		return cs_err_set(err, CS_ERR_BADARG, "compound file stream data missing");

	t.write = write;
	t.arg = arg;
	t.err = err;
	t.used = 0;

	/* mini stream, in the order cs_cfb_plan_init assigned */
	cs_cfb_version_stream(version);
	cs_cfb_dataspacemap_stream(dsmap);
	cs_cfb_sedataspace_stream(sedataspace);
	cs_cfb_primary_stream(primary);
	if (p->pkg_in_mini &&
		(rc = put_mini(&t, small_pkg, p->pkg_size, &ms_bytes)) != CS_OK)
		return rc;
	if ((rc = put_mini(&t, version, sizeof(version), &ms_bytes)) != CS_OK ||
		(rc = put_mini(&t, dsmap, sizeof(dsmap), &ms_bytes)) != CS_OK ||
		(rc = put_mini(&t, sedataspace, sizeof(sedataspace), &ms_bytes)) != CS_OK ||
		(rc = put_mini(&t, primary, sizeof(primary), &ms_bytes)) != CS_OK ||
		(rc = put_mini(&t, info, p->info_size, &ms_bytes)) != CS_OK)
		return rc;
	if (ms_bytes != (uint64_t) p->n_minisect * CS_CFB_MINI_SECTOR)
		return cs_err_set(err, CS_ERR_INTERNAL, "mini stream size mismatch");
	if ((rc = tail_put(&t, NULL,
					   (uint64_t) p->mini_sectors * CS_CFB_SECTOR - ms_bytes)) != CS_OK)
		return rc;

	/* MiniFAT */
	for (uint32_t f = 0; f < p->minifat_sectors; f++)
	{
		uint32_t	first = f * FAT_PER_SECTOR;

		memset(sect, 0xFF, sizeof(sect));	/* FREESECT */
		if (p->pkg_in_mini)
			minifat_chain(sect, first, p->ms_pkg, p->ms_version - p->ms_pkg);
		minifat_chain(sect, first, p->ms_version, p->ms_dsmap - p->ms_version);
		minifat_chain(sect, first, p->ms_dsmap, p->ms_sedataspace - p->ms_dsmap);
		minifat_chain(sect, first, p->ms_sedataspace, p->ms_primary - p->ms_sedataspace);
		minifat_chain(sect, first, p->ms_primary, p->ms_info - p->ms_primary);
		minifat_chain(sect, first, p->ms_info, p->n_minisect - p->ms_info);
		if ((rc = tail_put(&t, sect, sizeof(sect))) != CS_OK)
			return rc;
	}

	/* directory */
	build_directory(p, dir);
	if ((rc = tail_put(&t, dir, sizeof(dir))) != CS_OK)
		return rc;

	/* FAT */
	for (uint32_t f = 0; f < p->fat_sectors; f++)
	{
		for (uint32_t k = 0; k < FAT_PER_SECTOR; k++)
			put32(sect + 4 * k, cs_cfb_fat_entry(p, f * FAT_PER_SECTOR + k));
		if ((rc = tail_put(&t, sect, sizeof(sect))) != CS_OK)
			return rc;
	}

	/* DIFAT: FAT sector numbers beyond the header's 109, chained */
	for (uint32_t j = 0; j < p->difat_sectors; j++)
	{
		for (uint32_t k = 0; k < DIFAT_PER_SECTOR; k++)
		{
			uint32_t	i = HEADER_DIFAT + j * DIFAT_PER_SECTOR + k;

			put32(sect + 4 * k,
				  i < p->fat_sectors ? p->fat_start + i : CS_CFB_FREESECT);
		}
		put32(sect + 4 * DIFAT_PER_SECTOR,
			  j + 1 == p->difat_sectors ? CS_CFB_ENDOFCHAIN : p->difat_start + j + 1);
		if ((rc = tail_put(&t, sect, sizeof(sect))) != CS_OK)
			return rc;
	}
	return tail_flush(&t);
}
