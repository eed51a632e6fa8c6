# The allocator the `notebridge` program runs with, for it and for the benchmarks that measure
# its code paths (a benchmark on another allocator measures another program).
#
# gperftools' tcmalloc (Debian libtcmalloc-minimal4): POST /notes allocates and frees many small
# nodes and strings on 16+ threads, where glibc's arenas cost ~10% of the CPU per note
# (bench/README.md). Only the runtime package is needed, so the library is found by its file
# name. Not under the sanitizers, which bring their own allocator.

if(NOT NOTEBRIDGE_SANITIZE)
  find_library(NOTEBRIDGE_TCMALLOC NAMES tcmalloc_minimal libtcmalloc_minimal.so.4)
  if(NOT NOTEBRIDGE_TCMALLOC)
    message(STATUS "tcmalloc not found (apt-get install libtcmalloc-minimal4): glibc malloc")
  endif()
endif()

# notebridge_link_allocator(<target>): links tcmalloc into an executable when it was found and
# the build is not a sanitizer build; otherwise the target keeps glibc malloc.
function(notebridge_link_allocator target)
  if(NOT NOTEBRIDGE_SANITIZE AND NOTEBRIDGE_TCMALLOC)
    target_link_libraries(${target} PRIVATE ${NOTEBRIDGE_TCMALLOC})
  endif()
endfunction()
