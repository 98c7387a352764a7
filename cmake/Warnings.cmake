# One warning policy for every meshctl target. -Werror only where the project
# builds itself (scripts/build.sh with MESHCTL_WERROR=1, which the test
# command and CI use): a user's or a packager's compiler may warn about things
# ours does not, and that must not break their build.
add_library(meshctl_warnings INTERFACE)
target_compile_options(meshctl_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(MESHCTL_WERROR)
  target_compile_options(meshctl_warnings INTERFACE -Werror)
endif()
