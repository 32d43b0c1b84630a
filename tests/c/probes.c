#include "wasyncio.h"
