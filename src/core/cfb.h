/*
 * cfb.h - Compound File Binary (MS-CFB, OLE2) writer specialised to the
 * layout of an ECMA-376 / MS-OFFCRYPTO encrypted OOXML package, the file Excel
 * writes for "Encrypt with password".
 *
 * The file always holds the same 11 directory entries:
 *
 *   0  Root Entry                                     (root; owns the mini stream)
 *   1  EncryptedPackage                               (stream, given by the caller)
 *   2  \x06DataSpaces                                 (storage)
 *   3    Version                                      (stream, fixed 76 bytes)
 *   4    DataSpaceMap                                 (stream, fixed 112 bytes)
 *   5    DataSpaceInfo                                (storage)
 *   6      StrongEncryptionDataSpace                  (stream, fixed 64 bytes)
 *   7    TransformInfo                                (storage)
 *   8      StrongEncryptionTransform                  (storage)
 *   9        \x06Primary                              (stream, fixed 200 bytes)
 *  10  EncryptionInfo                                 (stream, given by the caller)
 *  11  (unused slot: zero, left/right/child = NOSTREAM)
 *
 * Format: version 3 (512-byte sectors, minor 0x3E), DIFAT sectors when the
 * FAT needs more than the 109 header slots (files over ~6.8 MB), streams
 * smaller than 4096 bytes in the mini stream (64-byte mini sectors), the
 * sibling trees ordered by (name length, upper-cased UTF-16) and coloured as
 * a valid red-black tree.
 *
 * Every count follows from the two caller stream sizes, so the writer is
 * strictly sequential (works on pipes, no seek):
 *
 *   header | EncryptedPackage sectors | mini stream | MiniFAT | directory |
 *   FAT | DIFAT
 *
 * The caller writes the header (cs_cfb_header), then streams the
 * EncryptedPackage bytes itself followed by cs_cfb_package_padding() zero bytes
 * (only when the package is not in the mini stream), then calls
 * cs_cfb_write_tail().  Memory is O(1): FAT and DIFAT sectors are generated
 * on the fly, since every chain is contiguous.
 */
#ifndef CS_CORE_CFB_H
#define CS_CORE_CFB_H

#include <stddef.h>
#include <stdint.h>

#include "cserr.h"

#define CS_CFB_SECTOR		512
#define CS_CFB_MINI_SECTOR	64
#define CS_CFB_MINI_CUTOFF	4096	/* streams < this live in the mini stream */
#define CS_CFB_DIR_SLOTS	12		/* 3 directory sectors of 4 entries */
/* Largest stream a version 3 file may hold (MS-CFB 2.6.3). */
#define CS_CFB_MAX_STREAM	UINT64_C(0x80000000)

#define CS_CFB_FREESECT		0xFFFFFFFFu
#define CS_CFB_ENDOFCHAIN	0xFFFFFFFEu
#define CS_CFB_FATSECT		0xFFFFFFFDu
#define CS_CFB_DIFSECT		0xFFFFFFFCu
#define CS_CFB_NOSTREAM		0xFFFFFFFFu

/* Sizes of the fixed \x06DataSpaces streams. */
#define CS_CFB_VERSION_SIZE			76
#define CS_CFB_DATASPACEMAP_SIZE	112
#define CS_CFB_SEDATASPACE_SIZE		64
#define CS_CFB_PRIMARY_SIZE			200

/* Sector layout computed from the two variable stream sizes. */
typedef struct cs_cfb_plan
{
	uint64_t	pkg_size;		/* EncryptedPackage stream length */
	uint32_t	info_size;		/* EncryptionInfo stream length */
	int			pkg_in_mini;	/* pkg_size < 4096: package is in the mini stream */

	/* regular sectors: first sector number and count of each region */
	uint32_t	pkg_start,
				pkg_sectors;
	uint32_t	mini_start,
				mini_sectors;
	uint32_t	minifat_start,
				minifat_sectors;
	uint32_t	dir_start,
				dir_sectors;
	uint32_t	fat_start,
				fat_sectors;
	uint32_t	difat_start,
				difat_sectors;
	uint32_t	total_sectors;	/* sectors after the header */
	uint64_t	file_size;		/* 512 * (1 + total_sectors) */

	/* mini stream: used mini sectors and the start of each mini stream */
	uint32_t	n_minisect;
	uint32_t	ms_pkg,
				ms_version,
				ms_dsmap,
				ms_sedataspace,
				ms_primary,
				ms_info;
} cs_cfb_plan;

/* Output sink: write all len bytes or fail with err set. */
typedef cs_status (*cs_cfb_write_fn) (void *arg, const void *buf, size_t len,
									  cs_err *err);

/*
 * Compute the layout.  pkg_size must be >= 8 (the size prefix) and at most
 * CS_CFB_MAX_STREAM; info_size in 1..4095 (it lives in the mini stream).
 */
extern cs_status cs_cfb_plan_init(cs_cfb_plan *plan, uint64_t pkg_size,
								  uint32_t info_size, cs_err *err);

/* The 512-byte file header for the plan. */
extern void cs_cfb_header(const cs_cfb_plan *plan, uint8_t out[CS_CFB_SECTOR]);

/*
 * Zero bytes the caller writes right after the package stream to fill its
 * last sector (0 when the package is in the mini stream: then the caller
 * writes nothing between header and tail and passes the bytes to the tail).
 */
extern uint32_t cs_cfb_package_padding(const cs_cfb_plan *plan);

/*
 * Write everything after the package sectors.  info: info_size bytes of
 * EncryptionInfo.  small_pkg: the whole package stream when pkg_in_mini,
 * else ignored (may be NULL).
 */
extern cs_status cs_cfb_write_tail(const cs_cfb_plan *plan, const uint8_t *info,
								   const uint8_t *small_pkg,
								   cs_cfb_write_fn write, void *arg, cs_err *err);

/* FAT entry of sector s under the plan (exposed for tests). */
extern uint32_t cs_cfb_fat_entry(const cs_cfb_plan *plan, uint32_t s);

/* The fixed \x06DataSpaces stream contents (exposed for tests). */
extern void cs_cfb_version_stream(uint8_t out[CS_CFB_VERSION_SIZE]);
extern void cs_cfb_dataspacemap_stream(uint8_t out[CS_CFB_DATASPACEMAP_SIZE]);
extern void cs_cfb_sedataspace_stream(uint8_t out[CS_CFB_SEDATASPACE_SIZE]);
extern void cs_cfb_primary_stream(uint8_t out[CS_CFB_PRIMARY_SIZE]);

#endif							/* CS_CORE_CFB_H */
