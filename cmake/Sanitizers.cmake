# ASan + UBSan for the test builds (MESHCTL_SANITIZE=ON); the test command uses it.
# MESHCTL_FUZZ=ON (clang only) also adds libFuzzer's coverage instrumentation
# (fuzzer-no-link) to every module, so the fuzzers in test/fuzz see inside lib/.
add_library(meshctl_sanitizers INTERFACE)
if(MESHCTL_FUZZ)
  target_compile_options(meshctl_sanitizers INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(meshctl_sanitizers INTERFACE -fsanitize=address,undefined)
elseif(MESHCTL_SANITIZE)
  target_compile_options(meshctl_sanitizers INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  target_link_options(meshctl_sanitizers INTERFACE -fsanitize=address,undefined)
endif()
