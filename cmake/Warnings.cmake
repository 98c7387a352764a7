# One warning policy for every meshctl target; -Werror in every build so CI and
# developers see the same thing.
add_library(meshctl_warnings INTERFACE)
target_compile_options(meshctl_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(MESHCTL_WERROR)
  target_compile_options(meshctl_warnings INTERFACE -Werror)
endif()
