# Embeds every manifests/*.yaml into the binary as a string table, so meshctl
# never reads manifests from disk or the network at run time.
function(meshctl_embed_manifests target)
  file(GLOB manifest_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/manifests/*.yaml)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_manifests.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DFILES="${manifest_files}"
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_manifests_script.cmake
    DEPENDS ${manifest_files} ${CMAKE_SOURCE_DIR}/cmake/embed_manifests_script.cmake
    COMMENT "Embedding manifests")
  target_sources(${target} PRIVATE ${out})
endfunction()
