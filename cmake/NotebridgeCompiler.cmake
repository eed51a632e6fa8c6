# Compiler settings shared by every NoteBridge target, and the helper that declares a library.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

add_library(notebridge_options INTERFACE)
target_compile_options(notebridge_options INTERFACE -Wall -Wextra -Werror)
if(NOTEBRIDGE_SANITIZE)
  target_compile_options(notebridge_options INTERFACE
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
    # GCC 12 reports false -Wmaybe-uninitialized inside libstdc++ (std::regex, std::function)
    # once the sanitizers instrument the code; the normal build keeps the warning.
    -Wno-maybe-uninitialized)
  target_link_options(notebridge_options INTERFACE -fsanitize=address,undefined)
endif()

# notebridge_library(NAME <name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Declares notebridge_<name> with alias notebridge::<name>. Its public headers live in
# include/notebridge/<name>/ and are the only ones other targets can see; src/ stays private,
# so a library can include only the headers of what it links: the build enforces the arrows.
function(notebridge_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  set(target notebridge_${ARG_NAME})
  if(NOT ARG_SOURCES)
    # A library whose sources have not been written yet still carries its headers and arrows.
    add_library(${target} INTERFACE)
    add_library(notebridge::${ARG_NAME} ALIAS ${target})
    target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE notebridge_options ${ARG_PUBLIC_DEPS})
    return()
  endif()
  add_library(${target} STATIC ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE CXX)
  add_library(notebridge::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC notebridge_options ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()
