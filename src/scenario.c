/* scenario.c: the scenario interpreter (being written). */
#include "wasyncio.h"
