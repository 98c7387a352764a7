# ASan + UBSan for the test builds (MESHCTL_SANITIZE=ON); the test command uses it.
add_library(meshctl_sanitizers INTERFACE)
if(MESHCTL_SANITIZE)
  target_compile_options(meshctl_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(meshctl_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
