// tests/unit/config_error_of.hpp: the ConfigError a call throws, for checking its file:line:key.
#pragma once

#include <doctest/doctest.h>

#include "pymatrix/error.hpp"

/// Calls `f` and returns the pymatrix::ConfigError it throws; fails the test when it throws none.
template <class F>
pymatrix::ConfigError config_error_of(F&& f) {
    try {
        f();
    } catch (const pymatrix::ConfigError& e) {
        return e;
    }
    FAIL("no ConfigError");
    return pymatrix::ConfigError({}, "", "");
}
