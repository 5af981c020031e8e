#include "CFuzzerSupport.h"
