// The built-in rule set is checked here, by the compiler, in full (rules/builtin_check.hpp:
// CRC-32, every table, every pcre program): the kernel opens it at boot with the O(1) header
// checks of db_view::open_trusted, so this static_assert is what stands for the boot-time check.
// A translation unit of its own so that the ~2 s of constant evaluation is paid once per build.
#include <secengine/rules/builtin_check.hpp>

static_assert(secengine::rules::builtin_check() == secengine::rules::db_error::ok,
              "rules/builtin_db.hpp is not a valid rule database (regenerate it: scripts/embed_rules_db.py)");
