/*
 * utf8.c
 *	  Strict UTF-8 decoding shared by the core (pure C): the password
 *	  conversion to UTF-16LE (agile.c) and the XLSX text sanitiser
 *	  (xlsxout.c) must agree on what is valid.
 */
#include "utf8.h"

size_t
cs_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t	c;
	size_t		need;
	uint32_t	min;

	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0)
	{
		c = s[0] & 0x1F;
		need = 2;
		min = 0x80;
	}
	else if ((s[0] & 0xF0) == 0xE0)
	{
		c = s[0] & 0x0F;
		need = 3;
		min = 0x800;
	}
	else if ((s[0] & 0xF8) == 0xF0)
	{
		c = s[0] & 0x07;
		need = 4;
		min = 0x10000;
	}
	else
		return 0;
	if (need > len)
		return 0;
	for (size_t i = 1; i < need; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* overlong forms, surrogates and values beyond Unicode are invalid */
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return need;
}
