/* hex: hexadecimal digits, read one place for every room. */
#ifndef HEX_H
#define HEX_H

/* The value of a hexadecimal digit (0-9, a-f, A-F), or -1. */
int	 hex_digit(int c);

#endif
